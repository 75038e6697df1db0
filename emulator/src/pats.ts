// The PAT lifecycle API: /{org}/_apis/tokens/pats (List, Get, Create, Update, Revoke).
import { ApiVersion, readVersion, versionNumber, versionOutOfRange } from './apiVersion';
import { AdoCaller, authenticateAdo, hasScope, signInAnswer } from './adoAuth';
import { roundToStoredPrecision } from './clock';
import { EmuRequest, EmuResponse, isObject, jsonResponse, parseJson, queryParam, typedError } from './http';
import { listPats } from './patList';
import { checkAllOrgs, checkDisplayName, checkGlobal, checkScope, checkValidTo, PAT_ERROR_TEXT, PatError } from './patRules';
import { PatInternal, patStatus, toApiPat, visibleIn } from './patStore';
import { isGuid, newGuid, newPatSecrets } from './random';
import { OrgRecord, State } from './state';
import { htmlEncode, storeScopes } from './variant';

const PATS_RE = /^\/([^/]+)\/_apis\/tokens\/pats\/?$/i;
const SUPPORTED = [61, 70, 71, 72];

export function patsOrg(path: string): string | undefined {
  const m = PATS_RE.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

interface Call {
  state: State;
  req: EmuRequest;
  org: OrgRecord;
  userId: string;
  version: ApiVersion;
}

export function handlePats(state: State, req: EmuRequest, orgName: string): EmuResponse {
  const org = state.ensureOrg(orgName);
  const auth = authenticateAdo(state, req, org, false);
  if (!auth.ok) return auth.response;
  const caller = auth.caller;
  if (caller.kind !== 'user' || !caller.userId) return servicePrincipalAnswer(state, req);
  const version = checkVersion(req);
  if ('status' in version) return version;
  const write = req.method !== 'GET';
  const scopeError = checkCallerScope(caller, write);
  if (scopeError) return scopeError;
  const c: Call = { state, req, org, userId: caller.userId, version };
  switch (req.method) {
    case 'GET':
      return queryParam(req, 'authorizationId') === undefined ? listPats(state, req, org, caller.userId) : getPat(c);
    case 'POST':
      return createPat(c);
    case 'PUT':
      return updatePat(c);
    case 'DELETE':
      return revokePat(c);
    default:
      return typedError(405, 'VssResourceNotFoundException', `The ${req.method} method is not supported by this resource.`);
  }
}

/**
 * How the PAT API answers a service principal (or any identity that is not a user): a 302 to `_signin`
 * (MicrosoftDocs/azure-devops-docs#13661) or a 403 with "Service principals are not allowed to perform this
 * action." (typeKey InvalidAccessException in MicrosoftDocs/azure-docs#108847, which does not show the status:
 * 403 is an assumption). The variant's `servicePrincipal` switch picks one.
 */
export function servicePrincipalAnswer(state: State, req: EmuRequest): EmuResponse {
  if (state.variant.servicePrincipal === 'redirect') return signInAnswer(state, req, '302');
  return typedError(403, 'InvalidAccessException', 'Service principals are not allowed to perform this action.', {
    namespace: 'Microsoft.VisualStudio.Services.Security',
    assembly: 'Microsoft.VisualStudio.Services.WebApi',
  });
}

function checkVersion(req: EmuRequest): ApiVersion | EmuResponse {
  const v = readVersion(req, '7.1-preview.1');
  if ('status' in v) return v;
  if (!SUPPORTED.includes(versionNumber(v)) || (v.resourceVersion !== undefined && v.resourceVersion !== 1)) {
    return versionOutOfRange(v.text, '6.1-preview.1 to 7.2-preview.1');
  }
  if (!v.preview) {
    return typedError(
      400,
      'VssInvalidPreviewVersionException',
      `The requested version '${v.text}' of this resource exists only as a preview. Send api-version=${v.major}.${v.minor}-preview.1 to use it.`,
    );
  }
  return v;
}

/**
 * Since sprint 257 the PAT API takes the delegated scopes vso.pats (read) and vso.pats_manage (manage) only; the
 * broad user_impersonation no longer suffices (release notes; tokens 7.2 spec, EntraOAuth per operation).
 */
function checkCallerScope(caller: AdoCaller, write: boolean): EmuResponse | undefined {
  const needed = write ? ['vso.pats_manage'] : ['vso.pats', 'vso.pats_manage'];
  if (hasScope(caller, needed, false)) return undefined;
  return typedError(
    401,
    'UnauthorizedRequestException',
    `TF400813: The user '${caller.id}' is not authorized to access this resource. The access token lacks the scope ${needed[0]}.`,
    { namespace: 'Microsoft.TeamFoundation.Framework.Server', assembly: 'Microsoft.TeamFoundation.Framework.Server' },
  );
}

/** A patTokenError answer: HTTP 200 or 400 as the variant says. Message only from 7.2 on. */
function patError(c: Call, error: PatError): EmuResponse {
  const body: Record<string, unknown> = { patToken: null, patTokenError: error };
  if (versionNumber(c.version) >= 72) body.patTokenErrorMessage = PAT_ERROR_TEXT[error];
  return jsonResponse(c.state.variant.errorStyle === 'http400' ? 400 : 200, body);
}

/** No PAT of the caller's with this id: the variant's answer. */
function notFound(c: Call, id: string): EmuResponse {
  const style = c.state.variant.unknownId;
  if (style === 'http404') return sessionTokenNotFound(id);
  return patError(c, style);
}

function sessionTokenNotFound(id: string): EmuResponse {
  return typedError(404, 'SessionTokenNotFoundException', `No personal access token with authorizationId ${id} exists for the calling user.`, {
    namespace: 'Microsoft.VisualStudio.Services.DelegatedAuthorization',
    assembly: 'Microsoft.VisualStudio.Services.DelegatedAuthorization',
  });
}

/** A display name as the variant stores it. */
export function storeName(state: State, name: string): string {
  return state.variant.names === 'htmlEncoded' ? htmlEncode(name) : name;
}

function patResult(c: Call, pat: PatInternal, withToken: boolean): EmuResponse {
  const body: Record<string, unknown> = { patToken: toApiPat(pat, withToken), patTokenError: 'none' };
  if (versionNumber(c.version) >= 72) body.patTokenErrorMessage = null;
  return jsonResponse(200, body);
}

function invalidBody(message: string): EmuResponse {
  return typedError(400, 'VssPropertyValidationException', message, { namespace: 'Microsoft.VisualStudio.Services.Common' });
}

type Body = { ok: true; value: Record<string, unknown> } | { ok: false; response: EmuResponse };

function bodyObject(c: Call): Body {
  const parsed = parseJson(c.req.bodyText);
  if (!parsed.ok || !isObject(parsed.value)) {
    return { ok: false, response: invalidBody('The request body is missing or is not a JSON object.') };
  }
  return { ok: true, value: parsed.value };
}

function malformedId(raw: string): EmuResponse {
  return typedError(400, 'InvalidArgumentValueException', `The value '${raw}' is not valid for authorizationId: a GUID is expected.`, {
    namespace: 'Microsoft.VisualStudio.Services.Common',
  });
}

/** The caller's PAT with this id, visible from this organization (revoked ones included). */
function findOwn(c: Call, id: string): PatInternal | undefined {
  const pat = c.state.pats.get(id);
  if (!pat || pat.userId !== c.userId || !visibleIn(pat, c.org.accountId)) return undefined;
  return pat;
}

function getPat(c: Call): EmuResponse {
  const raw = queryParam(c.req, 'authorizationId') ?? '';
  if (!isGuid(raw)) return malformedId(raw);
  const pat = findOwn(c, raw);
  if (!pat || (pat.revoked && c.state.variant.revokedGet === 'notFound')) return notFound(c, raw);
  return patResult(c, pat, false);
}

function createPat(c: Call): EmuResponse {
  const { state } = c;
  const parsed = bodyObject(c);
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  const policy = state.policy;
  const nowMs = state.clock.nowMs();
  if (policy.disablePatCreation) return patError(c, 'disablePatCreationPolicyViolation');
  const name = checkDisplayName(body.displayName);
  if (!name.ok) return patError(c, name.error);
  const scope = checkScope(body.scope, policy);
  if (!scope.ok) return patError(c, scope.error);
  const validTo = checkValidTo(body.validTo, nowMs, policy, nowMs);
  if (!validTo.ok) return patError(c, validTo.error);
  const allOrgs = checkAllOrgs(body.allOrgs);
  if (allOrgs === 'invalid') return invalidBody('allOrgs must be true or false.');
  if (allOrgs) {
    const globalError = checkGlobal(nowMs, policy);
    if (globalError) return patError(c, globalError);
  }
  const pat: PatInternal = {
    authorizationId: newGuid(),
    userId: c.userId,
    orgName: c.org.name,
    displayName: storeName(state, name.value),
    scope: storeScopes(scope.value, state.variant),
    validFromMs: roundToStoredPrecision(nowMs),
    validToMs: validTo.value,
    allOrgs: allOrgs === true,
    targetAccounts: allOrgs ? null : [c.org.accountId],
    token: newPatSecrets(1)[0],
    revoked: false,
  };
  state.pats.add(pat);
  return patResult(c, pat, true);
}

function updatePat(c: Call): EmuResponse {
  const { state } = c;
  const parsed = bodyObject(c);
  if (!parsed.ok) return parsed.response;
  const body = parsed.value;
  const idRaw = body.authorizationId;
  if (idRaw === undefined || idRaw === null || idRaw === '' || idRaw === '00000000-0000-0000-0000-000000000000') {
    return patError(c, 'invalidAuthorizationId');
  }
  if (typeof idRaw !== 'string' || !isGuid(idRaw)) return malformedId(typeof idRaw === 'string' ? idRaw : JSON.stringify(idRaw));
  const pat = findOwn(c, idRaw);
  // "only valid, unrevoked tokens" can be updated (spec): a revoked PAT is not found here.
  if (!pat || pat.revoked) return notFound(c, idRaw);
  const nowMs = state.clock.nowMs();
  if (patStatus(pat, nowMs) === 'expired') return patError(c, 'expiredPatCannotBeExtended');
  const policy = state.policy;
  const changes: Partial<PatInternal> = {};
  if (body.displayName !== undefined && body.displayName !== null) {
    const name = checkDisplayName(body.displayName);
    if (!name.ok) return patError(c, name.error);
    changes.displayName = storeName(state, name.value);
  }
  if (body.scope !== undefined && body.scope !== null) {
    const scope = checkScope(body.scope, policy);
    if (!scope.ok) return patError(c, scope.error);
    changes.scope = storeScopes(scope.value, state.variant);
  }
  if (body.validTo !== undefined && body.validTo !== null) {
    const validTo = checkValidTo(body.validTo, nowMs, policy, pat.validFromMs);
    if (!validTo.ok) return patError(c, validTo.error);
    changes.validToMs = validTo.value;
  }
  const allOrgs = checkAllOrgs(body.allOrgs);
  if (allOrgs === 'invalid') return invalidBody('allOrgs must be true or false.');
  if (allOrgs === true && !pat.allOrgs) {
    const globalError = checkGlobal(nowMs, policy);
    if (globalError) return patError(c, globalError);
  }
  if (allOrgs !== undefined) {
    changes.allOrgs = allOrgs;
    changes.targetAccounts = allOrgs ? null : [c.org.accountId];
  }
  Object.assign(pat, changes);
  return patResult(c, pat, false);
}

/**
 * Revoke answers 204 with no body (recorded example). The contract gives Revoke no result body, so an unknown id
 * (or another user's PAT) is a 404 typed error. An already revoked PAT: an error or 204, as the variant says.
 */
function revokePat(c: Call): EmuResponse {
  const raw = queryParam(c.req, 'authorizationId') ?? '';
  if (!isGuid(raw)) return malformedId(raw);
  const pat = findOwn(c, raw);
  if (!pat || (pat.revoked && c.state.variant.revokeRevoked === 'error')) return sessionTokenNotFound(raw);
  pat.revoked = true;
  return { status: 204, headers: {}, body: '' };
}
