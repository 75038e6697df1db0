// Azure DevOps routes: authentication of calls, scope and role checks, and the answers the routes share.
import { EmuRequest, EmuResponse, header, htmlResponse, isObject, signInPage, signInRedirect, typedError } from './http';
import { globalRetired, patStatus, visibleIn } from './patStore';
import { AccessGrant, OrgRecord, orgKey, State } from './state';

/** Namespace and assembly of the distributedTask and serviceEndpoint typed errors. */
export const DT_NS = { namespace: 'Microsoft.TeamFoundation.DistributedTask.WebApi', assembly: 'Microsoft.TeamFoundation.DistributedTask.WebApi' };

export function argumentError(message: string): EmuResponse {
  return typedError(400, 'ArgumentException', message, { namespace: 'System', assembly: 'mscorlib' });
}

/** A method this emulator does not play on an Azure DevOps route. */
export function methodNotPlayed(method: string): EmuResponse {
  return typedError(405, 'VssResourceNotFoundException', `The ${method} method is not supported here by this emulator.`);
}

export function projectNotFound(segment: string): EmuResponse {
  return typedError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The project '${segment}' does not exist, or you cannot see it.`, {
    namespace: 'Microsoft.TeamFoundation.Core.WebApi',
  });
}

export interface AdoCaller {
  kind: 'user' | 'app' | 'job';
  /** Identity id (user oid, service principal or build service id). */
  id: string;
  name: string;
  userId?: string;
  /** Scopes the credential carries: the token's scp, or the PAT's scope. */
  scopes: string[];
}

type AuthOutcome = { ok: true; caller: AdoCaller } | { ok: false; response: EmuResponse };

export function unauthorized(state: State, org: OrgRecord): EmuResponse {
  const tenant = org.tenantId ?? 'common';
  return typedError(401, 'UnauthorizedRequestException', "TF400813: The user '' is not authorized to access this resource.", {
    namespace: 'Microsoft.TeamFoundation.Framework.Server',
    assembly: 'Microsoft.TeamFoundation.Framework.Server',
    headers: {
      'www-authenticate': `Bearer authorization_uri=${state.baseUrl}/${tenant}, Basic realm="${state.baseUrl}/", TFS-Federated`,
      'x-tfs-fedauthrealm': `${state.baseUrl}/`,
      'x-vss-resourcetenant': org.tenantId ?? '00000000-0000-0000-0000-000000000000',
    },
  });
}

export function signInAnswer(state: State, req: EmuRequest, kind: '203' | '302'): EmuResponse {
  if (kind === '203') return htmlResponse(203, signInPage(state.baseUrl));
  return signInRedirect(state.baseUrl, `${state.baseUrl}${req.path}`);
}

function fromBearer(grant: AccessGrant): AdoCaller {
  return {
    kind: grant.kind,
    id: grant.oid,
    name: grant.name,
    userId: grant.userId,
    scopes: grant.scp.split(/\s+/).filter((s) => s !== ''),
  };
}

/**
 * Who is calling. No credentials -> 302 to sign-in. Basic (a PAT): the PAT API answers 203 with the sign-in
 * page (`acceptPats` false); other APIs accept a live PAT of this organization. Bearer: a token this emulator
 * issued, not expired, from the organization's tenant when it has one.
 */
export function authenticateAdo(state: State, req: EmuRequest, org: OrgRecord, acceptPats: boolean): AuthOutcome {
  const auth = header(req, 'authorization');
  if (!auth) return { ok: false, response: signInAnswer(state, req, '302') };
  const space = auth.indexOf(' ');
  const scheme = (space < 0 ? auth : auth.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : auth.slice(space + 1).trim();
  const nowMs = state.clock.nowMs();
  if (scheme === 'basic') {
    if (!acceptPats) return { ok: false, response: signInAnswer(state, req, '203') };
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const secret = decoded.slice(decoded.indexOf(':') + 1);
    const pat = state.pats.byTokenValue(secret);
    if (!pat || patStatus(pat, nowMs) !== 'active' || !visibleIn(pat, org.accountId) || globalRetired(pat, nowMs)) {
      return { ok: false, response: unauthorized(state, org) };
    }
    const user = state.users.get(pat.userId);
    return {
      ok: true,
      caller: { kind: 'user', id: pat.userId, name: user?.name ?? pat.userId, userId: pat.userId, scopes: pat.scope.split(' ') },
    };
  }
  if (scheme !== 'bearer') return { ok: false, response: unauthorized(state, org) };
  const grant = state.accessTokens.get(value);
  if (!grant || grant.expMs <= nowMs) return { ok: false, response: unauthorized(state, org) };
  if (grant.kind === 'job' && grant.org !== orgKey(org.name)) return { ok: false, response: unauthorized(state, org) };
  if (grant.kind !== 'job' && org.tenantId !== undefined && grant.tenantId !== org.tenantId) {
    return { ok: false, response: unauthorized(state, org) };
  }
  return { ok: true, caller: fromBearer(grant) };
}

/**
 * True when the credential's scopes allow the operation. `app_token` (a full-access PAT, or the job token) allows
 * everything; `user_impersonation` too, where `broadAccepted` (not the PAT API since sprint 257).
 */
export function hasScope(caller: AdoCaller, accepted: string[], broadAccepted = true): boolean {
  return caller.scopes.some((s) => {
    const lower = s.toLowerCase();
    return lower === 'app_token' || (broadAccepted && lower === 'user_impersonation') || accepted.includes(lower);
  });
}

/** 401 TF400813 when the credential carries none of the `accepted` scopes (see hasScope); the first is named. */
export function scopeRefusal(caller: AdoCaller, accepted: string[]): EmuResponse | undefined {
  if (hasScope(caller, accepted)) return undefined;
  return typedError(
    401,
    'UnauthorizedRequestException',
    `TF400813: The user '${caller.id}' is not authorized to access this resource. The credential lacks the scope ${accepted[0]}.`,
  );
}

/**
 * Whether the caller holds the Administrator role on a library item or service connection: users always (the
 * emulator's simplification), the job token where the item says so (`administrators`), nothing else.
 */
export function isAdministrator(caller: AdoCaller, item: { administrators: 'jobToken' | 'none' }): boolean {
  if (caller.kind === 'user') return true;
  if (caller.kind === 'job') return item.administrators === 'jobToken';
  return false;
}

/** Whether an organization-level update's project references name this project (by id or name). */
export function namesProject(refs: unknown, project: { id: string; name: string }): boolean {
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => {
    if (!isObject(r) || !isObject(r.projectReference)) return false;
    const { id, name } = r.projectReference;
    return (typeof id === 'string' && id.toLowerCase() === project.id) || (typeof name === 'string' && name.toLowerCase() === project.name.toLowerCase());
  });
}
