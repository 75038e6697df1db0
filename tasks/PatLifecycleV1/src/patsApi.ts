/**
 * A small typed client for the PAT lifecycle API (`{serviceUrl}/_apis/tokens/pats`), in the style of
 * azure-devops-node-api. It turns every answer the service is known to give (JSON, typed error bodies,
 * `patTokenError` in a 200 or a 4xx, HTML sign-in pages, redirects, truncated bodies) into data or a typed error.
 */
import { loc, type KeysTaking } from './messages.generated';
import { ApiError } from './errors';
import type { HttpLayer, HttpResponse, RetryMode } from './http';
import { clip, neutralize } from './sanitize';

export interface PatToken {
  authorizationId: string;
  displayName: string;
  scope: string;
  validFrom: string;
  validTo: string;
  /** null: valid in all the user's organizations (a global PAT). */
  targetAccounts: string[] | null;
  /** The secret: only in a create's answer. */
  token?: string | null;
}

export interface PatTokenResult {
  patToken: PatToken | null;
  patTokenError: string;
  patTokenErrorMessage?: string;
}

export interface PagedPatTokens {
  continuationToken: string;
  patTokens: PatToken[];
}

export const DISPLAY_FILTERS = ['active', 'revoked', 'expired', 'all'] as const;
export type DisplayFilter = (typeof DISPLAY_FILTERS)[number];

export interface ListOptions {
  displayFilterOption: DisplayFilter;
}

export interface PatCreateRequest {
  displayName: string;
  scope: string;
  validTo: string;
  /** Always false: global PATs can no longer be created or regenerated (since 2026-03-15). */
  allOrgs: false;
}

export interface PatUpdateRequest extends PatCreateRequest {
  authorizationId: string;
}

/** The operations' view of the API (tests pass a fake). */
export interface PatsClient {
  listPage(options: ListOptions, continuationToken?: string): Promise<PagedPatTokens>;
  get(authorizationId: string): Promise<PatToken>;
  create(request: PatCreateRequest): Promise<PatToken>;
  update(request: PatUpdateRequest): Promise<PatToken>;
  revoke(authorizationId: string): Promise<void>;
  /** The service's clock (from its Date headers): what its timestamps are compared with. */
  serviceNow(): Date;
}

/** The largest page the service gives. */
export const PAGE_SIZE = 100;

export class PatsApi implements PatsClient {
  private readonly base: string;
  private readonly serviceUrl: string;

  constructor(
    private readonly http: HttpLayer,
    serviceUrl: string,
    private readonly apiVersion: string,
    private readonly accessToken: string,
  ) {
    this.serviceUrl = serviceUrl.replace(/\/+$/, '');
    this.base = `${this.serviceUrl}/_apis/tokens/pats`;
    http.trust(serviceUrl);
  }

  async listPage(options: ListOptions, continuationToken?: string): Promise<PagedPatTokens> {
    const query: Record<string, string> = { displayFilterOption: options.displayFilterOption, $top: String(PAGE_SIZE) };
    if (continuationToken) query.continuationToken = continuationToken;
    const body = await this.call<Partial<PagedPatTokens>>('GET', query, undefined, 'idempotent');
    if (!Array.isArray(body.patTokens)) throw new ApiError(loc('ApiUnexpected', 'list', 'patTokens'));
    return { patTokens: body.patTokens.map(fromService), continuationToken: typeof body.continuationToken === 'string' ? body.continuationToken : '' };
  }

  async get(authorizationId: string): Promise<PatToken> {
    return this.result(await this.call<PatTokenResult>('GET', { authorizationId }, undefined, 'idempotent'), 'get');
  }

  async create(request: PatCreateRequest): Promise<PatToken> {
    return this.result(await this.call<PatTokenResult>('POST', {}, request, 'unprocessed-only'), 'create');
  }

  async update(request: PatUpdateRequest): Promise<PatToken> {
    return this.result(await this.call<PatTokenResult>('PUT', {}, request, 'idempotent'), 'update');
  }

