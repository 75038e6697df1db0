// Service endpoint (service connection) storage, the confidential parameters per type and scheme, and the JSON shapes
// the serviceendpoint API answers with (recorded examples in test/data/specs/serviceEndpoint/7.1/httpExamples).
import { newGuid } from './random';
import type { AddServiceEndpointOptions, ServiceEndpointRecord } from './types';
import type { ProjectRecord } from './variableGroupStore';

/**
 * Authorization parameters marked `isConfidential: true` in ListEndpointTypes.json, per endpoint type and scheme
 * (lower case). Types and schemes it does not list fall back to DEFAULT_CONFIDENTIAL (an assumption).
 */
const CONFIDENTIAL: Record<string, Record<string, string[]>> = {
  externaltfs: { token: ['apitoken'], usernamepassword: ['password'] },
  git: { usernamepassword: ['password'] },
  externalnpmregistry: { usernamepassword: ['password'], token: ['apitoken'] },
  externalnugetfeed: { none: ['nugetkey'], token: ['apitoken'], usernamepassword: ['password'] },
  generic: { usernamepassword: ['password'] },
  github: { token: ['accesstoken'] },
  githubenterprise: { token: ['apitoken'], usernamepassword: ['password'] },
  azure: { usernamepassword: ['password'], certificate: ['certificate'] },
  dockerregistry: { usernamepassword: ['password'], serviceprincipal: ['accesstoken', 'serviceprincipalkey', 'serviceprincipalcertificate'] },
  azurerm: {
    serviceprincipal: ['accesstoken', 'serviceprincipalkey', 'serviceprincipalcertificate'],
    managedserviceidentity: [],
    publishprofile: ['publishprofile', 'accesstoken'],
    // Not in the 2020 recording; the scheme has no secret (workload identity federation).
    workloadidentityfederation: [],
  },
};

const DEFAULT_CONFIDENTIAL = ['password', 'apitoken', 'accesstoken', 'nugetkey', 'serviceprincipalkey'];

/** Lower-cased names of the confidential parameters of a type and scheme. */
function confidentialNames(type: string, scheme: string): string[] {
  return CONFIDENTIAL[type.toLowerCase()]?.[scheme.toLowerCase()] ?? DEFAULT_CONFIDENTIAL;
}

export function isConfidential(type: string, scheme: string, parameter: string): boolean {
  return confidentialNames(type, scheme).includes(parameter.toLowerCase());
}

interface EndpointIdentity {
  id: string;
  displayName: string;
  uniqueName: string;
}

export interface EndpointInternal {
  id: string;
  orgName: string;
  project: ProjectRecord;
  name: string;
  type: string;
  url: string;
  scheme: string;
  /** Keys keep the case they were sent with. */
  parameters: Record<string, string>;
  data: Record<string, string>;
  description: string;
  administrators: 'jobToken' | 'none';
  /** The endpoint's name in its project reference (the update takes it from serviceEndpointProjectReferences). */
  projectRefName: string;
  createdBy: EndpointIdentity;
  updates: number;
}

const SETUP_IDENTITY: EndpointIdentity = { id: '00000000-0000-0000-0000-000000000001', displayName: 'Emulator Setup', uniqueName: 'setup@emulator.local' };

export class ServiceEndpointStore {
  private readonly endpoints: EndpointInternal[] = [];

  add(options: AddServiceEndpointOptions, project: ProjectRecord, id?: string): EndpointInternal {
    if (this.inProject(options.org, project).some((e) => e.name.toLowerCase() === options.name.toLowerCase())) {
      throw new Error(`A service endpoint named ${options.name} already exists in ${options.org}/${project.name}`);
    }
    const e: EndpointInternal = {
      id: (id ?? newGuid()).toLowerCase(),
      orgName: options.org,
      project,
      name: options.name,
      type: options.type,
      url: options.url ?? defaultUrl(options.type),
      scheme: options.scheme,
      parameters: { ...options.parameters },
      data: { ...options.data },
      description: options.description ?? '',
      administrators: options.administrators ?? 'jobToken',
      projectRefName: options.name,
      createdBy: SETUP_IDENTITY,
      updates: 0,
    };
    this.endpoints.push(e);
    return e;
  }

  inProject(org: string, project: ProjectRecord): EndpointInternal[] {
    return this.endpoints.filter((e) => e.orgName.toLowerCase() === org.toLowerCase() && e.project.id === project.id);
  }

  inOrg(org: string, id: string): EndpointInternal | undefined {
    return this.endpoints.find((e) => e.orgName.toLowerCase() === org.toLowerCase() && e.id === id.toLowerCase());
  }

  find(org: string, idOrName: string): EndpointInternal | undefined {
    const lower = idOrName.toLowerCase();
    return this.endpoints.find((e) => e.orgName.toLowerCase() === org.toLowerCase() && (e.id === lower || e.name.toLowerCase() === lower));
  }

  all(): readonly EndpointInternal[] {
    return this.endpoints;
  }
}

function defaultUrl(type: string): string {
  switch (type.toLowerCase()) {
    case 'azurerm':
      return 'https://management.azure.com/';
    case 'dockerregistry':
      return 'https://index.docker.io/v1/';
    case 'externalnpmregistry':
      return 'https://registry.npmjs.org/';
    case 'externalnugetfeed':
      return 'https://api.nuget.org/v3/index.json';
    default:
      return 'https://example.invalid/';
  }
}

export function toEndpointRecord(e: EndpointInternal): ServiceEndpointRecord {
  return {
    id: e.id,
    org: e.orgName,
    project: e.project.name,
    projectId: e.project.id,
    name: e.name,
    type: e.type,
    url: e.url,
    scheme: e.scheme,
    parameters: { ...e.parameters },
    data: { ...e.data },
    description: e.description,
    administrators: e.administrators,
    confidential: confidentialNames(e.type, e.scheme),
    updates: e.updates,
  };
}

/**
 * The endpoint as the API returns it. Confidential parameters: `null` in a single GET and a PUT answer
 * (GetServiceEndpointDetails.json, UpdateServiceEndpoint.json), left out of a list (GetServiceEndpointsByName.json).
 */
export function toApiEndpoint(e: EndpointInternal, baseUrl: string, confidential: 'null' | 'omit'): Record<string, unknown> {
  const parameters: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(e.parameters)) {
    if (isConfidential(e.type, e.scheme, k)) {
      if (confidential === 'null') parameters[k] = null;
    } else parameters[k] = v;
  }
  const descriptor = `aad.${Buffer.from(e.createdBy.id).toString('base64url')}`;
  const avatar = `${baseUrl}/${encodeURIComponent(e.orgName)}/_apis/GraphProfile/MemberAvatars/${descriptor}`;
  return {
    data: { ...e.data },
    id: e.id,
    name: e.name,
    type: e.type,
    url: e.url,
    createdBy: {
      displayName: e.createdBy.displayName,
      url: `${baseUrl}/${encodeURIComponent(e.orgName)}/_apis/Identities/${e.createdBy.id}`,
      _links: { avatar: { href: avatar } },
      id: e.createdBy.id,
      uniqueName: e.createdBy.uniqueName,
      imageUrl: avatar,
      descriptor,
    },
    description: e.description,
    authorization: { parameters, scheme: e.scheme },
    isShared: false,
    isReady: true,
    owner: 'Library',
    serviceEndpointProjectReferences: [{ projectReference: { id: e.project.id, name: e.project.name }, name: e.projectRefName }],
  };
}
