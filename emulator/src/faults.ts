// Injected faults: matched in order, each used `times` times, then dropped.
import { oauthError } from './entraErrors';
import { EmuRequest, EmuResponse, htmlResponse, isObject, jsonResponse, parseJson, signInPage, signInRedirect, typedError } from './http';
import { servicePrincipalAnswer } from './pats';
import { State } from './state';
import type { Fault, FaultHandle, FaultMatch, FaultType, RequestKind } from './types';

/** Whether a request matches: every field given must agree (method ignoring case, path as a case-insensitive substring). */
export function faultMatches(match: FaultMatch, kind: RequestKind, method: string, path: string): boolean {
  if (match.kind !== undefined && match.kind !== kind) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.pathIncludes !== undefined && !path.toLowerCase().includes(match.pathIncludes.toLowerCase())) return false;
  return true;
}

/** Fault types that only make sense for one kind of request. */
const ONLY_FOR: Partial<Record<FaultType, { kind: RequestKind; method: string }>> = {
  commitWithoutToken: { kind: 'pats', method: 'POST' },
  ignoreWrite: { kind: 'variablegroups', method: 'PUT' },
  dropVariables: { kind: 'variablegroups', method: 'PUT' },
  repeatRows: { kind: 'pats', method: 'GET' },
  endlessPages: { kind: 'pats', method: 'GET' },
};

interface ActiveFault {
  fault: Fault;
  remaining: number;
  hits: number;
}

export class FaultList {
  private active: ActiveFault[] = [];

  inject(fault: Fault): FaultHandle {
    const only = ONLY_FOR[fault.type];
    if (only && (fault.match.kind ?? only.kind) !== only.kind) {
      throw new Error(`Fault ${fault.type} applies to ${only.kind} ${only.method} requests; the match names kind ${String(fault.match.kind)}.`);
    }
    if (fault.type === 'dropVariables' && (!Array.isArray(fault.variables) || fault.variables.length === 0)) {
      throw new Error('Fault dropVariables needs variables: the names of the variables to leave out.');
    }
    const entry: ActiveFault = { fault: { ...fault, match: { ...fault.match } }, remaining: fault.times ?? 1, hits: 0 };
    if (entry.remaining > 0) this.active.push(entry);
    const remove = (): void => {
      this.active = this.active.filter((f) => f !== entry);
    };
    return {
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      remove,
    };
  }

  /** The first fault matching the request, counted as used. */
  take(kind: RequestKind, method: string, path: string): Fault | undefined {
    const entry = this.active.find(({ fault: { match } }) => faultMatches(match, kind, method, path));
    if (!entry) return undefined;
    entry.hits++;
    entry.remaining--;
    if (entry.remaining <= 0) this.active = this.active.filter((f) => f !== entry);
    return entry.fault;
  }

  clear(): void {
    this.active = [];
  }
}

function guessContentType(body: string): string {
  const t = body.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'application/json; charset=utf-8';
  if (t.startsWith('<')) return 'text/html; charset=utf-8';
  return 'text/plain; charset=utf-8';
}

const TRUNCATED: Record<RequestKind, string> = {
  token: '{"token_type":"Bearer","scope":"499b84ac-1321-427f-aa17-267ca6975798/.default","expires_in":3599,"ext_expires_in":3599,"access_tok',
  devicecode: '{"user_code":"ABCD',
  authorize: '{"',
  discovery: '{"token_endpoint":"https://',
  pats: '{"patToken":{"displayName":"trunc',
  variablegroups: '{"count":1,"value":[{"variables":{"',
  connectiondata: '{"authenticatedUser":{"id":"',
  serviceendpoints: '{"data":{},"id":"',
  oidc: '{"oidcToken":"eyJ',
  keyvault: '{"value":"',
  other: '{"value":',
};

function statusFault(state: State, req: EmuRequest, kind: RequestKind, fault: Fault, extra: Record<string, string>): EmuResponse {
  const status = fault.status ?? 503;
  if (kind === 'token' || kind === 'devicecode') {
    const transient = status >= 500 || status === 429;
    return oauthError(
      state,
      req,
      status,
      transient ? 'temporarily_unavailable' : 'invalid_request',
      status === 429 ? 90055 : transient ? 90033 : 90000,
      transient ? 'The service is temporarily unavailable or too busy. Try again later.' : 'The request was rejected.',
      { headers: extra },
    );
  }
  if (status === 502 || status === 504) {
    return htmlResponse(
      status,
      `<html><head><title>${status} Gateway error</title></head><body><h1>${status}</h1><p>The gateway did not get a valid answer in time.</p></body></html>\n`,
      extra,
    );
  }
  if (status === 503) {
    return typedError(503, 'ServiceUnavailableException', 'TF10216: The service is not available right now. Try again in a few minutes.', {
      namespace: 'Microsoft.TeamFoundation.Framework.Server',
      headers: extra,
    });
  }
  if (status === 429) {
    return typedError(429, 'RequestThrottledException', 'TF400733: The request was blocked because too many requests were made. Try again later.', {
      namespace: 'Microsoft.TeamFoundation.Framework.Server',
      headers: { 'x-ratelimit-resource': 'Core', ...extra },
    });
  }
  return typedError(status, 'VssServiceException', `Injected failure: HTTP ${status}.`, { headers: extra });
}

