/**
 * Microsoft Entra sign-in: redeem the stored refresh token for an Azure DevOps access token with MSAL, in one
 * POST, through the task's HTTP layer. Every token Entra returns is registered as a secret the moment it
 * arrives, and the rotated refresh token is kept so the pipeline can store it.
 */
import {
  AuthError,
  ConfidentialClientApplication,
  LogLevel,
  PublicClientApplication,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { loc, type KeysTaking } from './messages.generated';
import { authorityEndpoints } from './authority';
import { SignInError, TaskError, TransportError } from './errors';
import type { HttpLayer } from './http';
import { clip, neutralize } from './sanitize';

export interface SignInSettings {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  authorityHost: string;
  scope: string;
}

export interface SignInResult {
  accessToken: string;
  /** The refresh token Entra returned in exchange (rotated); undefined when it sent none. */
  newRefreshToken?: string;
  /** The signed-in user's name, when Entra said. */
  user?: string;
}

/** MSAL's network client on top of the task's HTTP layer. */
export class MsalNetwork implements INetworkModule {
  /** The last failure of our own, which MSAL would otherwise reduce to a generic network error. */
  lastError?: TaskError;
  /** The newest refresh token seen in a token response. */
  refreshToken?: string;
  /** The last OAuth error answer, whole: MSAL reduces some (device code polling) to a bare error code. */
  lastOAuthError?: { errorCode: string; errorMessage: string; errorNo?: string; subError?: string };

  constructor(
    private readonly http: HttpLayer,
    private readonly registerSecret: (value: string) => void,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      ({ status, headers, body: text } = await this.http.send({ method, url, headers: options?.headers, body: options?.body, retry: 'idempotent' }));
    } catch (err) {
      this.lastError = err instanceof TaskError ? err : new TransportError(String((err as Error)?.message ?? err), false);
      throw new AuthError('network_error', this.lastError.message);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      this.lastError = new SignInError(loc('EntraNotJson', new URL(url).host, status, headers['content-type'] ?? 'none'), 'not_json');
      throw new AuthError('invalid_response', this.lastError.message);
    }
    if (body !== null && typeof body === 'object') {
      const fields = body as Record<string, unknown>;
      // The device code too: whoever has it can redeem the person's sign-in until it expires.
      for (const key of ['access_token', 'refresh_token', 'id_token', 'device_code']) {
        const value = fields[key];
        if (typeof value === 'string' && value !== '') this.registerSecret(value);
      }
      if (typeof fields.refresh_token === 'string' && fields.refresh_token !== '') this.refreshToken = fields.refresh_token;
      if (status >= 400 && typeof fields.error === 'string') {
        const codes = Array.isArray(fields.error_codes) ? (fields.error_codes as unknown[]) : [];
        this.lastOAuthError = {
          errorCode: fields.error,
          errorMessage: typeof fields.error_description === 'string' ? fields.error_description : fields.error,
          errorNo: codes.length > 0 ? String(codes[0]) : undefined,
          subError: typeof fields.suberror === 'string' ? fields.suberror : undefined,
        };
      }
    }
    return { status, headers, body: body as T };
  }
}

export async function signIn(
  settings: SignInSettings,
  refreshToken: string,
  http: HttpLayer,
  registerSecret: (value: string) => void,
  debug: (message: string) => void,
): Promise<SignInResult> {
  const network = new MsalNetwork(http, registerSecret);
  const config = msalConfiguration(settings, network, http, debug, settings.clientSecret ? { clientSecret: settings.clientSecret } : {});
  const app = settings.clientSecret ? new ConfidentialClientApplication(config) : new PublicClientApplication(config);
  let result;
  try {
    result = await app.acquireTokenByRefreshToken({ refreshToken, scopes: [settings.scope], forceCache: false });
  } catch (err) {
    throw network.lastError ?? describeEntraError(detailed(err, network), settings);
  }
  if (!result?.accessToken) throw new SignInError(loc('EntraNoAccessToken'), 'no_access_token');
  registerSecret(result.accessToken);
  return {
    accessToken: result.accessToken,
    newRefreshToken: network.refreshToken && network.refreshToken !== refreshToken ? network.refreshToken : undefined,
    user: result.account?.username || undefined,
  };
}

/**
 * An app-only token (client credentials) for a service principal: with a client assertion (workload identity
 * federation: the job's OIDC token) or a client secret. Used for Azure Key Vault through an Azure Resource
 * Manager service connection; never for the PAT API, which refuses service principals.
 */
export async function appToken(
  settings: Pick<SignInSettings, 'tenantId' | 'clientId' | 'authorityHost' | 'scope'>,
  credential: { clientAssertion: string } | { clientSecret: string },
  http: HttpLayer,
  registerSecret: (value: string) => void,
  debug: (message: string) => void,
): Promise<string> {
  const network = new MsalNetwork(http, registerSecret);
  const app = new ConfidentialClientApplication(msalConfiguration(settings, network, http, debug, credential));
  let result;
  try {
    result = await app.acquireTokenByClientCredential({ scopes: [settings.scope] });
  } catch (err) {
    throw network.lastError ?? describeEntraError(detailed(err, network), settings);
  }
  if (!result?.accessToken) throw new SignInError(loc('EntraNoAccessToken'), 'no_access_token');
  registerSecret(result.accessToken);
  return result.accessToken;
}

