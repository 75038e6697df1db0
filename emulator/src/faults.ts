// Injected faults: matched in order, each used `times` times, then dropped.
import { oauthError } from './entraErrors';
import { EmuRequest, EmuResponse, htmlResponse, jsonResponse, signInPage, signInRedirect, typedError } from './http';
import { servicePrincipalAnswer } from './pats';
import { State } from './state';
import type { Fault, FaultHandle, RequestKind } from './types';

interface ActiveFault {
  id: number;
  fault: Fault;
  remaining: number;
  hits: number;
}

export class FaultList {
  private active: ActiveFault[] = [];
  private nextId = 1;

  inject(fault: Fault): FaultHandle {
    const entry: ActiveFault = { id: this.nextId++, fault: { ...fault, match: { ...fault.match } }, remaining: fault.times ?? 1, hits: 0 };
    if (entry.remaining > 0) this.active.push(entry);
    const remove = (): void => {
      this.active = this.active.filter((f) => f !== entry);
    };
    return {
      id: entry.id,
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
    const lowerPath = path.toLowerCase();
    const entry = this.active.find(({ fault: { match } }) => {
      if (match.kind !== undefined && match.kind !== kind) return false;
      if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
      if (match.pathIncludes !== undefined && !lowerPath.includes(match.pathIncludes.toLowerCase())) return false;
      return true;
    });
    if (!entry) return undefined;
    entry.hits++;
    entry.remaining--;
    if (entry.remaining <= 0) this.active = this.active.filter((f) => f !== entry);
    return entry.fault;
  }

  clear(): void {
    this.active = [];
  }

  get size(): number {
    return this.active.length;
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

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
