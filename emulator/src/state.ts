// In-memory state: identities, grants, organizations, policies. PATs and variable groups have their own stores.
import { Clock } from './clock';
import { PatStore } from './patStore';
import { newGuid, newRefreshToken, randomBase64url } from './random';
import { KeyVaultStore } from './keyVaultStore';
import { OidcIssuer } from './oidc';
import { ServiceEndpointStore } from './serviceEndpointStore';
import { VariableGroupStore } from './variableGroupStore';
import { defaultVariant, type ServiceVariant } from './variant';
import type { AppOptions, AppRecord, IssueRefreshTokenOptions, PatPolicy, RefreshRefusal, TenantRecord, UserOptions, UserRecord } from './types';

export const ADO_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
export const DEFAULT_APP_SCOPES = 'vso.pats vso.pats_manage';
export const REFRESH_TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;
export const ACCESS_TOKEN_LIFETIME_S = 3599;

interface RefreshGrant {
  tenantId: string;
  clientId: string;
  userId: string;
  issuedAtMs: number;
  expiresAtMs: number;
  revoked: boolean;
  refusal?: RefreshRefusal;
}

export interface AccessGrant {
  kind: 'user' | 'app' | 'job';
  tenantId: string;
  clientId: string;
  /** User oid, service principal id or build service identity id. */
  oid: string;
  userId?: string;
  /** Granted Azure DevOps scopes, space separated ('' for app-only). */
  scp: string;
  expMs: number;
  /** For job tokens: the organization key they are valid for. */
  org?: string;
  name: string;
}

interface DeviceCodeGrant {
  userCode: string;
  tenantId: string;
  clientId: string;
  scope: string;
  expiresAtMs: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  userId?: string;
}

interface AuthCodeGrant {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  challengeMethod?: string;
  userId: string;
  scope: string;
  nonce?: string;
  expiresAtMs: number;
  used: boolean;
}

export interface OrgRecord {
  name: string;
  accountId: string;
  /** When set, only tokens from this tenant may call the organization. */
  tenantId?: string;
}

export function defaultPolicy(): PatPolicy {
  return { blockGlobalPats: false, blockFullScopePats: false, disablePatCreation: false };
}

export class State {
  readonly clock = new Clock();
  baseUrl = '';
  readonly tenants = new Map<string, TenantRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly accessTokens = new Map<string, AccessGrant>();
  readonly deviceCodes = new Map<string, DeviceCodeGrant>();
  readonly authCodes = new Map<string, AuthCodeGrant>();
  readonly orgs = new Map<string, OrgRecord>();
  policy: PatPolicy = defaultPolicy();
  /** How the service answers where the sources leave it open (variant.ts). */
  variant: ServiceVariant = defaultVariant();
  readonly pats = new PatStore();
  readonly groups = new VariableGroupStore();
  readonly endpoints = new ServiceEndpointStore();
  readonly vaults = new KeyVaultStore();
  /** Signs the OIDC tokens of service connections (workload identity federation). */
  readonly oidc = new OidcIssuer();
  /** Key Vault access tokens (resource https://vault.azure.net), apart from Azure DevOps tokens. */
  readonly vaultTokens = new Map<string, AccessGrant>();

  addTenant(id?: string): TenantRecord {
    const tenant = { id: (id ?? newGuid()).toLowerCase() };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  addApp(options: AppOptions): AppRecord {
    const tenantId = this.requireTenant(options.tenantId).id;
    const clientId = (options.clientId ?? newGuid()).toLowerCase();
    const app: AppRecord = {
      tenantId,
      clientId,
      displayName: options.displayName ?? 'PAT lifecycle test app',
      clientSecret: options.clientSecret,
      secretExpired: options.secretExpired ?? false,
      allowPublicClient: options.allowPublicClient ?? options.clientSecret === undefined,
      consented: options.consented ?? true,
      mfaRequired: options.mfaRequired ?? false,
      deviceCodeBlocked: options.deviceCodeBlocked ?? false,
      scopes: options.scopes ?? DEFAULT_APP_SCOPES,
      servicePrincipalId: newGuid(),
      federatedCredentials: (options.federatedCredentials ?? []).map((c) => ({ ...c })),
    };
    this.apps.set(clientId, app);
    return app;
  }

  setAppOption(clientId: string, partial: Partial<Omit<AppRecord, 'clientId' | 'servicePrincipalId'>>): AppRecord {
    const app = this.requireApp(clientId);
    Object.assign(app, partial);
    return app;
  }

  addUser(options: UserOptions): UserRecord {
    const tenantId = this.requireTenant(options.tenantId).id;
    const id = (options.id ?? newGuid()).toLowerCase();
    const n = this.users.size + 1;
    const user: UserRecord = {
      id,
      tenantId,
      name: options.name ?? `Test User ${n}`,
      upn: options.upn ?? `user${n}@contoso.example`,
    };
    this.users.set(id, user);
    return user;
  }

  issueRefreshToken(options: IssueRefreshTokenOptions): string {
    const app = this.requireApp(options.clientId);
    const user = this.requireUser(options.userId);
    const now = this.clock.nowMs();
    const token = newRefreshToken();
    this.refreshTokens.set(token, {
      tenantId: options.tenantId.toLowerCase(),
      clientId: app.clientId,
      userId: user.id,
      issuedAtMs: options.expired ? now - REFRESH_TOKEN_LIFETIME_MS - 1000 : now,
      expiresAtMs: options.expired ? now - 1000 : now + REFRESH_TOKEN_LIFETIME_MS,
      revoked: options.revoked ?? false,
      refusal: options.refusal,
    });
    return token;
  }

  revokeRefreshTokens(userId: string): number {
    let n = 0;
    for (const grant of this.refreshTokens.values()) {
      if (grant.userId === userId.toLowerCase() && !grant.revoked) {
        grant.revoked = true;
        n++;
      }
    }
    return n;
  }

  /** A job access token (System.AccessToken) for one organization. */
  issueJobToken(org: string): string {
    const o = this.ensureOrg(org);
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${randomBase64url(96)}.${randomBase64url(64)}`;
    this.accessTokens.set(token, {
      kind: 'job',
      tenantId: o.tenantId ?? '',
      clientId: '',
      oid: newGuid(),
      scp: 'app_token',
      expMs: Number.MAX_SAFE_INTEGER,
      org: orgKey(org),
      name: `Project Collection Build Service (${o.name})`,
    });
    return token;
  }

  ensureOrg(name: string, tenantId?: string): OrgRecord {
    const key = orgKey(name);
    let org = this.orgs.get(key);
    if (!org) {
      org = { name, accountId: newGuid() };
      this.orgs.set(key, org);
    }
    if (tenantId !== undefined) org.tenantId = tenantId.toLowerCase();
    return org;
  }

  requireTenant(id: string): TenantRecord {
    const t = this.tenants.get(id.toLowerCase());
    if (!t) throw new Error(`Unknown tenant ${id}`);
    return t;
  }

  requireApp(clientId: string): AppRecord {
    const a = this.apps.get(clientId.toLowerCase());
    if (!a) throw new Error(`Unknown app ${clientId}`);
    return a;
  }

  requireUser(userId: string): UserRecord {
    const u = this.users.get(userId.toLowerCase());
    if (!u) throw new Error(`Unknown user ${userId}`);
    return u;
  }

  /** The user an interactive sign-in picks: the tenant's first user. */
  interactiveUserFor(tenantId: string): UserRecord | undefined {
    for (const u of this.users.values()) if (u.tenantId === tenantId) return u;
    return undefined;
  }
}

export function orgKey(name: string): string {
  return name.toLowerCase();
}