/** MSAL's configuration: the authority without discovery requests, our network client, no internal retries, no PII in logs. */
export function msalConfiguration(
  settings: Pick<SignInSettings, 'tenantId' | 'clientId' | 'authorityHost'>,
  network: MsalNetwork,
  http: HttpLayer,
  debug: (message: string) => void,
  credential: { clientSecret?: string; clientAssertion?: string },
): Configuration {
  const endpoints = authorityEndpoints(settings.authorityHost, settings.tenantId);
  http.trust(settings.authorityHost);
  return {
    auth: {
      clientId: settings.clientId,
      authority: endpoints.authority,
      knownAuthorities: endpoints.knownAuthorities,
      authorityMetadata: endpoints.authorityMetadata,
      cloudDiscoveryMetadata: endpoints.cloudDiscoveryMetadata,
      ...credential,
    },
    system: {
      networkClient: network,
      // The HTTP layer retries (honouring Retry-After), so MSAL's throttle cache never sees a 429.
      disableInternalRetries: true,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Info,
        loggerCallback: (_level, message, containsPii) => {
          if (!containsPii) debug(`MSAL: ${neutralize(message)}`);
        },
      },
    },
  };
}

/** MSAL's error, or the whole OAuth answer behind it when MSAL kept only the bare code. */
export function detailed(err: unknown, network: MsalNetwork): unknown {
  const e = err as MsalErrorShape;
  return network.lastOAuthError && !/AADSTS\d+/.test(String(e?.errorMessage ?? '')) && !e?.errorNo ? network.lastOAuthError : err;
}

interface MsalErrorShape {
  errorCode?: string;
  errorMessage?: string;
  subError?: string;
  errorNo?: string | number;
  message?: string;
}

/** Entra's error, in parts: OAuth error code, AADSTS number, and its description clipped to one safe line. */
function entraDetails(err: unknown): { code: string; number: string; summary: string } {
  const e = (err ?? {}) as MsalErrorShape;
  const text = String(e.errorMessage ?? e.message ?? err);
  const number = String(e.errorNo ?? /AADSTS(\d+)/.exec(text)?.[1] ?? '');
  // MSAL formats server errors as "Error(s): n - Timestamp: t - Description: AADSTSn: text Trace ID: ...".
  const description = /Description: ([\s\S]*)/.exec(text)?.[1] ?? text;
  const summary = clip(neutralize(description.split(/\r?\n|Trace ID:| - Correlation ID:/)[0]).trim(), 240);
  return { code: e.errorCode ?? 'unknown', number, summary };
}

/** Entra's error -> a message that says what to do. Classified by AADSTS number, not by MSAL's class. */
export function describeEntraError(err: unknown, settings: Pick<SignInSettings, 'tenantId' | 'clientId'>): TaskError {
  const { code, number, summary } = entraDetails(err);
  const key =
    ENTRA_MESSAGES[number] ?? (code === 'invalid_grant' ? 'SignInRefreshTokenRejected' : code === 'invalid_client' ? 'SignInClientRejected' : undefined);
  if (code === 'temporarily_unavailable' || /^5\d\d$/.test(number)) return new TransportError(loc('EntraUnavailable', summary), false);
  if (key) return new SignInError(loc(key, settings.tenantId, settings.clientId, summary), number || code);
  return new SignInError(loc('SignInFailed', code, summary), number || code);
}

/** What a person needs to complete a device code sign-in. */
export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  /** When the code stops working: now plus the lifetime Entra gave it (expires_in). */
  expiresOn: Date;
  /** Entra's own sentence saying where to go and what to enter. */
  message: string;
}

export interface DeviceCodeSignInResult {
  accessToken: string;
  /** The refresh token Entra returned (with offline_access); undefined when it sent none. */
  refreshToken?: string;
  user?: string;
}

/**
 * Device code sign-in as a public client (no secret): Entra gives a code, `prompt` shows it, and MSAL polls the
 * token endpoint until the person signs in or declines, or the code's lifetime (expires_in) is over. The scopes are
 * `scope` and offline_access, so Entra returns a refresh token. Every token is registered as a secret as it arrives
 * (MsalNetwork). Throws our own failure (network, TLS) or Entra's error as it came, for the caller to explain.
 */
export async function deviceCodeSignIn(
  settings: Pick<SignInSettings, 'tenantId' | 'clientId' | 'authorityHost' | 'scope'>,
  network: MsalNetwork,
  http: HttpLayer,
  debug: (message: string) => void,
  prompt: (code: DeviceCodePrompt) => void,
): Promise<DeviceCodeSignInResult> {
  const app = new PublicClientApplication(msalConfiguration(settings, network, http, debug, {}));
  let result;
  try {
    result = await app.acquireTokenByDeviceCode({
      scopes: [settings.scope, 'offline_access'],
      deviceCodeCallback: (r) =>
        prompt({
          userCode: r.userCode,
          verificationUri: r.verificationUri,
          expiresOn: new Date(Date.now() + r.expiresIn * 1000),
          message: r.message,
        }),
    });
  } catch (err) {
    throw network.lastError ?? detailed(err, network);
  }
  if (!result?.accessToken) throw new SignInError(loc('EntraNoAccessToken'), 'no_access_token');
  return { accessToken: result.accessToken, refreshToken: network.refreshToken, user: result.account?.username || undefined };
}

