import { randomUUID } from 'node:crypto';
import type { ListOptions, PagedPatTokens, PatCreateRequest, PatsClient, PatToken, PatUpdateRequest } from '../../tasks/PatLifecycleV1/src/patsApi';
import { ApiError } from '../../tasks/PatLifecycleV1/src/errors';

export interface FakePat extends PatToken {
  revoked: boolean;
}

/** An in-memory PatsClient for operation tests: records calls, pages by `pageSize`, can be told to fail. */
export class FakePats implements PatsClient {
  pats: FakePat[] = [];
  calls: string[] = [];
  pageSize = 3;
  /** Called before each method; throw from it to simulate a failure. */
  before: (call: string, arg?: unknown) => void = () => {};
  /** Called after a create is committed, before it answers; throw to simulate a lost answer. */
  afterCreate: (pat: FakePat) => void = () => {};

  constructor(private readonly now: () => Date) {}

  seed(displayName: string, daysLeft: number, ageDays = 10, scope = 'vso.code'): FakePat {
    const now = this.now().getTime();
    const pat: FakePat = {
      authorizationId: randomUUID(),
      displayName,
      scope,
      validFrom: new Date(now - ageDays * 86_400_000).toISOString(),
      validTo: new Date(now + daysLeft * 86_400_000).toISOString(),
      targetAccounts: ['38aaa865-2c70-4bf7-a308-0c6539c38c1a'],
      token: null,
      revoked: false,
    };
    this.pats.push(pat);
    return pat;
  }

  active(): FakePat[] {
    return this.pats.filter((p) => !p.revoked && Date.parse(p.validTo) > this.now().getTime());
  }

  listPage(options: ListOptions, continuationToken?: string): Promise<PagedPatTokens> {
    this.calls.push(`list ${options.displayFilterOption} ${continuationToken ?? ''}`.trim());
    this.before('list', continuationToken);
    const expired = (p: FakePat) => !p.revoked && Date.parse(p.validTo) <= this.now().getTime();
    const matching =
      options.displayFilterOption === 'active'
        ? this.active()
        : options.displayFilterOption === 'expired'
          ? this.pats.filter(expired)
          : options.displayFilterOption === 'revoked'
            ? this.pats.filter((p) => p.revoked)
            : this.pats;
    const start = Number(continuationToken ?? 0);
    const page = matching.slice(start, start + this.pageSize).map((p) => this.view(p));
    const next = start + this.pageSize < matching.length ? String(start + this.pageSize) : '';
    return Promise.resolve({ patTokens: page, continuationToken: next });
  }

  get(id: string): Promise<PatToken> {
    this.calls.push(`get ${id}`);
    this.before('get', id);
    const pat = this.pats.find((p) => p.authorizationId === id && !p.revoked);
    if (!pat) return Promise.reject(new ApiError('not found', 200, 'authorizationNotFound'));
    return Promise.resolve(this.view(pat));
  }

  create(request: PatCreateRequest): Promise<PatToken> {
    this.calls.push(`create ${request.displayName}`);
    this.before('create', request);
    const pat: FakePat = {
      authorizationId: randomUUID(),
      displayName: request.displayName,
      scope: request.scope,
      validFrom: this.now().toISOString(),
      validTo: request.validTo,
      targetAccounts: ['38aaa865-2c70-4bf7-a308-0c6539c38c1a'],
      token: `secret-${randomUUID()}`,
      revoked: false,
    };
    this.pats.push(pat);
    this.afterCreate(pat);
    return Promise.resolve({ ...this.view(pat), token: pat.token });
  }

  update(request: PatUpdateRequest): Promise<PatToken> {
    this.calls.push(`update ${request.authorizationId}`);
    this.before('update', request);
    const pat = this.pats.find((p) => p.authorizationId === request.authorizationId && !p.revoked);
    if (!pat) return Promise.reject(new ApiError('not found', 200, 'authorizationNotFound'));
    Object.assign(pat, { displayName: request.displayName, scope: request.scope, validTo: request.validTo });
    return Promise.resolve(this.view(pat));
  }

  revoke(id: string): Promise<void> {
    this.calls.push(`revoke ${id}`);
    this.before('revoke', id);
    const pat = this.pats.find((p) => p.authorizationId === id);
    if (pat) pat.revoked = true;
    return Promise.resolve();
  }

  serviceNow(): Date {
    return this.now();
  }

  private view(p: FakePat): PatToken {
    return {
      authorizationId: p.authorizationId,
      displayName: p.displayName,
      scope: p.scope,
      validFrom: p.validFrom,
      validTo: p.validTo,
      targetAccounts: p.targetAccounts,
      token: null,
    };
  }
}
