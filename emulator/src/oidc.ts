// Workload identity federation: the OIDC tokens Azure DevOps issues for a service connection (distributedTask 7.1
// Oidctoken_Create) and their verification when Entra receives one as a client assertion.
import { createSign, createVerify, generateKeyPairSync, KeyObject } from 'crypto';
import { argumentError, authenticateAdo, DT_NS, methodNotPlayed } from './adoAuth';
import { readVersion, versionNumber, versionOutOfRange } from './apiVersion';
import { EmuRequest, EmuResponse, isObject, jsonResponse, parseJson, queryParam, typedError } from './http';
import { base64url, isGuid, newGuid } from './random';
import type { State } from './state';
import type { FederatedCredential } from './types';

const OIDC_RE = /^\/([^/]+)\/([^/]+)\/_apis\/distributedtask\/hubs\/([^/]+)\/plans\/([^/]+)\/jobs\/([^/]+)\/oidctoken\/?$/i;

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
/** Lifetime of an issued OIDC token (assumption). */
const OIDC_TOKEN_LIFETIME_S = 600;

export function isOidcPath(path: string): boolean {
  return OIDC_RE.test(path);
}

/** The issuer Azure DevOps puts in a service connection's OIDC token. */
export function oidcIssuer(orgAccountId: string): string {
  return `https://vstoken.dev.azure.com/${orgAccountId}`;
}

export function oidcSubject(org: string, project: string, connectionName: string): string {
  return `sc://${org}/${project}/${connectionName}`;
}

/** Holds the signing key (made on first use) and signs and verifies RS256 JWTs. */
export class OidcIssuer {
  private keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  readonly kid = newGuid().replace(/-/g, '');
  /** Every OIDC token issued (for leak scans). */
  readonly issued: string[] = [];

  private key(): { privateKey: KeyObject; publicKey: KeyObject } {
    this.keys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return this.keys;
  }

  sign(claims: Record<string, unknown>): string {
    const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: this.kid }));
    const body = base64url(JSON.stringify(claims));
    const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(this.key().privateKey).toString('base64url');
    const token = `${head}.${body}.${signature}`;
    this.issued.push(token);
    return token;
  }

  /** The claims of a JWT this issuer signed, or undefined when it is malformed or not signed by this issuer. */
  verify(token: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const ok = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(this.key().publicKey, Buffer.from(parts[2], 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
      return isObject(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}

function checkVersion(req: EmuRequest): EmuResponse | undefined {
  const v = readVersion(req, '7.1-preview.1');
  if ('status' in v) return v;
  const n = versionNumber(v);
  // Spec: 7.1-preview.1; the sprint 240 release notes call it with api-version=7.1.
  if (n < 71 || n > 72 || (n === 72 && !v.preview)) return versionOutOfRange(v.text, '7.1-preview.1 to 7.2-preview');
  return undefined;
}

/** POST {org}/{projectId}/_apis/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken?serviceConnectionId= */
export function handleOidc(state: State, req: EmuRequest): EmuResponse {
  const m = OIDC_RE.exec(req.path);
  if (!m) return typedError(404, 'VssResourceNotFoundException', 'Not found.');
  const orgName = decodeURIComponent(m[1]);
  const org = state.ensureOrg(orgName);
  const auth = authenticateAdo(state, req, org, true);
  if (!auth.ok) return auth.response;
  if (req.method !== 'POST') return methodNotPlayed(req.method);
  const versionError = checkVersion(req);
  if (versionError) return versionError;
  if (auth.caller.kind !== 'job') {
    return typedError(
      401,
      'UnauthorizedRequestException',
      `TF400813: The user '${auth.caller.id}' is not authorized to access this resource. Only the job's access token may request an OIDC token.`,
    );
  }
  const [projectId, , planId, jobId] = [decodeURIComponent(m[2]), m[3], decodeURIComponent(m[4]), decodeURIComponent(m[5])];
  if (!isGuid(projectId) || !isGuid(planId) || !isGuid(jobId)) {
    return argumentError('The project, plan and job identifiers must be GUIDs.');
  }
  const project = state.groups.findProject(orgName, projectId);
  if (!project)
    return typedError(404, 'ProjectDoesNotExistException', `TF200016: The project '${projectId}' does not exist, or you cannot see it.`, {
      namespace: 'Microsoft.TeamFoundation.Core.WebApi',
    });
  if (req.bodyText.trim() !== '') {
    const parsed = parseJson(req.bodyText);
    if (!parsed.ok || !isObject(parsed.value)) return argumentError('The body must be a JSON object of strings.');
  }
  const connectionId = queryParam(req, 'serviceConnectionId');
  if (!connectionId) return argumentError('Value cannot be null. Parameter name: serviceConnectionId');
  const endpoint = isGuid(connectionId) ? state.endpoints.inOrg(orgName, connectionId) : undefined;
  if (!endpoint || endpoint.project.id !== project.id) {
    return typedError(
      404,
      'ServiceEndpointNotFoundException',
      `Service connection with id ${connectionId} does not exist or you do not have access to it.`,
      DT_NS,
    );
  }
  if (endpoint.scheme.toLowerCase() !== 'workloadidentityfederation') {
    return typedError(
      400,
      'InvalidRequestException',
      `Service connection '${endpoint.name}' does not use workload identity federation (scheme ${endpoint.scheme}).`,
      DT_NS,
    );
  }
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const oidcToken = state.oidc.sign({
    jti: newGuid(),
    sub: oidcSubject(org.name, project.name, endpoint.name),
    aud: TOKEN_EXCHANGE_AUDIENCE,
    iss: oidcIssuer(org.accountId),
    nbf: nowS,
    exp: nowS + OIDC_TOKEN_LIFETIME_S,
    iat: nowS,
  });
  return jsonResponse(200, { oidcToken });
}

type AssertionCheck = { ok: true } | { ok: false; status: number; error: string; code: number; text: string };

/**
 * Checks a client assertion against the app's federated credentials, in Entra's order: signature, time range,
 * issuer, subject, audience (AADSTS700027, 700024, 700211, 700213, 700212).
 */
export function checkAssertion(state: State, assertion: string, credentials: FederatedCredential[]): AssertionCheck {
  const claims = state.oidc.verify(assertion);
  if (!claims) {
    return { ok: false, status: 401, error: 'invalid_client', code: 700027, text: 'Client assertion failed signature validation.' };
  }
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : 0;
  // Entra allows a few minutes of clock skew (assumption: 5 minutes before nbf, none after exp).
  if (exp <= nowS || nbf > nowS + 300) {
    return {
      ok: false,
      status: 401,
      error: 'invalid_client',
      code: 700024,
      text: `Client assertion is not within its valid time range. Current time: ${new Date(nowS * 1000).toISOString()}, assertion valid from ${new Date(nbf * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
    };
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const noRecord = (code: number, claim: string): AssertionCheck => {
    return { ok: false, status: 400, error: 'invalid_request', code, text: `No matching federated identity record found for presented assertion ${claim}.` };
  };
  const iss = text(claims.iss);
  const sub = text(claims.sub);
  const aud = Array.isArray(claims.aud) ? claims.aud.map(text) : [text(claims.aud)];
  const byIssuer = credentials.filter((c) => c.issuer === iss);
  if (byIssuer.length === 0) return noRecord(700211, `issuer '${iss}'`);
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (bySubject.length === 0) return noRecord(700213, `subject '${sub}'. Please note that the matching is done using a case-sensitive comparison`);
  if (!bySubject.some((c) => aud.includes(c.audience))) return noRecord(700212, `audience '${aud.join(', ')}'`);
  return { ok: true };
}