/** The answer for faults that answer without running the operation. */
export function faultResponse(state: State, req: EmuRequest, kind: RequestKind, fault: Fault): EmuResponse {
  const extra: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) extra['retry-after'] = String(fault.retryAfterSeconds);
  let res: EmuResponse;
  switch (fault.type) {
    case 'status':
      res = statusFault(state, req, kind, fault, extra);
      break;
    case 'html203':
      res = htmlResponse(203, signInPage(state.baseUrl), extra);
      break;
    case 'redirect':
      res = signInRedirect(state.baseUrl, `${state.baseUrl}${req.path}`, fault.redirectTo);
      break;
    case 'truncatedJson':
      res = { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...extra }, body: TRUNCATED[kind] };
      break;
    case 'emptyOk':
      res = jsonResponse(200, {}, extra);
      break;
    case 'servicePrincipal':
      res = servicePrincipalAnswer(state, req);
      break;
    default:
      throw new Error(`Fault ${fault.type} has no answer`);
  }
  if (fault.body !== undefined) {
    res = { ...res, body: fault.body, headers: { ...res.headers, 'content-type': guessContentType(fault.body) } };
  }
  if (fault.headers) res = { ...res, headers: { ...res.headers, ...lowerKeys(fault.headers) } };
  return res;
}

/** A successful create answer with `patToken.token` missing, null or replaced; any other answer unchanged. */
export function withoutToken(res: EmuResponse, answerTokenAs: string): EmuResponse {
  const parsed = parseJson(res.body);
  if (res.status !== 200 || !parsed.ok || !isObject(parsed.value) || !isObject(parsed.value.patToken)) return res;
  const patToken: Record<string, unknown> = { ...parsed.value.patToken };
  if (answerTokenAs === 'missing') delete patToken.token;
  else patToken.token = answerTokenAs === 'null' ? null : answerTokenAs;
  return { ...res, body: JSON.stringify({ ...parsed.value, patToken }) };
}

/** The request with the named variables (any case) left out of its body's `variables`. */
export function withoutVariables(req: EmuRequest, names: string[]): EmuRequest {
  const parsed = parseJson(req.bodyText);
  if (!parsed.ok || !isObject(parsed.value) || !isObject(parsed.value.variables)) return req;
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const variables = Object.fromEntries(Object.entries(parsed.value.variables).filter(([name]) => !drop.has(name.toLowerCase())));
  return { ...req, bodyText: JSON.stringify({ ...parsed.value, variables }) };
}

/** The same list request for the first page: without a continuation token. */
export function firstPageRequest(req: EmuRequest): EmuRequest {
  const query = Object.fromEntries(Object.entries(req.query).filter(([k]) => k.toLowerCase() !== 'continuationtoken'));
  return { ...req, query };
}

function listPage(res: EmuResponse): { continuationToken: unknown; patTokens: unknown[]; rest: Record<string, unknown> } | undefined {
  const parsed = parseJson(res.body);
  if (res.status !== 200 || !parsed.ok || !isObject(parsed.value) || !Array.isArray(parsed.value.patTokens)) return undefined;
  return { continuationToken: parsed.value.continuationToken, patTokens: parsed.value.patTokens as unknown[], rest: parsed.value };
}

/** The page with the first `count` rows of the first page added again at its start. */
export function repeatRows(page: EmuResponse, firstPage: EmuResponse, count: number): EmuResponse {
  const real = listPage(page);
  const first = listPage(firstPage);
  if (!real || !first) return page;
  return { ...page, body: JSON.stringify({ ...real.rest, patTokens: [...first.patTokens.slice(0, Math.max(0, count)), ...real.patTokens] }) };
}

/** The first page's rows with another continuation token. */
export function withContinuationToken(firstPage: EmuResponse, token: string): EmuResponse {
  const first = listPage(firstPage);
  if (!first) return firstPage;
  return { ...firstPage, body: JSON.stringify({ ...first.rest, continuationToken: token }) };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