/**
 * A failed device code sign-in -> what to do: a tenant that blocks the flow, a code nobody used in time, a person
 * who declined, an app without public client flows; otherwise as any sign-in error. Meanings from Microsoft's
 * device code flow page (errors authorization_declined, expired_token) and error code reference (53003, 7000218).
 */
export function describeDeviceCodeError(
  err: unknown,
  settings: Pick<SignInSettings, 'tenantId' | 'clientId'>,
  fallback: { command: string; minutes: number },
): TaskError {
  if (err instanceof TaskError) return err;
  const { code, number, summary } = entraDetails(err);
  if (number === '53003') return new SignInError(loc('SignInDeviceCodeBlocked', settings.tenantId, settings.clientId, summary, fallback.command), number);
  if (code === 'authorization_declined' || code === 'access_denied') return new SignInError(loc('SignInDeviceCodeDeclined', summary), code);
  // Entra's expired_token, or MSAL's own check of the code's lifetime (device_code_expired).
  if (code === 'expired_token' || code === 'device_code_expired' || number === '70019')
    return new SignInError(loc('SignInDeviceCodeExpired', fallback.minutes), code);
  if (number === '7000218') return new SignInError(loc('SignInDeviceCodePublicClient', settings.clientId, settings.tenantId, summary), number);
  return describeEntraError(err, settings);
}

/**
 * AADSTS numbers -> messages. Each meaning is taken from Microsoft's reference of Entra error codes,
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes (MicrosoftDocs/entra-docs,
 * docs/identity-platform/reference-error-codes.md); the name there is given after each code. Numbers not listed
 * (e.g. 90023, a generic InvalidRequest) get the generic SignInFailed message, or one by OAuth error.
 */
const ENTRA_MESSAGES: Record<string, KeysTaking<3>> = {
  // ExpiredOrRevokedGrant: the refresh token expired due to inactivity.
  '70008': 'SignInRefreshTokenExpired',
  // ExpiredOrRevokedGrantInactiveToken: the refresh token expired due to inactivity.
  '700082': 'SignInRefreshTokenExpired',
  // A refresh token issued to a single-page app has a fixed lifetime (24 hours) that cannot be extended.
  '700084': 'SignInSpaRefreshTokenExpired',
  // BadTokenDueToSignInFrequency: the refresh token expired or is invalid due to Conditional Access sign-in frequency.
  '70043': 'SignInFrequency',
  // FreshTokenNeeded: the grant was revoked (by an admin or the user); the user must sign in again.
  '50173': 'SignInRefreshTokenRevoked',
  // SsoArtifactRevoked: the session is not valid because of password expiration or a recent password change.
  '50133': 'SignInRefreshTokenRevoked',
  // InvalidRequest: the request is malformed or invalid (what a garbled refresh token gets).
  '9002313': 'SignInRefreshTokenRejected',
  // InvalidGrant: authentication failed, the refresh token is not valid.
  '70000': 'SignInRefreshTokenRejected',
  // DelegationDoesNotExist: no consent for the app.
  '65001': 'SignInConsent',
  // UserDeclinedConsent.
  '65004': 'SignInConsent',
  // UserStrongAuthClientAuthNRequired: multifactor authentication required.
  '50076': 'SignInMfa',
  // UserStrongAuthEnrollmentRequired: multifactor authentication required (registration or federated claim).
  '50079': 'SignInMfa',
  // ExternalSecurityChallenge: an external security challenge was not satisfied.
  '50158': 'SignInMfa',
  // BlockedByConditionalAccess: the access policy does not allow token issuance.
  '53003': 'SignInConditionalAccess',
  // CmsiInterrupt: user confirmation is required for this request (a security prompt, not conditional access).
  '50199': 'SignInConfirmation',
  // Invalid client secret.
  '7000215': 'SignInBadClientSecret',
  // InvalidClientSecretExpiredKeysProvided.
  '7000222': 'SignInClientSecretExpired',
  // The request body must contain 'client_assertion' or 'client_secret'.
  '7000218': 'SignInNeedsSecret',
  // InvalidClientPublicClientWithCredential: a public client sends no secret.
  '700025': 'SignInPublicClientSecret',
  // UnauthorizedClient_DoesNotMatchRequest: the application was not found in the tenant.
  '700016': 'SignInAppNotFound',
  // InvalidTenantName: the tenant was not found.
  '90002': 'SignInTenantNotFound',
  // UserUnauthorized: the user's account does not exist in the tenant.
  '50020': 'SignInWrongTenant',
  // InvalidResourceServicePrincipalNotFound: the resource (Azure DevOps) is not in the tenant.
  '500011': 'SignInWrongResource',
};
