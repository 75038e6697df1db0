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
import * as tl from 'azure-pipelines-task-lib/task';
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
  expiresOn?: Date;
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
      this.lastError = new SignInError(tl.loc('EntraNotJson', new URL(url).host, status, headers['content-type'] ?? 'none'), 'not_json');
      throw new AuthError('invalid_response', this.lastError.message);
    }
    if (body !== null && typeof body === 'object') {
      const fields = body as Record<string, unknown>;
      for (const key of ['access_token', 'refresh_token', 'id_token']) {
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
  const endpoints = authorityEndpoints(settings.authorityHost, settings.tenantId);
  http.trust(settings.authorityHost);
  const config: Configuration = {
    auth: {
      clientId: settings.clientId,
      authority: endpoints.authority,
      knownAuthorities: endpoints.knownAuthorities,
      authorityMetadata: endpoints.authorityMetadata,
      cloudDiscoveryMetadata: endpoints.cloudDiscoveryMetadata,
      ...(settings.clientSecret ? { clientSecret: settings.clientSecret } : {}),
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
  const app = settings.clientSecret ? new ConfidentialClientApplication(config) : new PublicClientApplication(config);
  let result;
  try {
    result = await app.acquireTokenByRefreshToken({ refreshToken, scopes: [settings.scope], forceCache: false });
  } catch (err) {
    throw network.lastError ?? describeEntraError(detailed(err, network), settings);
  }
  if (!result?.accessToken) throw new SignInError(tl.loc('EntraNoAccessToken'), 'no_access_token');
  registerSecret(result.accessToken);
  return {
    accessToken: result.accessToken,
    newRefreshToken: network.refreshToken && network.refreshToken !== refreshToken ? network.refreshToken : undefined,
    expiresOn: result.expiresOn ?? undefined,
    user: result.account?.username || undefined,
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

/** Entra's error -> a message that says what to do. Classified by AADSTS number, not by MSAL's class. */
export function describeEntraError(err: unknown, settings: Pick<SignInSettings, 'tenantId' | 'clientId'>): TaskError {
  const e = (err ?? {}) as MsalErrorShape;
  const text = String(e.errorMessage ?? e.message ?? err);
  const number = String(e.errorNo ?? /AADSTS(\d+)/.exec(text)?.[1] ?? '');
  // MSAL formats server errors as "Error(s): n - Timestamp: t - Description: AADSTSn: text Trace ID: ...".
  const description = /Description: ([\s\S]*)/.exec(text)?.[1] ?? text;
  const summary = clip(neutralize(description.split(/\r?\n|Trace ID:| - Correlation ID:/)[0]).trim(), 240);
  const code = e.errorCode ?? 'unknown';
  const key =
    ENTRA_MESSAGES[number] ?? (code === 'invalid_grant' ? 'SignInRefreshTokenRejected' : code === 'invalid_client' ? 'SignInClientRejected' : undefined);
  if (code === 'temporarily_unavailable' || /^5\d\d$/.test(number)) return new TransportError(tl.loc('EntraUnavailable', summary), false);
  if (key) return new SignInError(tl.loc(key, settings.tenantId, settings.clientId, summary), number || code);
  return new SignInError(tl.loc('SignInFailed', code, summary), number || code);
}

const ENTRA_MESSAGES: Record<string, string> = {
  '70008': 'SignInRefreshTokenExpired',
  '700082': 'SignInRefreshTokenExpired',
  '700084': 'SignInRefreshTokenExpired',
  '50173': 'SignInRefreshTokenRevoked',
  '50133': 'SignInRefreshTokenRevoked',
  '9002313': 'SignInRefreshTokenRejected',
  '70000': 'SignInRefreshTokenRejected',
  '65001': 'SignInConsent',
  '65004': 'SignInConsent',
  '50076': 'SignInMfa',
  '50079': 'SignInMfa',
  '50158': 'SignInMfa',
  '53003': 'SignInConditionalAccess',
  '530033': 'SignInConditionalAccess',
  '50199': 'SignInConditionalAccess',
  '7000215': 'SignInBadClientSecret',
  '7000222': 'SignInClientSecretExpired',
  '7000218': 'SignInNeedsSecret',
  '700025': 'SignInPublicClientSecret',
  '700016': 'SignInAppNotFound',
  '90002': 'SignInTenantNotFound',
  '90023': 'SignInTenantNotFound',
  '50020': 'SignInWrongTenant',
  '500011': 'SignInWrongResource',
};