  async revoke(authorizationId: string): Promise<void> {
    await this.call<unknown>('DELETE', { authorizationId }, undefined, 'idempotent', true);
  }

  serviceNow(): Date {
    return this.http.serviceNow(this.base);
  }

  /**
   * Uses a PAT once: `{serviceUrl}/_apis/connectionData` with the PAT as Basic credentials, which any valid PAT of
   * the organization may read. A refusal is asked again twice, a second apart (a new PAT may take a moment to be
   * known everywhere), then reported.
   */
  async verify(token: string): Promise<'accepted' | 'unavailable'> {
    const url = `${this.serviceUrl}/_apis/connectionData`;
    const headers = { Authorization: `Basic ${Buffer.from(`:${token}`).toString('base64')}`, Accept: 'application/json' };
    for (let attempt = 1; ; attempt++) {
      const response = await this.http.send({ method: 'GET', url, headers, retry: 'idempotent' });
      if (response.status === 200) return 'accepted';
      // No such resource behind serviceUrl (a proxy or a stand-in service): nothing said about the PAT.
      if (response.status === 404 || response.status === 405 || response.status === 501) return 'unavailable';
      if (attempt >= 3 || (response.status !== 401 && response.status !== 403)) throw new ApiError(loc('VerifyStatus', response.status), response.status);
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }

  private result(body: PatTokenResult, operation: string): PatToken {
    if (body.patTokenError && body.patTokenError !== 'none') throw patTokenError(body);
    if (!body.patToken || typeof body.patToken.authorizationId !== 'string') throw new ApiError(loc('ApiUnexpected', operation, 'patToken'));
    return fromService(body.patToken);
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    query: Record<string, string>,
    body: unknown,
    retry: RetryMode,
    emptyOk = false,
  ): Promise<T> {
    const url = new URL(this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    url.searchParams.set('api-version', this.apiVersion);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.accessToken}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.http.send({ method, url: url.toString(), headers, body: body === undefined ? undefined : JSON.stringify(body), retry });
    return parseAnswer<T>(response, emptyOk);
  }
}

/**
 * A PAT as the operations see it. The service stores display names HTML-encoded (`&` -> `&amp;`; decompiled
 * Server 2022 code), so a name is decoded once here: selection, outputs, logs and requests all use the name the
 * user gave. (Where the service answers names as sent, decoding changes nothing but a name that itself looks like
 * an entity.)
 */
function fromService(pat: PatToken): PatToken {
  return typeof pat.displayName === 'string' ? { ...pat, displayName: decodeHtmlEntities(pat.displayName) } : pat;
}

/**
 * Undoes what .NET's HtmlEncode does to a name: the entities `&amp; &lt; &gt; &quot; &apos;` and numeric ones
 * (`&#39;`, `&#233;`, `&#xE9;`). Anything else stays as it is.
 */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-f]{1,6});/gi, (whole, entity: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    const lower = entity.toLowerCase();
    if (lower in named) return named[lower];
    const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

/** Scopes compared as the service normalises them: case-insensitive, as sets. */
export function sameScopes(a: string, b: string): boolean {
  const set = (s: string): string =>
    [
      ...new Set(
        s
          .toLowerCase()
          .split(/[\s,]+/)
          .filter((x) => x !== ''),
      ),
    ]
      .sort()
      .join(' ');
  return set(a) === set(b);
}

/** Every way the service says "no such PAT": `tokenNotFound`, `authorizationNotFound`, or a 404. */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.patTokenError === 'tokenNotFound' || err.patTokenError === 'authorizationNotFound' || (err.patTokenError === undefined && err.status === 404);
}

/** Which Azure DevOps API answered, and with which credential: every message about an answer names both. */
export interface AnswerSource {
  /** E.g. "the variable group API". */
  service: string;
  /** E.g. "the job's access token". */
  credential: string;
}

