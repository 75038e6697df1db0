// Variable group storage, and the JSON shape the API returns for a group.
import { formatApiDate } from './clock';
import { newGuid } from './random';
import type { AddVariableGroupOptions, VariableGroupRecord } from './types';

export interface StoredVariable {
  value: string;
  isSecret: boolean;
}

export interface Identity {
  id: string;
  displayName: string;
  /** Sign-in name (UPN), or the identity's own name for build identities. */
  uniqueName?: string;
}

export interface ProjectRecord {
  id: string;
  name: string;
}

export interface GroupInternal {
  id: number;
  orgName: string;
  project: ProjectRecord;
  name: string;
  description: string;
  type: string;
  /** Insertion-ordered; keys keep the case they were sent with. */
  variables: Map<string, StoredVariable>;
  administrators: 'jobToken' | 'none';
  createdBy: Identity;
  createdOnMs: number;
  modifiedBy: Identity;
  modifiedOnMs: number;
}

const SYSTEM_IDENTITY: Identity = { id: '00000000-0000-0000-0000-000000000001', displayName: 'Emulator Setup' };

export class VariableGroupStore {
  private readonly groups: GroupInternal[] = [];
  private readonly projects = new Map<string, ProjectRecord>();
  private nextId = 1;

  ensureProject(org: string, name: string): ProjectRecord {
    const key = `${org.toLowerCase()}/${name.toLowerCase()}`;
    let p = this.projects.get(key);
    if (!p) {
      p = { id: newGuid(), name };
      this.projects.set(key, p);
    }
    return p;
  }

  /** A project by name or id. */
  findProject(org: string, nameOrId: string): ProjectRecord | undefined {
    const direct = this.projects.get(`${org.toLowerCase()}/${nameOrId.toLowerCase()}`);
    if (direct) return direct;
    const prefix = `${org.toLowerCase()}/`;
    for (const [key, p] of this.projects) if (key.startsWith(prefix) && p.id === nameOrId.toLowerCase()) return p;
    return undefined;
  }

  add(options: AddVariableGroupOptions, nowMs: number): GroupInternal {
    const project = this.ensureProject(options.org, options.project);
    const variables = new Map<string, StoredVariable>();
    for (const [name, v] of Object.entries(options.variables ?? {})) {
      variables.set(name, typeof v === 'string' ? { value: v, isSecret: false } : { value: v.value ?? '', isSecret: v.isSecret === true });
    }
    const group: GroupInternal = {
      id: this.nextId++,
      orgName: options.org,
      project,
      name: options.name,
      description: options.description ?? '',
      type: 'Vsts',
      variables,
      administrators: options.administrators ?? 'jobToken',
      createdBy: SYSTEM_IDENTITY,
      createdOnMs: nowMs,
      modifiedBy: SYSTEM_IDENTITY,
      modifiedOnMs: nowMs,
    };
    this.groups.push(group);
    return group;
  }

  /** A group by id anywhere in the organization (the organization-level routes). */
  inOrg(org: string, id: number): GroupInternal | undefined {
    return this.groups.find((g) => g.orgName.toLowerCase() === org.toLowerCase() && g.id === id);
  }

  inProject(org: string, project: ProjectRecord): GroupInternal[] {
    return this.groups.filter((g) => g.orgName.toLowerCase() === org.toLowerCase() && g.project.id === project.id);
  }

  find(org: string, project: ProjectRecord, idOrName: number | string): GroupInternal | undefined {
    const list = this.inProject(org, project);
    if (typeof idOrName === 'number' || /^\d+$/.test(idOrName)) {
      const id = Number(idOrName);
      const byId = list.find((g) => g.id === id);
      if (byId || typeof idOrName === 'number') return byId;
    }
    const lower = String(idOrName).toLowerCase();
    return list.find((g) => g.name.toLowerCase() === lower);
  }

  /** Every group's contents as they are now; calling the result puts them back (a write that is answered but not kept). */
  snapshot(): () => void {
    const saved = this.groups.map((group) => ({ group, copy: { ...group, variables: new Map([...group.variables].map(([k, v]) => [k, { ...v }])) } }));
    return () => {
      for (const { group, copy } of saved) Object.assign(group, copy);
    };
  }
}

/** An IdentityRef as the recorded answers show it (id, displayName, uniqueName, url, imageUrl). */
function identityRef(who: Identity, org: string, baseUrl: string): Record<string, unknown> {
  return {
    displayName: who.displayName,
    id: who.id,
    uniqueName: who.uniqueName ?? who.displayName,
    url: `${baseUrl}/${encodeURIComponent(org)}/_apis/Identities/${who.id}`,
    imageUrl: `${baseUrl}/${encodeURIComponent(org)}/_api/_common/identityImage?id=${who.id}`,
  };
}

export function toApiGroup(g: GroupInternal, baseUrl: string): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const [name, v] of g.variables) variables[name] = v.isSecret ? { isSecret: true, value: null } : { value: v.value };
  return {
    variables,
    id: g.id,
    type: g.type,
    name: g.name,
    description: g.description,
    createdBy: identityRef(g.createdBy, g.orgName, baseUrl),
    createdOn: formatApiDate(g.createdOnMs),
    modifiedBy: identityRef(g.modifiedBy, g.orgName, baseUrl),
    modifiedOn: formatApiDate(g.modifiedOnMs),
    isShared: false,
    variableGroupProjectReferences: [{ projectReference: { id: g.project.id, name: g.project.name }, name: g.name, description: g.description }],
  };
}

export function toGroupRecord(g: GroupInternal): VariableGroupRecord {
  const variables: VariableGroupRecord['variables'] = {};
  for (const [name, v] of g.variables) variables[name] = { value: v.value, isSecret: v.isSecret };
  return {
    id: g.id,
    org: g.orgName,
    project: g.project.name,
    projectId: g.project.id,
    name: g.name,
    description: g.description,
    type: g.type,
    variables,
    administrators: g.administrators,
    modifiedOn: new Date(g.modifiedOnMs).toISOString(),
  };
}
