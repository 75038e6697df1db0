// POST /{tenant}/oauth2/v2.0/token: refresh_token, client_credentials, authorization_code and device_code grants.
import { createHash } from 'crypto';
import { EmuRequest, EmuResponse, jsonResponse, parseForm } from './http';
import { appNotFound, checkScopes, consentRequired, oauthError, ScopeFailure } from './entraErrors';
import { State } from './state';
import { checkAssertion } from './oidc';
import { issueAppAccessToken, issueVaultAccessToken, userTokenResponse } from './tokens';
import type { AppRecord, TenantRecord, UserRecord } from './types';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

type Form = Record<string, string>;

interface Call {
  state: State;
  req: EmuRequest;
  form: Form;
  tenant: TenantRecord;
  app: AppRecord;
}

/** Resolves the tenant in the path; 'common' and 'organizations' mean the app's home tenant. */
export function resolveTenant(state: State, segment: string, clientId: string | undefined): TenantRecord | undefined {
  const lower = segment.toLowerCase();
  if (lower === 'common' || lower === 'organizations') {
    const app = clientId ? state.apps.get(clientId.toLowerCase()) : undefined;
    return app ? state.tenants.get(app.tenantId) : undefined;
  }
  return state.tenants.get(lower);
}

export function tenantNotFound(state: State, req: EmuRequest, segment: string): EmuResponse {
  return oauthError(state, req, 400, 'invalid_request', 90002, `Tenant '${segment}' not found. Check the tenant id and the cloud you are signing in to.`);
}

