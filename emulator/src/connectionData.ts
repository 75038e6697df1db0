// GET {org}/_apis/connectionData: who the credential is (Location service). Used to check that a new PAT works.
// Shape: azure-devops-node-api interfaces/LocationsInterfaces.ts ConnectionData and IdentitiesInterfaces.ts Identity.
import { authenticateAdo, methodNotPlayed } from './adoAuth';
import { EmuRequest, EmuResponse, jsonResponse } from './http';
import { State } from './state';

const CONNECTION_DATA_RE = /^\/([^/]+)\/_apis\/connectiondata\/?$/i;
/** A fixed id for the emulated deployment (the service's own deployment id; assumption: any GUID). */
const DEPLOYMENT_ID = 'b4c1e1bd-6a88-4a83-9c57-0fe1d2f5c4e1';

export function connectionDataOrg(path: string): string | undefined {
  const m = CONNECTION_DATA_RE.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export function handleConnectionData(state: State, req: EmuRequest): EmuResponse {
  const orgName = connectionDataOrg(req.path) ?? '';
  if (req.method !== 'GET') return methodNotPlayed(req.method);
  const org = state.ensureOrg(orgName);
  // Any api-version or none: the Location service answers without one (assumption).
  const auth = authenticateAdo(state, req, org, true);
  if (!auth.ok) return auth.response;
  const caller = auth.caller;
  const user = caller.userId ? state.users.get(caller.userId) : undefined;
  const account = user?.upn ?? caller.name;
  const descriptorPrefix = caller.kind === 'job' ? 'Microsoft.TeamFoundation.ServiceIdentity' : 'Microsoft.IdentityModel.Claims.ClaimsIdentity';
  const identity = {
    id: caller.id,
    descriptor: `${descriptorPrefix};${caller.kind === 'job' ? caller.id : `${org.tenantId ?? 'emulator'}\\${account}`}`,
    subjectDescriptor: `${caller.kind === 'job' ? 'svc' : 'aad'}.${Buffer.from(caller.id).toString('base64url')}`,
    providerDisplayName: caller.name,
    isActive: true,
    properties: {
      Account: { $type: 'System.String', $value: account },
    },
    resourceVersion: 2,
    metaTypeId: caller.kind === 'job' ? 2 : 0,
  };
  return jsonResponse(200, {
    authenticatedUser: identity,
    authorizedUser: identity,
    instanceId: org.accountId,
    deploymentId: DEPLOYMENT_ID,
    deploymentType: 'hosted',
    locationServiceData: {
      serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
      defaultAccessMappingMoniker: 'PublicAccessMapping',
      lastChangeId: 1,
      lastChangeId64: 1,
    },
  });
}
