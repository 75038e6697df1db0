/**
 * A small typed client for Azure DevOps variable groups, enough to store secrets in one without losing the
 * others. The service's PUT replaces the whole variable set: every variable left out is deleted, and a secret
 * sent as `{ isSecret: true, value: null }` keeps its stored value. So: read the group, change only ours,
 * send every other variable back as it was.
 *
 * Routes, as distributedTask 7.1 documents them: reads are project-scoped
 * (`{org}/{project}/_apis/distributedtask/variablegroups[/{id}]`); the update is organization-level
 * (`PUT {org}/_apis/distributedtask/variablegroups/{id}`) and names the group's projects in
 * `variableGroupProjectReferences`.
 */
import { loc } from './messages.generated';
import { ApiError } from './errors';
import type { HttpLayer } from './http';
import { parseAnswer } from './patsApi';

export interface VariableValue {
  value: string | null;
  isSecret?: boolean;
  isReadOnly?: boolean;
}

export interface VariableGroup {
  id: number;
  name: string;
  type?: string;
  description?: string;
  variables: Record<string, VariableValue>;
  providerData?: unknown;
  variableGroupProjectReferences?: unknown[];
}

const API_VERSION = '7.1';

export class VariableGroupsApi {
  private readonly base: string;
  private readonly orgBase: string;

  constructor(
    private readonly http: HttpLayer,
    collectionUrl: string,
    private readonly project: string,
    private readonly accessToken: string,
    /** System.TeamProjectId, when known: names the project in the update when the read did not. */
    private readonly projectId?: string,
    /** Whose token this is, for messages: the job's (the task) or the signed-in user's (the sign-in command). */
    private readonly tokenOf: 'job' | 'user' = 'job',
  ) {
    const collection = collectionUrl.replace(/\/+$/, '');
    this.orgBase = `${collection}/_apis/distributedtask/variablegroups`;
    this.base = `${collection}/${encodeURIComponent(project)}/_apis/distributedtask/variablegroups`;
    http.trust(collectionUrl);
  }

  /** By numeric id, or by exact name. */
  async find(idOrName: string): Promise<VariableGroup> {
    if (/^\d+$/.test(idOrName)) return this.call<VariableGroup>('GET', `/${idOrName}`, idOrName);
    const found = await this.call<{ value?: VariableGroup[] }>('GET', `?groupName=${encodeURIComponent(idOrName)}`, idOrName);
    const exact = (found.value ?? []).filter((g) => g.name === idOrName);
    if (exact.length !== 1) throw new ApiError(loc('VariableGroupNotFound', idOrName));
    return exact[0];
  }

  /** Sets `secrets` as secret variables and sends every other variable back unchanged. */
  /** Sets `values` (secret or not) and sends every other variable back unchanged (secrets as null: kept). */
  async setVariables(group: VariableGroup, values: Record<string, { value: string; isSecret: boolean }>): Promise<VariableGroup> {
    const variables: Record<string, VariableValue> = {};
    for (const [name, v] of Object.entries(group.variables ?? {})) {
      variables[name] = v.isSecret ? { isSecret: true, value: null, ...(v.isReadOnly ? { isReadOnly: true } : {}) } : { ...v };
    }
    for (const [name, { value, isSecret }] of Object.entries(values)) {
      const existing = Object.keys(variables).find((k) => k.toLowerCase() === name.toLowerCase());
      if (existing && existing !== name) delete variables[existing];
      variables[name] = { value, isSecret };
    }
    const references =
      Array.isArray(group.variableGroupProjectReferences) && group.variableGroupProjectReferences.length > 0
        ? group.variableGroupProjectReferences
        : [
            {
              projectReference: { ...(this.projectId ? { id: this.projectId } : {}), name: this.project },
              name: group.name,
              description: group.description ?? '',
            },
          ];
    const body = {
      name: group.name,
      type: group.type ?? 'Vsts',
      description: group.description ?? '',
      variables,
      providerData: group.providerData,
      variableGroupProjectReferences: references,
    };
    return this.call<VariableGroup>('PUT', `${this.orgBase}/${group.id}`, group.name, body);
  }

  private async call<T>(method: 'GET' | 'PUT', urlOrSuffix: string, groupLabel: string, body?: unknown): Promise<T> {
    const sep = urlOrSuffix.includes('?') ? '&' : '?';
    const url = `${urlOrSuffix.startsWith('https://') || urlOrSuffix.startsWith('http://') ? urlOrSuffix : this.base + urlOrSuffix}${sep}api-version=${API_VERSION}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.accessToken}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.http.send({ method, url, headers, body: body === undefined ? undefined : JSON.stringify(body), retry: 'idempotent' });
    if (response.status === 401) throw new ApiError(loc('VariableGroupUnauthorized', groupLabel), 401);
    if (response.status === 403) throw new ApiError(loc('VariableGroupForbidden', groupLabel), 403);
    if (response.status === 404) throw new ApiError(loc('VariableGroupNotFound', groupLabel), 404);
    return parseAnswer<T>(response, false, {
      service: loc('VariableGroupApiName'),
      credential: loc(this.tokenOf === 'job' ? 'JobTokenCredential' : 'UserTokenCredential'),
    });
  }
}