/**
 * Any Azure DevOps answer -> its JSON, or the ApiError that says what went wrong. Without `source` the answer is
 * the PAT API's, whose own messages carry the hints that only it needs (service principals, patTokenError,
 * user tokens); any other API's failure is told with its name and the credential it was sent.
 */
export function parseAnswer<T>(response: HttpResponse, emptyOk = false, source?: AnswerSource): T {
  const { status, headers, body } = response;
  const type = headers['content-type'] ?? '';
  const html = /html/i.test(type) || /^\s*</.test(body);
  if (status === 203 || (status >= 300 && status < 400) || (html && status < 400)) {
    throw new ApiError(source ? loc('AdoSignInPage', source.service, status, source.credential) : loc('ApiSignInPage', status), status);
  }
  let json: unknown;
  if (body.trim() !== '' && !html) {
    try {
      json = JSON.parse(body);
    } catch {
      throw new ApiError(source ? loc('AdoBadJson', source.service, status) : loc('ApiBadJson', status), status);
    }
  }
  if (status >= 200 && status < 300) {
    if (json === undefined) {
      if (emptyOk) return undefined as T;
      throw new ApiError(source ? loc('AdoEmpty', source.service, status) : loc('ApiEmpty', status), status);
    }
    return json as T;
  }
  const fields = (json ?? {}) as Record<string, unknown>;
  const message = typeof fields.message === 'string' ? clip(neutralize(fields.message)) : html ? loc('ApiHtmlBody') : '';
  if (source) throw new ApiError(loc('AdoFailed', source.service, status, source.credential, message || loc('ApiNoMessage')), status);
  if (typeof fields.patTokenError === 'string' && fields.patTokenError !== 'none') throw patTokenError(fields as unknown as PatTokenResult, status);
  if ((status === 401 || status === 403) && /service principal/i.test(message)) throw new ApiError(loc('ApiServicePrincipal', message), status);
  if (status === 401) throw new ApiError(loc('ApiUnauthorized', message), status);
  if (status === 403) throw new ApiError(loc('ApiForbidden', message), status);
  if (status === 404) throw new ApiError(loc('ApiNotFound', message), status);
  throw new ApiError(loc('ApiFailed', status, message || loc('ApiNoMessage')), status);
}

/** `patTokenError` -> a message that says what to do. */
export function patTokenError(result: Pick<PatTokenResult, 'patTokenError' | 'patTokenErrorMessage'>, status?: number): ApiError {
  const code = neutralize(result.patTokenError);
  const detail = result.patTokenErrorMessage ? ` ${clip(neutralize(result.patTokenErrorMessage))}` : '';
  const key = PAT_ERROR_HINTS[result.patTokenError] ?? 'PatErrorOther';
  return new ApiError(loc(key, code, detail), status, result.patTokenError);
}

const PAT_ERROR_HINTS: Record<string, KeysTaking<2>> = {
  displayNameRequired: 'PatErrorDisplayName',
  invalidDisplayName: 'PatErrorDisplayName',
  invalidValidTo: 'PatErrorValidTo',
  invalidScope: 'PatErrorScope',
  accessDenied: 'PatErrorAccessDenied',
  authorizationNotFound: 'PatErrorNotFound',
  invalidAuthorizationId: 'PatErrorNotFound',
  tokenNotFound: 'PatErrorNotFound',
  globalPatPolicyViolation: 'PatErrorGlobalPolicy',
  globalPATCreationBlocked: 'PatErrorGlobalBlocked',
  fullScopePatPolicyViolation: 'PatErrorFullScopePolicy',
  patLifespanPolicyViolation: 'PatErrorLifespanPolicy',
  disablePatCreationPolicyViolation: 'PatErrorCreationDisabled',
  expiredPatCannotBeExtended: 'PatErrorExpired',
  invalidUserType: 'PatErrorUserType',
  invalidClientType: 'PatErrorUserType',
  invalidTargetAccounts: 'PatErrorTargetAccounts',
};
