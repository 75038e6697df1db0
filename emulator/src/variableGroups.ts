// Variable groups: GET list / GET one (project routes), PUT (replaces the whole variable set) on the documented
// organization-level route (distributedTask 7.1 Variablegroups_Update) and, as the variant says, the project-level
// route of the 4.1 recorded example.
import { AdoCaller, argumentError, authenticateAdo, DT_NS, isAdministrator, methodNotPlayed, namesProject, projectNotFound, scopeRefusal } from './adoAuth';
import { checkReleasedVersion } from './apiVersion';
import { EmuRequest, EmuResponse, isObject, jsonResponse, parseJson, queryParam, typedError } from './http';
import { State } from './state';
import { GroupInternal, ProjectRecord, StoredVariable, toApiGroup } from './variableGroupStore';

const COLLECTION_RE = /^\/([^/]+)\/([^/]+)\/_apis\/distributedtask\/variablegroups\/?$/i;
const ITEM_RE = /^\/([^/]+)\/([^/]+)\/_apis\/distributedtask\/variablegroups\/([^/]+)\/?$/i;
const ORG_ITEM_RE = /^\/([^/]+)\/_apis\/distributedtask\/variablegroups\/([^/]+)\/?$/i;

export function isVariableGroupPath(path: string): boolean {
  return COLLECTION_RE.test(path) || ITEM_RE.test(path) || ORG_ITEM_RE.test(path);
}

function notFound(idText: string): EmuResponse {
  return typedError(404, 'VariableGroupNotFoundException', `Variable group with id ${idText} does not exist or you do not have access to it.`, DT_NS);
}

function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(value);
}

/** Scopes per method (distributedTask 7.1 spec): reads take _read/_write/_manage; the update takes _manage only. */
const READ_SCOPES = ['vso.variablegroups_read', 'vso.variablegroups_write', 'vso.variablegroups_manage'];
const WRITE_SCOPES = ['vso.variablegroups_manage'];

export function handleVariableGroups(state: State, req: EmuRequest): EmuResponse {
  const orgItem = ORG_ITEM_RE.exec(req.path);
  if (orgItem) return handleOrgItem(state, req, decodeURIComponent(orgItem[1]), decodeURIComponent(orgItem[2]));
  const item = ITEM_RE.exec(req.path);
  const m = item ?? COLLECTION_RE.exec(req.path);
  if (!m) return typedError(404, 'VssResourceNotFoundException', 'Not found.');
  const orgName = decodeURIComponent(m[1]);
  const org = state.ensureOrg(orgName);
  const auth = authenticateAdo(state, req, org, true);
  if (!auth.ok) return auth.response;
  const versionError = checkReleasedVersion(req);
  if (versionError) return versionError;
  const refused = scopeRefusal(auth.caller, req.method !== 'GET' ? WRITE_SCOPES : READ_SCOPES);
  if (refused) return refused;
  const projectSegment = decodeURIComponent(m[2]);
  const project = state.groups.findProject(orgName, projectSegment);
  if (!project) return projectNotFound(projectSegment);
  if (!item) {
    if (req.method !== 'GET') return methodNotPlayed(req.method);
    const nameFilter = queryParam(req, 'groupName');
    const groups = state.groups.inProject(orgName, project).filter((g) => !nameFilter || wildcardMatch(nameFilter, g.name));
    // queryOrder (VariableGroupQueryOrder, distributedTask 7.1): IdDescending (the default) or IdAscending.
    const ascending = (queryParam(req, 'queryOrder') ?? '').toLowerCase() === 'idascending';
    groups.sort((a, b) => (ascending ? a.id - b.id : b.id - a.id));
    return jsonResponse(200, { count: groups.length, value: groups.map((g) => toApiGroup(g, state.baseUrl)) });
  }
  const idText = decodeURIComponent(m[3]);
  const group = /^\d+$/.test(idText) ? state.groups.find(orgName, project, Number(idText)) : undefined;
  if (!group) return notFound(idText);
  if (req.method === 'GET') return jsonResponse(200, toApiGroup(group, state.baseUrl));
  if (req.method === 'PUT') {
    if (state.variant.variableGroupProjectPut === 'refused') {
      return typedError(404, 'VssResourceNotFoundException', 'The project-level variable group update is not a route of this API version.', DT_NS);
    }
    return putGroup(state, req, auth.caller, project, group, false);
  }
  return methodNotPlayed(req.method);
}