function missingParam(state: State, req: EmuRequest, name: string): EmuResponse {
  return oauthError(state, req, 400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
}

function success(body: Record<string, unknown>): EmuResponse {
  return jsonResponse(200, body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
}

function scopeError(c: Call, check: ScopeFailure): EmuResponse {
  return oauthError(c.state, c.req, 400, check.error, check.code, check.text, { suberror: check.suberror });
}

export function handleToken(state: State, req: EmuRequest, tenantSegment: string): EmuResponse {
  const form = parseForm(req.bodyText);
  const tenant = resolveTenant(state, tenantSegment, form.client_id);
  if (!tenant) return tenantNotFound(state, req, tenantSegment);
  if (!form.grant_type) return missingParam(state, req, 'grant_type');
  if (!form.client_id) return missingParam(state, req, 'client_id');
  const app = state.apps.get(form.client_id.toLowerCase());
  if (!app || app.tenantId !== tenant.id) {
    return appNotFound(state, req, form.client_id, tenant.id);
  }
  const c: Call = { state, req, form, tenant, app };
  switch (form.grant_type) {
    case 'refresh_token':
      return refreshGrant(c);
    case 'client_credentials':
      return clientCredentialsGrant(c);
    case 'authorization_code':
      return authCodeGrant(c);
    case DEVICE_CODE_GRANT:
    case 'device_code': // MSAL sends the short name; Entra accepts both
      return deviceCodeGrant(c);
    default:
      return oauthError(state, req, 400, 'unsupported_grant_type', 70003, `The app asked for an unsupported grant type ('${form.grant_type}').`);
  }
}

/**
 * Client authentication. A secret, when sent, must be right (and the app must have one). Without a secret
 * the app must allow public client flows, unless `confidentialOnly`, which always needs the secret.
 */
function authenticateClient(c: Call, confidentialOnly: boolean): EmuResponse | undefined {
  const { app, form, state, req } = c;
  const invalidClient = (code: number, text: string): EmuResponse => oauthError(state, req, 401, 'invalid_client', code, text);
  if (form.client_assertion !== undefined) {
    if (form.client_assertion_type !== JWT_BEARER_ASSERTION) {
      return oauthError(state, req, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
    }
    if (form.client_secret !== undefined) {
      return oauthError(state, req, 400, 'invalid_request', 90023, "Send either 'client_assertion' or 'client_secret', not both.");
    }
    const check = checkAssertion(state, form.client_assertion, app.federatedCredentials);
    if (!check.ok) return oauthError(state, req, check.status, check.error, check.code, check.text);
    return undefined;
  }
  const secret = form.client_secret;
  if (secret !== undefined) {
    if (app.clientSecret === undefined) {
      return invalidClient(700025, "The client is public, so neither 'client_assertion' nor 'client_secret' should be sent.");
    }
    if (secret !== app.clientSecret) {
      return invalidClient(7000215, `The client secret sent for app '${app.clientId}' is not valid. Send the secret's value, not its id.`);
    }
    if (app.secretExpired) return invalidClient(7000222, `The client secret keys of app '${app.clientId}' have expired. Create a new secret for the app.`);
    return undefined;
  }
  if (confidentialOnly || !app.allowPublicClient) {
    return invalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  return undefined;
}

function userOf(c: Call, userId: string): UserRecord | undefined {
  return c.state.users.get(userId);
}

function refreshGrant(c: Call): EmuResponse {
  const { state, req, form, app, tenant } = c;
  const authError = authenticateClient(c, false);
  if (authError) return authError;
  if (!form.refresh_token) return missingParam(state, req, 'refresh_token');
  const grant = state.refreshTokens.get(form.refresh_token);
  if (!grant) return oauthError(state, req, 400, 'invalid_grant', 9002313, 'Invalid request. The request is malformed or invalid.');
  if (grant.clientId !== app.clientId || grant.tenantId !== tenant.id) {
    return oauthError(state, req, 400, 'invalid_grant', 70000, 'The provided grant is invalid or malformed: it was issued to another client or tenant.');
  }
  if (grant.revoked) {
    return oauthError(
      state,
      req,
      400,
      'invalid_grant',
      50173,
      'The provided grant has expired because it was revoked; a fresh sign-in is needed. The user may have changed or reset their password.',
    );
  }
  if (grant.expiresAtMs <= state.clock.nowMs()) {
    return oauthError(
      state,
      req,
      400,
      'invalid_grant',
      700082,
      `The refresh token has expired due to inactivity. The token was issued on ${new Date(grant.issuedAtMs).toISOString()} and was inactive for 90.00:00:00.`,
    );
  }
  if (grant.refusal === 'signInFrequency') {
    return oauthError(
      state,
      req,
      400,
      'invalid_grant',
      70043,
      `The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on ${new Date(grant.issuedAtMs).toISOString()} and the maximum allowed lifetime for this request is 1.00:00:00.`,
    );
  }
  if (grant.refusal === 'userConfirmation') {
    return oauthError(
      state,
      req,
      400,
      'interaction_required',
      50199,
      'For security reasons, user confirmation is required for this request. Please repeat the request allowing user interaction.',
    );
  }
  const scopes = checkScopes(app, form.scope);
  if (!scopes.ok) return scopeError(c, scopes);
  if (!app.consented) return scopeError(c, consentRequired(app));
  if (app.mfaRequired) {
    return oauthError(
      state,
      req,
      400,
      'interaction_required',
      50076,
      `Because of a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '499b84ac-1321-427f-aa17-267ca6975798'.`,
    );
  }
  const user = userOf(c, grant.userId);
  if (!user) return oauthError(state, req, 400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
  return success(
    userTokenResponse(state, app, user, {
      granted: scopes.granted,
      oidc: scopes.oidc,
      withRefreshToken: true,
      withClientInfo: form.client_info === '1',
    }),
  );
}

/** True when the scope asks for Key Vault: `https://vault.azure.net/.default` (also with a doubled slash). */
function isVaultScope(scope: string | undefined): boolean {
  const parts = (scope ?? '').trim().split(/\s+/);
  return parts.length === 1 && /^https:\/\/vault\.azure\.net\/\/?\.default$/i.test(parts[0]);
}

function clientCredentialsGrant(c: Call): EmuResponse {
  const authError = authenticateClient(c, true);
  if (authError) return authError;
  if (isVaultScope(c.form.scope)) {
    return success({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: issueVaultAccessToken(c.state, c.app) });
  }
  const scopes = checkScopes(c.app, c.form.scope, true);
  if (!scopes.ok) return scopeError(c, scopes);
  return success({
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: issueAppAccessToken(c.state, c.app),
  });
}

function pkceMatches(verifier: string, challenge: string, method: string | undefined): boolean {
  if ((method ?? 'plain').toLowerCase() === 'plain') return verifier === challenge;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

function authCodeGrant(c: Call): EmuResponse {
  const { state, req, form, app } = c;
  const authError = authenticateClient(c, false);
  if (authError) return authError;
  if (!form.code) return missingParam(state, req, 'code');
  const grant = state.authCodes.get(form.code);
  if (!grant) return oauthError(state, req, 400, 'invalid_grant', 9002313, 'Invalid request. The request is malformed or invalid.');
  if (grant.clientId !== app.clientId) {
    return oauthError(state, req, 400, 'invalid_grant', 70000, 'The provided grant is invalid or malformed: the code was issued to another client.');
  }
  if (grant.used) {
    return oauthError(state, req, 400, 'invalid_grant', 54005, 'The authorization code was already redeemed. Get a new code or use the refresh token.');
  }
  if (grant.expiresAtMs <= state.clock.nowMs()) {
    return oauthError(state, req, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity.');
  }
  if (form.redirect_uri !== grant.redirectUri) {
    return oauthError(
      state,
      req,
      400,
      'invalid_grant',
      70000,
      'The provided grant is invalid or malformed: redirect_uri differs from the one used to get the code.',
    );
  }
  if (grant.challenge !== undefined) {
    if (!form.code_verifier) return missingParam(state, req, 'code_verifier');
    if (!pkceMatches(form.code_verifier, grant.challenge, grant.challengeMethod)) {
      return oauthError(state, req, 400, 'invalid_grant', 501481, 'The code_verifier does not match the code_challenge sent with the authorization request.');
    }
  }
  grant.used = true;
  const user = userOf(c, grant.userId);
  const scopes = checkScopes(app, grant.scope);
  if (!user || !scopes.ok) return invalidGrant(c);
  return interactiveTokens(c, user, scopes, grant.nonce);
}

/** Code and device-code grants: tokens for the signed-in user, a refresh token only with offline_access. */
function interactiveTokens(c: Call, user: UserRecord, scopes: { granted: string[]; oidc: string[] }, nonce?: string): EmuResponse {
  const { state, app, form } = c;
  return success(
    userTokenResponse(state, app, user, {
      granted: scopes.granted,
      oidc: scopes.oidc,
      withRefreshToken: scopes.oidc.includes('offline_access'),
      withClientInfo: form.client_info === '1',
      nonce,
    }),
  );
}

function invalidGrant(c: Call): EmuResponse {
  return oauthError(c.state, c.req, 400, 'invalid_grant', 70000, 'The provided grant is invalid or malformed.');
}

function deviceCodeGrant(c: Call): EmuResponse {
  const { state, req, form, app } = c;
  if (!form.device_code) return missingParam(state, req, 'device_code');
  const grant = state.deviceCodes.get(form.device_code);
  if (!grant || grant.clientId !== app.clientId || grant.status === 'redeemed') {
    return invalidGrant(c);
  }
  const authError = authenticateClient(c, false);
  if (authError) return authError;
  if (app.deviceCodeBlocked) {
    return oauthError(
      state,
      req,
      400,
      'invalid_grant',
      53003,
      'Access has been blocked by Conditional Access policies: the policy does not allow the device code flow for this application.',
    );
  }
  if (grant.expiresAtMs <= state.clock.nowMs()) {
    return oauthError(state, req, 400, 'expired_token', 70019, 'The device code has expired. Start a new device code sign-in.');
  }
  if (grant.status === 'declined') {
    return oauthError(state, req, 400, 'authorization_declined', 65004, 'The user declined to sign in to the application.');
  }
  if (grant.status === 'pending') {
    return oauthError(state, req, 400, 'authorization_pending', 70016, 'Device code sign-in: authorization is pending. Keep polling.');
  }
  if (!app.consented) return scopeError(c, consentRequired(app));
  const user = grant.userId ? userOf(c, grant.userId) : undefined;
  const scopes = checkScopes(app, grant.scope);
  if (!user || !scopes.ok) return invalidGrant(c);
  grant.status = 'redeemed';
  return interactiveTokens(c, user, scopes);
}
