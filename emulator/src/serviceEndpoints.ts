// Service endpoints (serviceEndpoint 7.1): GET one and GET by names on the project routes, PUT (Endpoints_Update
// Service Endpoint) on the organization route and, as the 4.1 recorded example does, on the project route.
import { AdoCaller, argumentError, authenticateAdo, DT_NS, isAdministrator, methodNotPlayed, namesProject, projectNotFound, scopeRefusal } from './adoAuth';
import { checkReleasedVersion } from './apiVersion';
import { EmuRequest, EmuResponse, isObject, jsonResponse, parseJson, queryParam, typedError } from './http';
import { isGuid } from './random';
import { EndpointInternal, isConfidential, toApiEndpoint } from './serviceEndpointStore';
import { State } from './state';

const COLLECTION_RE = /^\/([^/]+)\/([^/]+)\/_apis\/serviceendpoint\/endpoints\/?$/i;
const ITEM_RE = /^\/([^/]+)\/([^/]+)\/_apis\/serviceendpoint\/endpoints\/([^/]+)\/?$/i;
const ORG_ITEM_RE = /^\/([^/]+)\/_apis\/serviceendpoint\/endpoints\/([^/]+)\/?$/i;

export function isServiceEndpointPath(path: string): boolean {
  return COLLECTION_RE.test(path) || ITEM_RE.test(path) || ORG_ITEM_RE.test(path);
}

/** serviceEndpoint 7.1 `security`: reads take vso.serviceendpoint (or _query, _manage); the update takes _manage. */
const READ_SCOPES = ['vso.serviceendpoint', 'vso.serviceendpoint_query', 'vso.serviceendpoint_manage'];
const WRITE_SCOPES = ['vso.serviceendpoint_manage'];

function notFound(id: string): EmuResponse {
  return typedError(404, 'ServiceEndpointNotFoundException', `Service connection with id ${id} does not exist or you do not have access to it.`, DT_NS);
}

export function handleServiceEndpoints(state: State, req: EmuRequest): EmuResponse {
  const orgItem = ORG_ITEM_RE.exec(req.path);
  const item = orgItem ? null : ITEM_RE.exec(req.path);
  const collection = orgItem || item ? null : COLLECTION_RE.exec(req.path);
  const m = orgItem ?? item ?? collection;
  if (!m) return typedError(404, 'VssResourceNotFoundException', 'Not found.');
  const orgName = decodeURIComponent(m[1]);
  const org = state.ensureOrg(orgName);
  const auth = authenticateAdo(state, req, org, true);
  if (!auth.ok) return auth.response;
  const versionError = checkReleasedVersion(req);
  if (versionError) return versionError;
  const write = req.method !== 'GET';
  if (write && req.method !== 'PUT') return methodNotPlayed(req.method);
  if (!write && orgItem) return typedError(405, 'VssResourceNotFoundException', 'GET of an endpoint needs the project route.');
  const refused = scopeRefusal(auth.caller, write ? WRITE_SCOPES : READ_SCOPES);
  if (refused) return refused;

  if (orgItem) {
    const id = decodeURIComponent(orgItem[2]);
    const e = isGuid(id) ? state.endpoints.inOrg(orgName, id) : undefined;
    if (!e) return notFound(id);
    return putEndpoint(state, req, auth.caller, e, true);
  }
  const projectSegment = decodeURIComponent(m[2]);
  const project = state.groups.findProject(orgName, projectSegment);
  if (!project) return projectNotFound(projectSegment);
  if (collection) {
    if (write) return methodNotPlayed(req.method);
    const namesParam = queryParam(req, 'endpointNames');
    if (namesParam === undefined || namesParam.trim() === '') return argumentError('Value cannot be null. Parameter name: endpointNames');
    const names = namesParam.split(',').map((n) => n.trim().toLowerCase());
    const type = queryParam(req, 'type')?.toLowerCase();
    const found = state.endpoints
      .inProject(orgName, project)
      .filter((e) => names.includes(e.name.toLowerCase()) && (type === undefined || e.type.toLowerCase() === type));
    return jsonResponse(200, { count: found.length, value: found.map((e) => toApiEndpoint(e, state.baseUrl, 'omit')) });
  }
  const id = decodeURIComponent((item as RegExpExecArray)[3]);
  const e = isGuid(id) ? state.endpoints.inOrg(orgName, id) : undefined;
  if (!e || e.project.id !== project.id) {
    // The service answers a GET of an unknown id with 200 and an empty body (assumption; see FIDELITY.md).
    if (!write) return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '' };
    return notFound(id);
  }
  if (!write) return jsonResponse(200, toApiEndpoint(e, state.baseUrl, 'null'));
  return putEndpoint(state, req, auth.caller, e, false);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v !== null) return undefined;
  }
  return out;
}

