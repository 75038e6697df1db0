/**
 * A small typed client for Azure DevOps service connections (serviceEndpoint 7.1): enough to replace the PAT
 * inside one. Reads are project-scoped (`{org}/{project}/_apis/serviceendpoint/endpoints`); the update is the
 * organization-level `PUT {org}/_apis/serviceendpoint/endpoints/{id}`, with the whole endpoint in the body.
 * Confidential parameters come back as null; sent back as null they keep their stored value.
 */
import { loc } from './messages.generated';
import { ApiError } from './errors';
import type { HttpLayer } from './http';
import { parseAnswer } from './patsApi';

export interface ServiceEndpoint {
  id: string;
  name: string;
  type: string;
  url?: string;
  authorization: { scheme: string; parameters?: Record<string, string | null> };
  data?: Record<string, string>;
  [other: string]: unknown;
}

const API_VERSION = '7.1';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The secret field that holds a token, by authorization scheme (ListEndpointTypes: the confidential input). */
export const SECRET_FIELD: Readonly<Record<string, string>> = {
  token: 'apitoken',
  usernamepassword: 'password',
  none: 'nugetkey',
};

export class ServiceEndpointsApi {
  private readonly projectBase: string;
  private readonly orgBase: string;

  constructor(
    private readonly http: HttpLayer,
    collectionUrl: string,
    project: string,
    private readonly accessToken: string,
  ) {
    const collection = collectionUrl.replace(/\/+$/, '');
    this.projectBase = `${collection}/${encodeURIComponent(project)}/_apis/serviceendpoint/endpoints`;
    this.orgBase = `${collection}/_apis/serviceendpoint/endpoints`;
    http.trust(collectionUrl);
  }

  /** By id, or by exact name (case-insensitive, as the service compares names). */
  async find(nameOrId: string): Promise<ServiceEndpoint> {
    if (GUID.test(nameOrId)) {
      // An unknown id may answer 200 with an empty body.
      const found = await this.call<ServiceEndpoint | undefined>('GET', `${this.projectBase}/${nameOrId}`, nameOrId, undefined, true);
      if (found?.id) return found;
      throw new ApiError(loc('ServiceConnectionNotFound', nameOrId), 404);
    }
    const list = await this.call<{ value?: ServiceEndpoint[] }>('GET', `${this.projectBase}?endpointNames=${encodeURIComponent(nameOrId)}`, nameOrId);
    const exact = (list.value ?? []).filter((e) => e.name.toLowerCase() === nameOrId.toLowerCase());
    if (exact.length !== 1) throw new ApiError(loc('ServiceConnectionNotFound', nameOrId), 404);
    return exact[0];
  }

  async update(endpoint: ServiceEndpoint): Promise<ServiceEndpoint> {
    return this.call<ServiceEndpoint>('PUT', `${this.orgBase}/${endpoint.id}`, endpoint.name, endpoint);
  }

  private async call<T>(method: 'GET' | 'PUT', url: string, label: string, body?: unknown, emptyOk = false): Promise<T> {
    const full = `${url}${url.includes('?') ? '&' : '?'}api-version=${API_VERSION}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.accessToken}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.http.send({ method, url: full, headers, body: body === undefined ? undefined : JSON.stringify(body), retry: 'idempotent' });
    if (response.status === 401 || response.status === 403) throw new ApiError(loc('ServiceConnectionForbidden', label, response.status), response.status);
    if (response.status === 404) throw new ApiError(loc('ServiceConnectionNotFound', label), 404);
    return parseAnswer<T>(response, emptyOk, { service: loc('ServiceConnectionApiName'), credential: loc('JobTokenCredential') });
  }
}
