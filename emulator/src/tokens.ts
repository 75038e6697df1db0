// JWT-shaped tokens. Nothing is really signed: the emulator recognises its own tokens by lookup.
import { AccessGrant, ACCESS_TOKEN_LIFETIME_S, ADO_RESOURCE, REFRESH_TOKEN_LIFETIME_MS, State } from './state';
import { base64url, newRefreshToken, randomBase64url } from './random';
import type { AppRecord, UserRecord } from './types';

export function makeJwt(claims: Record<string, unknown>): string {
  const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'emulator-signing-key' }));
  return `${head}.${base64url(JSON.stringify(claims))}.${randomBase64url(64)}`;
}

function clientInfo(user: UserRecord): string {
  return base64url(JSON.stringify({ uid: user.id, utid: user.tenantId }));
}

/** Issue a delegated Azure DevOps access token and remember it. */
export function issueUserAccessToken(state: State, app: AppRecord, user: UserRecord, scp: string, expired = false): string {
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const exp = expired ? nowS - 60 : nowS + ACCESS_TOKEN_LIFETIME_S;
  const token = makeJwt({
    aud: ADO_RESOURCE,
    iss: `${state.baseUrl}/${user.tenantId}/`,
    iat: nowS,
    nbf: nowS,
    exp,
    appid: app.clientId,
    appidacr: app.clientSecret ? '1' : '0',
    idtyp: 'user',
    name: user.name,
    oid: user.id,
    scp,
    sub: randomBase64url(32),
    tid: user.tenantId,
    unique_name: user.upn,
    upn: user.upn,
    uti: randomBase64url(16),
    ver: '1.0',
  });
  state.accessTokens.set(token, {
    kind: 'user',
    tenantId: user.tenantId,
    clientId: app.clientId,
    oid: user.id,
    userId: user.id,
    scp,
    expMs: exp * 1000,
    name: user.name,
  });
  return token;
}

export function issueAppAccessToken(state: State, app: AppRecord): string {
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const exp = nowS + ACCESS_TOKEN_LIFETIME_S;
  const token = makeJwt({
    aud: ADO_RESOURCE,
    iss: `${state.baseUrl}/${app.tenantId}/`,
    iat: nowS,
    nbf: nowS,
    exp,
    appid: app.clientId,
    appidacr: '1',
    idtyp: 'app',
    oid: app.servicePrincipalId,
    roles: [],
    sub: app.servicePrincipalId,
    tid: app.tenantId,
    uti: randomBase64url(16),
    ver: '1.0',
  });
  state.accessTokens.set(token, appGrant(app, exp));
  return token;
}

/** What an app-only token (Azure DevOps or Key Vault) stands for. */
function appGrant(app: AppRecord, expS: number): AccessGrant {
  return { kind: 'app', tenantId: app.tenantId, clientId: app.clientId, oid: app.servicePrincipalId, scp: '', expMs: expS * 1000, name: app.displayName };
}

function makeIdToken(state: State, app: AppRecord, user: UserRecord, nonce?: string): string {
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const claims: Record<string, unknown> = {
    aud: app.clientId,
    iss: `${state.baseUrl}/${user.tenantId}/v2.0`,
    iat: nowS,
    nbf: nowS,
    exp: nowS + 3600,
    name: user.name,
    oid: user.id,
    preferred_username: user.upn,
    rh: randomBase64url(24),
    sub: randomBase64url(32),
    tid: user.tenantId,
    uti: randomBase64url(16),
    ver: '2.0',
  };
  if (nonce !== undefined) claims.nonce = nonce;
  return makeJwt(claims);
}

export function storeRefreshToken(state: State, app: AppRecord, user: UserRecord): string {
  const now = state.clock.nowMs();
  const token = newRefreshToken();
  state.refreshTokens.set(token, {
    tenantId: user.tenantId,
    clientId: app.clientId,
    userId: user.id,
    issuedAtMs: now,
    expiresAtMs: now + REFRESH_TOKEN_LIFETIME_MS,
    revoked: false,
  });
  return token;
}

interface UserTokenResponseOptions {
  /** Granted Azure DevOps scope names (without the resource prefix). */
  granted: string[];
  /** OIDC scopes that were requested (openid, profile, offline_access, email). */
  oidc: string[];
  withRefreshToken: boolean;
  withClientInfo: boolean;
  nonce?: string;
}

/** The body of a successful delegated token response. */
export function userTokenResponse(state: State, app: AppRecord, user: UserRecord, options: UserTokenResponseOptions): Record<string, unknown> {
  const scp = options.granted.join(' ');
  const scope = [...options.granted.map((s) => `${ADO_RESOURCE}/${s}`), ...options.oidc].join(' ');
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope,
    expires_in: ACCESS_TOKEN_LIFETIME_S,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
    access_token: issueUserAccessToken(state, app, user, scp),
  };
  if (options.withRefreshToken) body.refresh_token = storeRefreshToken(state, app, user);
  if (options.oidc.includes('openid')) body.id_token = makeIdToken(state, app, user, options.nonce);
  if (options.withClientInfo) body.client_info = clientInfo(user);
  return body;
}

/** An app-only access token for Key Vault (aud https://vault.azure.net), kept apart from Azure DevOps tokens. */
export function issueVaultAccessToken(state: State, app: AppRecord): string {
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const exp = nowS + ACCESS_TOKEN_LIFETIME_S;
  const token = makeJwt({
    aud: 'https://vault.azure.net',
    iss: `${state.baseUrl}/${app.tenantId}/`,
    iat: nowS,
    nbf: nowS,
    exp,
    appid: app.clientId,
    appidacr: app.clientSecret ? '1' : '2',
    idtyp: 'app',
    oid: app.servicePrincipalId,
    sub: app.servicePrincipalId,
    tid: app.tenantId,
    uti: randomBase64url(16),
    ver: '1.0',
  });
  state.vaultTokens.set(token, appGrant(app, exp));
  return token;
}