function findKey(map: Record<string, unknown>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(map).find((k) => k.toLowerCase() === lower);
}

/**
 * PUT replaces the endpoint. A confidential parameter sent as a string sets it; sent as null keeps the stored value;
 * left out keeps it or wipes it as the variant `endpointSecretOmitted` says. Other parameters and `data` are replaced.
 */
function putEndpoint(state: State, req: EmuRequest, caller: AdoCaller, e: EndpointInternal, orgRoute: boolean): EmuResponse {
  if (!isAdministrator(caller, e)) {
    return typedError(
      403,
      'AccessDeniedException',
      `Access denied: '${caller.name}' cannot change service connection '${e.name}' (${e.id}) because it does not hold the Administrator role on it. ` +
        'Grant the Administrator role on this service connection to the build identity.',
      DT_NS,
    );
  }
  const parsed = parseJson(req.bodyText);
  if (!parsed.ok || !isObject(parsed.value)) return argumentError('The request body must be a service endpoint (JSON object).');
  const body = parsed.value;
  if (body.id !== undefined && body.id !== null && (typeof body.id !== 'string' || body.id.toLowerCase() !== e.id)) {
    return argumentError(`The endpoint id in the body (${JSON.stringify(body.id)}) differs from the id in the URL (${e.id}).`);
  }
  if (typeof body.name !== 'string' || body.name.trim() === '') return argumentError('Value cannot be null or empty. Parameter name: endpoint.Name');
  if (!isObject(body.authorization) || typeof body.authorization.scheme !== 'string' || body.authorization.scheme === '') {
    return argumentError('Value cannot be null. Parameter name: endpoint.Authorization');
  }
  const rawParams = body.authorization.parameters ?? {};
  if (!isObject(rawParams)) return argumentError('endpoint.Authorization.Parameters must be an object of strings.');
  const data = stringMap(body.data);
  if (!data) return argumentError('endpoint.Data must be an object of strings.');
  // The organization route names the projects the endpoint belongs to (serviceEndpointProjectReferences); a body
  // without this endpoint's project is refused (the 400 is an assumption).
  if (orgRoute && !namesProject(body.serviceEndpointProjectReferences, e.project)) {
    return argumentError(`serviceEndpointProjectReferences must name the project '${e.project.name}' that service connection ${e.id} belongs to.`);
  }
  const type = typeof body.type === 'string' && body.type !== '' ? body.type : e.type;
  if (type.toLowerCase() !== e.type.toLowerCase()) return argumentError(`The type of service connection ${e.id} cannot change (${e.type}).`);
  const scheme = body.authorization.scheme;
  const sameScheme = scheme.toLowerCase() === e.scheme.toLowerCase();
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawParams)) {
    if (typeof v === 'string') next[k] = v;
    else if (v === null) {
      if (!isConfidential(type, scheme, k)) continue;
      const stored = sameScheme ? findKey(e.parameters, k) : undefined;
      if (stored !== undefined) next[k] = e.parameters[stored];
    } else return argumentError(`The authorization parameter '${k}' must be a string or null.`);
  }
  if (sameScheme && state.variant.endpointSecretOmitted === 'keeps') {
    for (const [k, v] of Object.entries(e.parameters)) {
      if (isConfidential(type, scheme, k) && findKey(rawParams, k) === undefined) next[k] = v;
    }
  }
  const clash = state.endpoints.inProject(e.orgName, e.project).find((o) => o.id !== e.id && o.name.toLowerCase() === String(body.name).toLowerCase());
  if (clash) return argumentError(`A service connection named '${String(body.name)}' already exists in this project.`);
  // UpdateServiceEndpoint.json: the answer's project reference keeps the name the body's reference gave.
  const refs: unknown[] = Array.isArray(body.serviceEndpointProjectReferences) ? (body.serviceEndpointProjectReferences as unknown[]) : [];
  const ref = refs.find((r) => namesProject([r], e.project));
  e.projectRefName = isObject(ref) && typeof ref.name === 'string' && ref.name !== '' ? ref.name : String(body.name);
  e.name = body.name;
  e.scheme = scheme;
  e.parameters = next;
  e.data = data;
  if (typeof body.url === 'string' && body.url !== '') e.url = body.url;
  e.description = typeof body.description === 'string' ? body.description : '';
  e.updates++;
  return jsonResponse(200, toApiEndpoint(e, state.baseUrl, 'null'));
}
