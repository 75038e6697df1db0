// PAT storage: indexes by id, user and secret, plus the API's view of a PAT.
import { formatApiDate } from './clock';
import { GLOBAL_PAT_RETIRED_MS } from './patRules';
import type { PatRecord, PatStatus } from './types';

export interface PatInternal {
  authorizationId: string;
  userId: string;
  orgName: string;
  displayName: string;
  scope: string;
  validFromMs: number;
  validToMs: number;
  allOrgs: boolean;
  targetAccounts: string[] | null;
  token: string;
  revoked: boolean;
}

export class PatStore {
  private readonly byId = new Map<string, PatInternal>();
  private readonly byUser = new Map<string, PatInternal[]>();
  private readonly byToken = new Map<string, PatInternal>();

  /** Every PAT secret ever issued. */
  tokens(): string[] {
    return [...this.byToken.keys()];
  }

  add(pat: PatInternal): void {
    this.byId.set(pat.authorizationId, pat);
    this.byToken.set(pat.token, pat);
    let list = this.byUser.get(pat.userId);
    if (!list) {
      list = [];
      this.byUser.set(pat.userId, list);
    }
    list.push(pat);
  }

  get(authorizationId: string): PatInternal | undefined {
    return this.byId.get(authorizationId.toLowerCase());
  }

  byTokenValue(token: string): PatInternal | undefined {
    return this.byToken.get(token);
  }

  forUser(userId: string): readonly PatInternal[] {
    return this.byUser.get(userId.toLowerCase()) ?? [];
  }

  clear(): void {
    this.byId.clear();
    this.byUser.clear();
    this.byToken.clear();
  }
}

export function patStatus(pat: PatInternal, nowMs: number): PatStatus {
  if (pat.revoked) return 'revoked';
  return pat.validToMs < nowMs ? 'expired' : 'active';
}

/** Global PATs stop working on 2026-12-01 (retirement announcement); they are still listed (an assumption). */
export function globalRetired(pat: PatInternal, nowMs: number): boolean {
  return pat.targetAccounts === null && nowMs >= GLOBAL_PAT_RETIRED_MS;
}

/** A PAT visible from an organization: global, or targeted at that organization's account. */
export function visibleIn(pat: PatInternal, accountId: string): boolean {
  return pat.targetAccounts === null || pat.targetAccounts.includes(accountId);
}

/** The PatToken JSON; the secret appears only when asked for (the create answer). */
export function toApiPat(pat: PatInternal, withToken: boolean): Record<string, unknown> {
  return {
    displayName: pat.displayName,
    validTo: formatApiDate(pat.validToMs),
    scope: pat.scope,
    targetAccounts: pat.targetAccounts ? [...pat.targetAccounts] : null,
    validFrom: formatApiDate(pat.validFromMs),
    authorizationId: pat.authorizationId,
    token: withToken ? pat.token : null,
  };
}

export function toPatRecord(pat: PatInternal, nowMs: number): PatRecord {
  return {
    authorizationId: pat.authorizationId,
    userId: pat.userId,
    org: pat.orgName,
    displayName: pat.displayName,
    scope: pat.scope,
    validFrom: formatApiDate(pat.validFromMs),
    validTo: formatApiDate(pat.validToMs),
    allOrgs: pat.allOrgs,
    targetAccounts: pat.targetAccounts ? [...pat.targetAccounts] : null,
    token: pat.token,
    revoked: pat.revoked,
    status: patStatus(pat, nowMs),
  };
}
