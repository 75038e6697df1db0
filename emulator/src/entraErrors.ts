// OAuth error answers in Entra's shape, and the scope rules shared by the Entra endpoints.
import { formatEntraTimestamp } from './clock';
import { EmuRequest, EmuResponse, header, jsonResponse } from './http';
import { newGuid } from './random';
import { ADO_RESOURCE, State } from './state';
import type { AppRecord } from './types';

interface OAuthErrorOptions {
  suberror?: string;
  claims?: string;
  headers?: Record<string, string>;
}

export function oauthErrorBody(
  state: State,
  req: EmuRequest,
  error: string,
  code: number,
  text: string,
  options: OAuthErrorOptions = {},
): Record<string, unknown> {
  const traceId = newGuid();
  const correlationId = header(req, 'client-request-id') ?? newGuid();
  const timestamp = formatEntraTimestamp(state.clock.nowMs());
  const body: Record<string, unknown> = {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${state.baseUrl}/error?code=${code}`,
  };
  if (options.suberror) body.suberror = options.suberror;
  if (options.claims) body.claims = options.claims;
  return body;
}

export function oauthError(
  state: State,
  req: EmuRequest,
  status: number,
  error: string,
  code: number,
  text: string,
  options: OAuthErrorOptions = {},
): EmuResponse {
  return jsonResponse(status, oauthErrorBody(state, req, error, code, text, options), {
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': newGuid(),
    ...options.headers,
  });
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export interface ScopeFailure {
  ok: false;
  error: string;
  code: number;
  text: string;
  suberror?: string;
}

type ScopeCheck = { ok: true; granted: string[]; oidc: string[]; isDefault: boolean } | ScopeFailure;

/**
 * Checks a requested scope string against the app. Rules: exactly Azure DevOps resource scopes
 * (`499b84ac-.../.default` or `499b84ac-.../<name>`) plus optional OIDC scopes; `.default` cannot be mixed
 * with named scopes; a named scope the app does not hold needs consent (AADSTS65001).
 */
export function checkScopes(app: AppRecord, scopeParam: string | undefined, requireDefault = false): ScopeCheck {
  if (scopeParam === undefined || scopeParam.trim() === '') {
    return { ok: false, error: 'invalid_request', code: 900144, text: "The request body must contain the following parameter: 'scope'." };
  }
  const oidc: string[] = [];
  const named: string[] = [];
  let isDefault = false;
  for (const raw of scopeParam.trim().split(/\s+/)) {
    const lower = raw.toLowerCase();
    if (OIDC_SCOPES.has(lower)) {
      if (!oidc.includes(lower)) oidc.push(lower);
      continue;
    }
    const slash = raw.lastIndexOf('/');
    const resource = slash > 0 ? raw.slice(0, slash).toLowerCase() : '';
    const name = slash > 0 ? raw.slice(slash + 1) : raw;
    if (resource !== ADO_RESOURCE || name === '') {
      return {
        ok: false,
        error: 'invalid_scope',
        code: 70011,
        text: `The scope '${raw}' is not valid here. This emulator only serves the Azure DevOps resource (${ADO_RESOURCE}).`,
      };
    }
    if (name === '.default') isDefault = true;
    else if (!named.includes(name)) named.push(name);
  }
  if (isDefault && named.length > 0) {
    return { ok: false, error: 'invalid_scope', code: 70011, text: "The '.default' scope cannot be combined with named scopes of the same resource." };
  }
  if (!isDefault && named.length === 0) {
    return { ok: false, error: 'invalid_scope', code: 70011, text: 'The request asks for no Azure DevOps scope.' };
  }
  if (requireDefault && !isDefault) {
    return {
      ok: false,
      error: 'invalid_scope',
      code: 1002012,
      text: `The scope '${scopeParam}' is not valid. The client credentials flow needs the resource's '/.default' scope.`,
    };
  }
  const held = app.scopes.split(/\s+/).filter((s) => s !== '');
  if (isDefault) return { ok: true, granted: held, oidc, isDefault };
  const missing = named.filter((n) => !held.some((h) => h.toLowerCase() === n.toLowerCase()));
  if (missing.length > 0) return consentRequired(app);
  return { ok: true, granted: named, oidc, isDefault };
}

export function consentRequired(app: AppRecord): ScopeFailure {
  return {
    ok: false,
    error: 'invalid_grant',
    code: 65001,
    text: `Nobody has consented to the application '${app.clientId}' ('${app.displayName}') using the requested permissions. Send an interactive authorization request for this user and resource.`,
    suberror: 'consent_required',
  };
}

/** AADSTS700016: no app with that client ID in the tenant the request went to. */
export function appNotFound(state: State, req: EmuRequest, clientId: string, tenantId: string): EmuResponse {
  return oauthError(
    state,
    req,
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. The app may not be registered in this tenant, or the request went to the wrong tenant.`,
  );
}
