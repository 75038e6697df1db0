// Microsoft Entra endpoints other than the token grants: routing, device code, authorize, discovery.
import { EmuRequest, EmuResponse, escapeHtml, htmlResponse, jsonResponse, parseForm, queryParam } from './http';
import { appNotFound, checkScopes, oauthError, oauthErrorBody } from './entraErrors';
import { handleToken, resolveTenant, tenantNotFound } from './entraToken';
import { newUserCode, randomBase64url } from './random';
import { State } from './state';
import type { AuthorityMetadata, RequestKind } from './types';

const TOKEN_RE = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i;
const DEVICECODE_RE = /^\/([^/]+)\/oauth2\/v2\.0\/devicecode\/?$/i;
const AUTHORIZE_RE = /^\/([^/]+)\/oauth2\/v2\.0\/authorize\/?$/i;
const OPENID_CONFIG_RE = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i;
const INSTANCE_RE = /^\/([^/]+)\/discovery\/instance\/?$/i;
const KEYS_RE = /^\/([^/]+)\/discovery\/(v2\.0\/)?keys\/?$/i;

const DEVICE_CODE_LIFETIME_S = 900;

export function entraKind(path: string): RequestKind | undefined {
  if (TOKEN_RE.test(path)) return 'token';
  if (DEVICECODE_RE.test(path)) return 'devicecode';
  if (AUTHORIZE_RE.test(path)) return 'authorize';
  if (OPENID_CONFIG_RE.test(path) || INSTANCE_RE.test(path) || KEYS_RE.test(path)) return 'discovery';
  if (/\/\.well-known\//i.test(path)) return 'discovery';
  return undefined;
}

export function handleEntra(state: State, req: EmuRequest): EmuResponse {
  let m: RegExpExecArray | null;
  if ((m = TOKEN_RE.exec(req.path))) {
    if (req.method !== 'POST') return onlyPost(state, req);
    return handleToken(state, req, decodeURIComponent(m[1]));
  }
  if ((m = DEVICECODE_RE.exec(req.path))) {
    if (req.method !== 'POST') return onlyPost(state, req);
    return handleDeviceCode(state, req, decodeURIComponent(m[1]));
  }
  if ((m = AUTHORIZE_RE.exec(req.path))) return handleAuthorize(state, req, decodeURIComponent(m[1]));
  if ((m = OPENID_CONFIG_RE.exec(req.path))) {
    const tenant = decodeURIComponent(m[1]);
    if (!isKnownTenantSegment(state, tenant)) return tenantNotFound(state, req, tenant);
    return jsonResponse(200, authorityMetadata(state.baseUrl, tenant));
  }
  if (INSTANCE_RE.test(req.path)) return jsonResponse(200, instanceDiscovery(state.baseUrl));
  if (KEYS_RE.test(req.path)) return jsonResponse(200, { keys: [] });
  return jsonResponse(404, { error: 'not_found', error_description: `No Entra endpoint at ${req.path}` });
}

function onlyPost(state: State, req: EmuRequest): EmuResponse {
  return oauthError(state, req, 400, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
}

function isKnownTenantSegment(state: State, tenant: string): boolean {
  const lower = tenant.toLowerCase();
  return lower === 'common' || lower === 'organizations' || state.tenants.has(lower);
}

export function authorityMetadata(baseUrl: string, tenant: string): AuthorityMetadata {
  const lower = tenant.toLowerCase();
  const multi = lower === 'common' || lower === 'organizations';
  const t = encodeURIComponent(lower);
  return {
    token_endpoint: `${baseUrl}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${baseUrl}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${baseUrl}/${multi ? '{tenantid}' : t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${baseUrl}/${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${baseUrl}/${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${baseUrl}/${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'oid'],
    tenant_region_scope: null,
    cloud_instance_name: 'emulator.local',
    cloud_graph_host_name: 'graph.emulator.local',
    msgraph_host: 'graph.emulator.local',
  };
}

/** The object MSAL accepts as `cloudDiscoveryMetadata` (and what GET /common/discovery/instance answers). */
export function instanceDiscovery(baseUrl: string): Record<string, unknown> {
  const host = new URL(baseUrl).host;
  return {
    tenant_discovery_endpoint: `${baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

function handleDeviceCode(state: State, req: EmuRequest, tenantSegment: string): EmuResponse {
  const form = parseForm(req.bodyText);
  const tenant = resolveTenant(state, tenantSegment, form.client_id);
  if (!tenant) return tenantNotFound(state, req, tenantSegment);
  if (!form.client_id) {
    return oauthError(state, req, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const app = state.apps.get(form.client_id.toLowerCase());
  if (!app || app.tenantId !== tenant.id) {
    return appNotFound(state, req, form.client_id, tenant.id);
  }
  const scopes = checkScopes(app, form.scope);
  if (!scopes.ok) return oauthError(state, req, 400, scopes.error, scopes.code, scopes.text, { suberror: scopes.suberror });
  const deviceCode = `DAQABIQEAAA${randomBase64url(90)}`;
  const userCode = newUserCode();
  state.deviceCodes.set(deviceCode, {
    userCode,
    tenantId: tenant.id,
    clientId: app.clientId,
    scope: form.scope ?? '',
    expiresAtMs: state.clock.nowMs() + DEVICE_CODE_LIFETIME_S * 1000,
    status: 'pending',
  });
  const verificationUri = `${state.baseUrl}/devicelogin`;
  return jsonResponse(200, {
    user_code: userCode,
    device_code: deviceCode,
    verification_uri: verificationUri,
    expires_in: DEVICE_CODE_LIFETIME_S,
    interval: 1,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
  });
}

function findDeviceCode(state: State, userCode: string) {
  const wanted = userCode.replace(/[-\s]/g, '').toUpperCase();
  for (const grant of state.deviceCodes.values()) if (grant.userCode === wanted) return grant;
  throw new Error(`No device code with user code ${userCode}`);
}

export function approveDeviceCode(state: State, userCode: string, userId?: string): void {
  const grant = findDeviceCode(state, userCode);
  const user = userId ? state.requireUser(userId) : state.interactiveUserFor(grant.tenantId);
  if (!user) throw new Error(`No user in tenant ${grant.tenantId} to approve ${userCode}`);
  grant.status = 'approved';
  grant.userId = user.id;
}

export function declineDeviceCode(state: State, userCode: string): void {
  findDeviceCode(state, userCode).status = 'declined';
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]');
  } catch {
    return false;
  }
}

function errorPage(status: number, code: number, text: string): EmuResponse {
  return htmlResponse(
    status,
    `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${text.replace(/[<>&]/g, '')}</p></body></html>\n`,
  );
}

function redirectTo(uri: string, params: Record<string, string | undefined>): EmuResponse {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  const location = u.toString();
  return htmlResponse(302, `<html><body>Redirecting to <a href="${location.replace(/"/g, '%22')}">the application</a>.</body></html>\n`, { location });
}

/** response_mode=form_post: an auto-submitting form that POSTs the parameters to the redirect URI. */
function formPost(uri: string, params: Record<string, string | undefined>): EmuResponse {
  const esc = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const fields = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}"/>`)
    .join('');
  return htmlResponse(
    200,
    `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${esc(uri)}">${fields}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"/></noscript></form><script>document.forms[0].submit();</script></body></html>\n`,
  );
}

/** GET /{tenant}/oauth2/v2.0/authorize: signs in the interactive user at once and answers with a code (redirect or form_post). */
function handleAuthorize(state: State, req: EmuRequest, tenantSegment: string): EmuResponse {
  const q = (name: string): string | undefined => queryParam(req, name);
  const clientId = q('client_id');
  const tenant = resolveTenant(state, tenantSegment, clientId);
  if (!tenant) return errorPage(400, 90002, `Tenant '${tenantSegment}' not found.`);
  const app = clientId ? state.apps.get(clientId.toLowerCase()) : undefined;
  if (!app || app.tenantId !== tenant.id) {
    return errorPage(400, 700016, `Application with identifier '${clientId ?? ''}' was not found in the directory '${tenant.id}'.`);
  }
  const redirectUri = q('redirect_uri');
  if (!redirectUri || !isLoopbackRedirect(redirectUri)) {
    return errorPage(
      400,
      50011,
      `The redirect URI '${redirectUri ?? ''}' does not match the redirect URIs configured for the application (only http loopback addresses are registered).`,
    );
  }
  const st = q('state');
  const answer = (params: Record<string, string | undefined>): EmuResponse =>
    q('response_mode') === 'form_post' ? formPost(redirectUri, params) : redirectTo(redirectUri, params);
  const fail = (error: string, code: number, text: string, suberror?: string): EmuResponse => {
    const body = oauthErrorBody(state, req, error, code, text, { suberror });
    return answer({
      error,
      error_description: String(body.error_description),
      error_uri: String(body.error_uri),
      error_subcode: suberror,
      state: st,
    });
  };
  if (q('response_type') !== 'code') return fail('unsupported_response_type', 70005, "This emulator supports only response_type 'code'.");
  const scopes = checkScopes(app, q('scope'));
  if (!scopes.ok) return fail(scopes.error === 'invalid_grant' ? 'consent_required' : scopes.error, scopes.code, scopes.text);
  if (!app.consented) {
    return fail('consent_required', 65001, `Nobody has consented to the application '${app.clientId}' ('${app.displayName}') using the requested permissions.`);
  }
  const challenge = q('code_challenge');
  const method = q('code_challenge_method');
  if (challenge !== undefined && method !== undefined && method !== 'S256' && method !== 'plain') {
    return fail('invalid_request', 501491, `Unsupported code_challenge_method '${method}'.`);
  }
  const user = state.interactiveUserFor(tenant.id);
  if (!user) return fail('login_required', 50058, 'No user is signed in and there is no user in this tenant to sign in.');
  const code = `1.A${randomBase64url(180)}`;
  state.authCodes.set(code, {
    clientId: app.clientId,
    redirectUri,
    challenge,
    challengeMethod: challenge !== undefined ? (method ?? 'plain') : undefined,
    userId: user.id,
    scope: q('scope') ?? '',
    nonce: q('nonce'),
    expiresAtMs: state.clock.nowMs() + 10 * 60 * 1000,
    used: false,
  });
  return answer({ code, state: st, session_state: randomBase64url(16) });
}

/**
 * GET/POST /devicelogin, the device code flow's verification_uri: not Entra's page, a stand-in for trying the flow
 * by hand. GET shows a form (user code, Approve, Decline; `?user_code=` fills it in); POST `user_code` and
 * `action=approve|decline` approves the code as the tenant's interactive user, or declines it.
 */
export function deviceLoginPage(state: State, req: EmuRequest): EmuResponse {
  if (req.method === 'POST') {
    const form = parseForm(req.bodyText);
    const userCode = (form.user_code ?? '').trim();
    const decline = form.action === 'decline';
    let grant;
    try {
      grant = findDeviceCode(state, userCode);
    } catch {
      return deviceLoginHtml(404, `No sign-in is waiting for the code '${userCode}'. Check the code your terminal shows.`, userCode);
    }
    if (grant.status !== 'pending' || grant.expiresAtMs <= state.clock.nowMs()) {
      return deviceLoginHtml(409, `The code '${grant.userCode}' is no longer waiting (${grant.status === 'pending' ? 'expired' : grant.status}).`, '');
    }
    if (decline) {
      declineDeviceCode(state, userCode);
      return deviceLoginHtml(200, `Declined the sign-in for code ${grant.userCode}. The terminal reports that it was declined.`, '');
    }
    try {
      approveDeviceCode(state, userCode);
    } catch (err) {
      return deviceLoginHtml(409, err instanceof Error ? err.message : String(err), userCode);
    }
    const user = grant.userId ? state.users.get(grant.userId) : undefined;
    return deviceLoginHtml(
      200,
      `Approved: signed in as ${user?.upn ?? 'the demo user'} for code ${grant.userCode}. You can close this page and return to the terminal.`,
      '',
    );
  }
  return deviceLoginHtml(200, '', queryParam(req, 'user_code') ?? '');
}

function deviceLoginHtml(status: number, message: string, userCode: string): EmuResponse {
  return htmlResponse(
    status,
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Enter code</title>\n</head>\n<body>\n' +
      '<h1>Enter code</h1>\n' +
      (message ? `<p id="result">${escapeHtml(message)}</p>\n` : '') +
      "<p>Enter the code that the sign-in command (or task) displays to sign in as the emulator's demo user.</p>\n" +
      '<form method="POST" action="/devicelogin">\n' +
      `<label>Code <input name="user_code" value="${escapeHtml(userCode)}" autocomplete="off" autofocus></label>\n` +
      '<button type="submit" name="action" value="approve">Approve</button>\n' +
      '<button type="submit" name="action" value="decline">Decline</button>\n' +
      '</form>\n<!-- pat-lifecycle emulator: device code page -->\n</body>\n</html>\n',
  );
}