/** `{org}/_apis/distributedtask/variablegroups/{id}`: only PUT (the update) is played here. */
function handleOrgItem(state: State, req: EmuRequest, orgName: string, idText: string): EmuResponse {
  const org = state.ensureOrg(orgName);
  const auth = authenticateAdo(state, req, org, true);
  if (!auth.ok) return auth.response;
  const versionError = checkReleasedVersion(req);
  if (versionError) return versionError;
  if (req.method !== 'PUT') return methodNotPlayed(req.method);
  const refused = scopeRefusal(auth.caller, WRITE_SCOPES);
  if (refused) return refused;
  const group = /^\d+$/.test(idText) ? state.groups.inOrg(orgName, Number(idText)) : undefined;
  if (!group) return notFound(idText);
  return putGroup(state, req, auth.caller, group.project, group, true);
}

/**
 * PUT replaces the group. Variables absent from the body are deleted. `isSecret: true` with a null value keeps
 * the stored value of the variable of that name (any case); with a string it sets a new secret value.
 */
function putGroup(state: State, req: EmuRequest, caller: AdoCaller, project: ProjectRecord, group: GroupInternal, orgRoute: boolean): EmuResponse {
  if (!isAdministrator(caller, group)) {
    return typedError(
      403,
      'AccessDeniedException',
      `Access denied: '${caller.name}' cannot change variable group '${group.name}' (id ${group.id}) because it does not hold the Administrator role on it.`,
      DT_NS,
    );
  }
  const parsed = parseJson(req.bodyText);
  if (!parsed.ok || !isObject(parsed.value)) return argumentError('The request body must be a variable group (JSON object).');
  const body = parsed.value;
  if (typeof body.name !== 'string' || body.name.trim() === '') return argumentError('Value cannot be null or empty. Parameter name: name');
  if (!isObject(body.variables)) return argumentError('Value cannot be null. Parameter name: variables');
  if (
    body.variableGroupProjectReferences !== undefined &&
    body.variableGroupProjectReferences !== null &&
    !Array.isArray(body.variableGroupProjectReferences)
  ) {
    return argumentError('variableGroupProjectReferences must be an array.');
  }
  // The organization-level update names the projects the group belongs to (VariableGroupParameters); a body
  // without this group's project cannot say which project's group it changes (the 400 is an assumption).
  if (orgRoute && !namesProject(body.variableGroupProjectReferences, project)) {
    return argumentError(`variableGroupProjectReferences must name the project '${project.name}' that variable group ${group.id} belongs to.`);
  }
  const clash = state.groups.inProject(group.orgName, project).find((g) => g.id !== group.id && g.name.toLowerCase() === String(body.name).toLowerCase());
  if (clash) return typedError(400, 'VariableGroupExistsException', `A variable group named '${String(body.name)}' already exists in this project.`, DT_NS);
  const next = new Map<string, StoredVariable>();
  for (const [name, raw] of Object.entries(body.variables)) {
    if (!isObject(raw)) return argumentError(`Variable '${name}' must be an object with value and isSecret.`);
    const isSecret = raw.isSecret === true;
    const value = raw.value;
    if (value === null || value === undefined) {
      const old = isSecret ? findVariable(group, name) : undefined;
      next.set(name, { value: old?.value ?? '', isSecret });
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      next.set(name, { value: String(value), isSecret });
    } else {
      return argumentError(`The value of variable '${name}' must be a string.`);
    }
  }
  group.name = body.name;
  group.description = typeof body.description === 'string' ? body.description : '';
  if (typeof body.type === 'string' && body.type !== '') group.type = body.type;
  group.variables = next;
  const uniqueName = caller.userId ? (state.users.get(caller.userId)?.upn ?? caller.name) : caller.name;
  group.modifiedBy = { id: caller.id, displayName: caller.name, uniqueName };
  group.modifiedOnMs = state.clock.nowMs();
  return jsonResponse(200, toApiGroup(group, state.baseUrl));
}

function findVariable(group: GroupInternal, name: string): StoredVariable | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of group.variables) if (k.toLowerCase() === lower) return v;
  return undefined;
}
