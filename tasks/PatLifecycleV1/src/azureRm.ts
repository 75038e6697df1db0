/**
 * An Azure Resource Manager service connection (agent.ts reads it from the agent) and an access token for Azure
 * Key Vault from it: workload identity federation (the job's OIDC token as a client assertion, no secret in the
 * pipeline) or a service principal secret.
 */
import { loc } from './messages.generated';
import { appToken } from './entra';
import { ApiError } from './errors';
import type { HttpLayer } from './http';

export interface ArmConnection {
  id: string;
  scheme: 'WorkloadIdentityFederation' | 'ServicePrincipal';
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** Origin of the connection's Entra authority. */
  authorityHost: string;
  /** System.OidcRequestUri, for workload identity federation. */
  oidcRequestUri?: string;
}

/** The job's OIDC token for the connection (distributedTask Oidctoken_Create), with the job's access token. */
export async function oidcToken(http: HttpLayer, connection: ArmConnection, jobToken: string, registerSecret: (value: string) => void): Promise<string> {
  const url = new URL(connection.oidcRequestUri as string);
  url.searchParams.set('api-version', '7.1-preview.1');
  url.searchParams.set('serviceConnectionId', connection.id);
  http.trust(url.origin);
  const response = await http.send({
    method: 'POST',
    url: url.toString(),
    headers: { Authorization: `Bearer ${jobToken}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: '{}',
    retry: 'idempotent',
  });
  let token: unknown;
  try {
    token = (JSON.parse(response.body) as { oidcToken?: unknown }).oidcToken;
  } catch {
    token = undefined;
  }
  if (response.status !== 200 || typeof token !== 'string' || token === '')
    throw new ApiError(loc('OidcRefused', connection.id, response.status), response.status);
  registerSecret(token);
  return token;
}

/** An access token for `resource` (e.g. https://vault.azure.net) as the connection's service principal. */
export async function armAccessToken(
  http: HttpLayer,
  connection: ArmConnection,
  resource: string,
  jobToken: string,
  registerSecret: (value: string) => void,
  debug: (message: string) => void,
): Promise<string> {
  const credential =
    connection.scheme === 'WorkloadIdentityFederation'
      ? { clientAssertion: await oidcToken(http, connection, jobToken, registerSecret) }
      : { clientSecret: connection.clientSecret as string };
  return appToken(
    { tenantId: connection.tenantId, clientId: connection.clientId, authorityHost: connection.authorityHost, scope: `${resource}/.default` },
    credential,
    http,
    registerSecret,
    debug,
  );
}
