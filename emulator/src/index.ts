// Public entry point: startEmulator() and the Emulator it returns.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadOrCreateCerts } from './certs';
import { roundToStoredPrecision, toMs } from './clock';
import { approveDeviceCode, authorityMetadata, declineDeviceCode, instanceDiscovery } from './entra';
import { FaultList } from './faults';
import { GateList } from './gates';
import { globalRetired, patStatus, PatInternal, toPatRecord, visibleIn } from './patStore';
import { newGuid, newPatSecrets } from './random';
import { RateLimiter } from './rateLimit';
import { EmulatorServer } from './server';
import { DEFAULT_APP_SCOPES, defaultPolicy, State } from './state';
import { issueUserAccessToken } from './tokens';
import { toGroupRecord } from './variableGroupStore';
import { isConfidential, toEndpointRecord } from './serviceEndpointStore';
import { toSecretRecord } from './keyVaultStore';
import { vaultUrl } from './keyVault';
import { oidcIssuer, oidcSubject, TOKEN_EXCHANGE_AUDIENCE } from './oidc';
import { storeName } from './pats';
import { defaultVariant, PROFILES, storeScopes, type ProfileName, type ServiceVariant } from './variant';
import type {
  AddArmServiceConnectionOptions,
  AddKeyVaultOptions,
  AddServiceEndpointOptions,
  AgentEndpoint,
  ArmServiceConnectionRecord,
  KeyVaultRole,
  KeyVaultSecretRecord,
  ServiceEndpointRecord,
  AddVariableGroupOptions,
  AppOptions,
  AppRecord,
  AuthorityMetadata,
  CheckPatResult,
  DemoSeed,
  EmulatorOptions,
  EmulatorStats,
  Fault,
  FaultHandle,
  FaultMatch,
  GateHandle,
  GateOptions,
  IssueAccessTokenOptions,
  IssueRefreshTokenOptions,
  PatPolicy,
  PatRecord,
  RequestRecord,
  SeedPat,
  TenantRecord,
  UserOptions,
  UserRecord,
  VariableGroupRecord,
} from './types';

export * from './types';
export { PROFILES, PROFILE_NAMES, type ProfileName, type ServiceVariant } from './variant';

const DAY_MS = 24 * 3600 * 1000;

export class Emulator {
  /** https://127.0.0.1:PORT (or the host given). */
  readonly url: string;
  readonly port: number;
  /** host:port, what MSAL's knownAuthorities needs. */
  readonly authorityHost: string;
  readonly caCertPath: string;
  readonly caCertPem: string;
  private latency: number;
  private readonly initialLatency: number;

  /** @internal use startEmulator() */
  constructor(
    private readonly state: State,
    private readonly server: EmulatorServer,
    private readonly faults: FaultList,
    private readonly rateLimiter: RateLimiter,
    private readonly gates: GateList,
    init: { host: string; port: number; caCertPath: string; caCertPem: string; latencyMs: number },
  ) {
    this.port = init.port;
    const visible = init.host === '0.0.0.0' || init.host === '::' ? '127.0.0.1' : init.host;
    const hostPart = visible.includes(':') ? `[${visible}]` : visible;
    this.url = `https://${hostPart}:${init.port}`;
    this.authorityHost = `${hostPart}:${init.port}`;
    this.caCertPath = init.caCertPath;
    this.caCertPem = init.caCertPem;
    this.latency = init.latencyMs;
    this.initialLatency = init.latencyMs;
    state.baseUrl = this.url;
  }

  /**
   * Every secret the emulator has issued or holds (refresh, access and job tokens, PATs, client secrets), by
   * kind: what a leak scan of a task's log must not find.
   */
  issuedSecrets(): Array<{ kind: string; value: string }> {
    const out: Array<{ kind: string; value: string }> = [];
    for (const value of this.state.refreshTokens.keys()) out.push({ kind: 'refresh token', value });
    for (const [value, grant] of this.state.accessTokens) out.push({ kind: grant.kind === 'user' ? 'access token' : `${grant.kind} token`, value });
    for (const value of this.state.pats.tokens()) out.push({ kind: 'PAT', value });
    for (const app of this.state.apps.values()) if (app.clientSecret) out.push({ kind: 'client secret', value: app.clientSecret });
    for (const e of this.state.endpoints.all()) {
      for (const name of Object.keys(e.parameters)) {
        if (isConfidential(e.type, e.scheme, name) && e.parameters[name] !== '') out.push({ kind: `service connection ${name}`, value: e.parameters[name] });
      }
    }
    for (const value of this.state.vaultTokens.keys()) out.push({ kind: 'Key Vault access token', value });
    for (const value of this.state.oidc.issued) out.push({ kind: 'OIDC token', value });
    for (const vault of this.state.vaults.all()) {
      for (const secret of vault.secrets.values()) for (const v of secret.versions) if (v.value !== '') out.push({ kind: 'Key Vault secret', value: v.value });
    }
    return out;
  }

  // ---- server ----
  get requests(): RequestRecord[] {
    return this.server.requests;
  }
  get stats(): EmulatorStats {
    return this.server.stats;
  }
  clearRequests(): void {
    this.server.clearRequests();
  }
  get latencyMs(): number {
    return this.latency;
  }
  setLatency(ms: number): void {
    this.latency = Math.max(0, ms);
  }
  /** Current value of the emulator clock. */
  now(): Date {
    return this.state.clock.now();
  }
  /** Freeze the emulator clock at `date` (null: back to real time). */
  setNow(date: Date | string | number | null): void {
    this.state.clock.set(date);
  }
  advanceTime(ms: number): void {
    this.state.clock.advance(ms);
  }
  async close(): Promise<void> {
    await this.server.close();
    fs.rmSync(path.dirname(this.caCertPath), { recursive: true, force: true });
  }
  /**
   * Back to a clean slate for the next test: PATs, faults, gates (requests they hold are dropped), recorded
   * requests, policies (and the rate limit window), the clock and the latency. Tenants, apps, users, tokens and
   * variable groups stay.
   */
  reset(): void {
    this.gates.clear();
    this.state.pats.clear();
    this.state.policy = defaultPolicy();
    this.state.variant = defaultVariant();
    this.state.clock.set(null);
    this.faults.clear();
    this.rateLimiter.reset();
    this.server.clearRequests();
    this.latency = this.initialLatency;
  }

  // ---- Entra ----
  authority(tenant: string): string {
    return `${this.url}/${tenant}`;
  }
  authorityMetadata(tenant: string): AuthorityMetadata {
    return authorityMetadata(this.url, tenant);
  }
  /** For MSAL's `cloudDiscoveryMetadata` option (a JSON string there). */
  cloudDiscoveryMetadata(): Record<string, unknown> {
    return instanceDiscovery(this.url);
  }
  addTenant(id?: string): TenantRecord {
    return this.state.addTenant(id);
  }
  addApp(options: AppOptions): AppRecord {
    return { ...this.state.addApp(options) };
  }
  setAppOption(clientId: string, partial: Partial<Omit<AppRecord, 'clientId' | 'servicePrincipalId'>>): AppRecord {
    return { ...this.state.setAppOption(clientId, partial) };
  }
  addUser(options: UserOptions): UserRecord {
    return { ...this.state.addUser(options) };
  }
  issueRefreshToken(options: IssueRefreshTokenOptions): string {
    return this.state.issueRefreshToken(options);
  }
  /** Revoke every refresh token of a user; returns how many were live. */
  revokeRefreshTokens(userId: string): number {
    return this.state.revokeRefreshTokens(userId);
  }
  /** An Azure DevOps access token for a user, without a token request (for direct API tests). */
  issueAccessToken(options: IssueAccessTokenOptions): string {
    const app = this.state.requireApp(options.clientId);
    const user = this.state.requireUser(options.userId);
    return issueUserAccessToken(this.state, app, user, options.scopes ?? app.scopes, options.expired ?? false);
  }
  approveDeviceCode(userCode: string, userId?: string): void {
    approveDeviceCode(this.state, userCode, userId);
  }
  declineDeviceCode(userCode: string): void {
    declineDeviceCode(this.state, userCode);
  }
  /** A job token (System.AccessToken) for an organization: good for variable groups, not for the PAT API. */
  issueJobToken(org: string): string {
    return this.state.issueJobToken(org);
  }

  // ---- organizations ----
  orgUrl(org: string): string {
    return `${this.url}/${encodeURIComponent(org)}`;
  }
  /** Register an organization; with tenantId only that tenant's tokens are accepted. Returns its account id. */
  addOrg(org: string, tenantId?: string): string {
    return this.state.ensureOrg(org, tenantId).accountId;
  }
  orgAccountId(org: string): string {
    return this.state.ensureOrg(org).accountId;
  }

  // ---- service variants (variant.ts, FIDELITY.md) ----
  /** How the emulator answers where the sources leave the service's behaviour open. */
  get variant(): ServiceVariant {
    return { ...this.state.variant };
  }
  /** Change some switches of the current variant. */
  setVariant(partial: Partial<ServiceVariant>): void {
    this.state.variant = { ...this.state.variant, ...partial };
  }
  /** Play a named profile (every switch at once). */
  useProfile(name: ProfileName): void {
    const profile = PROFILES[name];
    if (!profile) throw new Error(`Unknown profile ${String(name)}: use one of ${Object.keys(PROFILES).join(', ')}`);
    this.state.variant = { ...profile };
  }

  // ---- PATs ----
  setPolicy(partial: Partial<PatPolicy>): void {
    this.state.policy = { ...this.state.policy, ...partial };
    if ('rateLimit' in partial) this.rateLimiter.reset();
  }
  /**
   * Store PATs directly. Defaults: scope 'vso.code', validFrom = now minus (n - i) seconds (later entries are
   * newer), validTo = validFrom + 30 days.
   */
  seedPats(userId: string, org: string, pats: SeedPat[]): PatRecord[] {
    const user = this.state.requireUser(userId);
    const o = this.state.ensureOrg(org);
    const nowMs = this.state.clock.nowMs();
    const secrets = newPatSecrets(pats.length);
    return pats.map((p, i) => {
      const validFromMs = roundToStoredPrecision(p.validFrom !== undefined ? toMs(p.validFrom) : nowMs - (pats.length - i) * 1000);
      const pat: PatInternal = {
        authorizationId: newGuid(),
        userId: user.id,
        orgName: o.name,
        // Stored as the service would have stored them when they were made (the variant's encoding and scopes).
        displayName: storeName(this.state, p.displayName),
        scope: storeScopes((p.scope ?? 'vso.code').trim().split(/\s+/), this.state.variant),
        validFromMs,
        validToMs: roundToStoredPrecision(p.validTo !== undefined ? toMs(p.validTo) : validFromMs + 30 * DAY_MS),
        allOrgs: p.allOrgs ?? false,
        targetAccounts: p.allOrgs ? null : [o.accountId],
        token: secrets[i],
        revoked: p.revoked ?? false,
      };
      this.state.pats.add(pat);
      return toPatRecord(pat, nowMs);
    });
  }
  /** Every PAT of a user, revoked ones and secrets included. */
  listPats(userId: string): PatRecord[] {
    const nowMs = this.state.clock.nowMs();
    return this.state.pats.forUser(userId).map((p) => toPatRecord(p, nowMs));
  }
  findPat(authorizationId: string): PatRecord | undefined {
    const p = this.state.pats.get(authorizationId);
    return p ? toPatRecord(p, this.state.clock.nowMs()) : undefined;
  }
  /** Whether a PAT secret would work now (optionally: in this organization). */
  checkPat(token: string, org?: string): CheckPatResult {
    const p = this.state.pats.byTokenValue(token);
    if (!p) return 'unknown';
    const status = patStatus(p, this.state.clock.nowMs());
    if (status === 'active' && org !== undefined && !visibleIn(p, this.state.ensureOrg(org).accountId)) return 'wrongOrg';
    if (status === 'active' && globalRetired(p, this.state.clock.nowMs())) return 'retired';
    return status;
  }

  // ---- variable groups ----
  addVariableGroup(options: AddVariableGroupOptions): VariableGroupRecord {
    this.state.ensureOrg(options.org);
    return toGroupRecord(this.state.groups.add(options, this.state.clock.nowMs()));
  }
  getVariableGroup(org: string, project: string, idOrName: number | string): VariableGroupRecord | undefined {
    const p = this.state.groups.findProject(org, project);
    const g = p ? this.state.groups.find(org, p, idOrName) : undefined;
    return g ? toGroupRecord(g) : undefined;
  }

  // ---- projects, service connections, Key Vault, workload identity federation ----
  /** The id of a project (created on first use), as `System.TeamProjectId` holds it. */
  projectId(org: string, project: string): string {
    this.state.ensureOrg(org);
    return this.state.groups.ensureProject(org, project).id;
  }
  /** A service connection (service endpoint) in a project. Types and secret parameters: ListEndpointTypes.json. */
  addServiceEndpoint(options: AddServiceEndpointOptions): { id: string } {
    this.state.ensureOrg(options.org);
    const project = this.state.groups.ensureProject(options.org, options.project);
    return { id: this.state.endpoints.add(options, project).id };
  }
  /** Gives ('jobToken') or takes away ('none') the build identity's Administrator role on a service connection. */
  setServiceEndpointAdministrators(org: string, idOrName: string, administrators: 'jobToken' | 'none'): void {
    const e = this.state.endpoints.find(org, idOrName);
    if (!e) throw new Error(`Unknown service connection ${idOrName}`);
    e.administrators = administrators;
  }
  /** A service connection by id or name, secrets included (test assertions only). */
  getServiceEndpoint(org: string, idOrName: string): ServiceEndpointRecord | undefined {
    const e = this.state.endpoints.find(org, idOrName);
    return e ? toEndpointRecord(e) : undefined;
  }
  /** A Key Vault at `${url}/keyvault/${name}` in a tenant, with RBAC roles per client id. Returns its URL. */
  addKeyVault(options: AddKeyVaultOptions): { url: string } {
    const tenant = this.state.requireTenant(options.tenantId);
    const v = this.state.vaults.add(options.name, tenant.id, options.access ?? {});
    return { url: vaultUrl(this.url, v.name) };
  }
  /** Gives (or takes away, 'none') a client id's role on a vault. */
  setKeyVaultAccess(vaultName: string, clientId: string, role: KeyVaultRole): void {
    const v = this.state.vaults.get(vaultName);
    if (!v) throw new Error(`Unknown Key Vault ${vaultName}`);
    v.access.set(clientId.toLowerCase(), role);
  }
  /** The newest version of a secret and how many versions exist (test assertions only). */
  getKeyVaultSecret(vaultName: string, secretName: string): KeyVaultSecretRecord | undefined {
    const secret = this.state.vaults.get(vaultName)?.secrets.get(secretName.toLowerCase());
    return secret ? toSecretRecord(secret) : undefined;
  }
  /**
   * An Azure Resource Manager service connection and its app registration in `tenantId`: with a federated identity
   * credential (issuer https://vstoken.dev.azure.com/{orgAccountId}, subject sc://{org}/{project}/{name}, audience
   * api://AzureADTokenExchange) or a client secret. Returns the ids and what the agent gives a task for it.
   */
  addArmServiceConnection(options: AddArmServiceConnectionOptions): ArmServiceConnectionRecord {
    const tenant = this.state.requireTenant(options.tenantId);
    const org = this.state.ensureOrg(options.org);
    const project = this.state.groups.ensureProject(options.org, options.project);
    const wif = options.scheme === 'WorkloadIdentityFederation';
    const issuer = options.federatedCredential?.issuer ?? oidcIssuer(org.accountId);
    const subject = options.federatedCredential?.subject ?? oidcSubject(org.name, project.name, options.name);
    const audience = options.federatedCredential?.audience ?? TOKEN_EXCHANGE_AUDIENCE;
    const clientSecret = wif ? undefined : (options.clientSecret ?? `Emu8Q~${newPatSecrets(1)[0].slice(0, 34)}`);
    const app = this.state.addApp({
      tenantId: tenant.id,
      displayName: `${org.name}-${project.name}-${options.name}`,
      clientSecret,
      allowPublicClient: false,
      scopes: '',
      federatedCredentials: wif ? [{ issuer, subject, audience }] : [],
    });
    const parameters: Record<string, string> = wif
      ? { tenantid: tenant.id, serviceprincipalid: app.clientId, workloadIdentityFederationIssuer: issuer, workloadIdentityFederationSubject: subject }
      : { tenantid: tenant.id, serviceprincipalid: app.clientId, authenticationType: 'spnKey', serviceprincipalkey: clientSecret ?? '' };
    const data: Record<string, string> = {
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      subscriptionId: options.subscriptionId ?? newGuid(),
      subscriptionName: options.subscriptionName ?? 'Emulated subscription',
      creationMode: 'Manual',
      // Where Entra is: the emulator (the service sets https://login.windows.net/ for AzureCloud).
      environmentAuthorityUrl: `${this.url}/`,
    };
    const url = 'https://management.azure.com/';
    const e = this.state.endpoints.add(
      { org: options.org, project: options.project, name: options.name, type: 'azurerm', url, scheme: options.scheme, parameters, data },
      project,
    );
    const endpoint: AgentEndpoint = { url, scheme: options.scheme, parameters: { ...parameters }, data: { ...data } };
    return {
      id: e.id,
      clientId: app.clientId,
      tenantId: tenant.id,
      servicePrincipalId: app.servicePrincipalId,
      clientSecret,
      issuer,
      subject,
      audience,
      endpoint,
    };
  }
  /**
   * What `System.OidcRequestUri` holds for a job in this project: {collectionUri}{projectId}/_apis/distributedtask/hubs/
   * build/plans/{planId}/jobs/{jobId}/oidctoken, without a query (callers add api-version and serviceConnectionId).
   */
  oidcRequestUri(org: string, project: string): string {
    return `${this.orgUrl(org)}/${this.projectId(org, project)}/_apis/distributedtask/hubs/build/plans/${newGuid()}/jobs/${newGuid()}/oidctoken`;
  }

  // ---- faults ----
  injectFault(fault: Fault): FaultHandle {
    return this.faults.inject(fault);
  }
  clearFaults(): void {
    this.faults.clear();
  }

  // ---- gates ----
  /**
   * Holds the first request matching `match` (the first `times` ones, one after another): `before` (default) holds it
   * before it is performed, `afterCommit` performs it and holds the answer, until `release()`. A client that closes
   * its connection meanwhile drops the request (held `before`: never performed). Other requests go on as usual.
   */
  gate(match: FaultMatch, options?: GateOptions): GateHandle {
    return this.gates.add(match, options);
  }
  /** Removes every gate; the requests they hold are dropped (connection reset), never performed when held `before`. */
  clearGates(): void {
    this.gates.clear();
  }

  /**
   * A tenant, a public app (allowed to manage PATs and variable groups, so `pat-lifecycle login --variable-group`
   * works too), a user, a refresh token, an organization bound to the tenant and a variable group.
   */
  seedDemo(): DemoSeed {
    const tenantId = this.addTenant().id;
    const clientId = this.addApp({ tenantId, displayName: 'PAT lifecycle demo app', scopes: `${DEFAULT_APP_SCOPES} vso.variablegroups_manage` }).clientId;
    const userId = this.addUser({ tenantId, name: 'Demo User', upn: 'demo.user@contoso.example' }).id;
    const refreshToken = this.issueRefreshToken({ tenantId, clientId, userId });
    const org = 'demo-org';
    const project = 'DemoProject';
    this.addOrg(org, tenantId);
    const group = this.addVariableGroup({
      org,
      project,
      name: 'pat-rotation',
      variables: { PAT_NAME: 'demo', REFRESH_TOKEN: { value: refreshToken, isSecret: true } },
    });
    return { tenantId, clientId, userId, refreshToken, org, orgUrl: this.orgUrl(org), project, jobToken: this.issueJobToken(org), variableGroupId: group.id };
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const material = await loadOrCreateCerts();
  const state = new State();
  const faults = new FaultList();
  const rateLimiter = new RateLimiter();
  const gates = new GateList();
  const ref: { current?: Emulator } = {};
  const server = new EmulatorServer({
    key: material.serverKeyPem,
    cert: material.serverCertPem,
    state,
    faults,
    gates,
    rateLimiter,
    latencyMs: () => ref.current?.latencyMs ?? 0,
  });
  const port = await server.listen(host, options.port ?? 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-emulator-'));
  const caCertPath = path.join(dir, 'ca.pem');
  fs.writeFileSync(caCertPath, material.caCertPem);
  ref.current = new Emulator(state, server, faults, rateLimiter, gates, {
    host,
    port,
    caCertPath,
    caCertPem: material.caCertPem,
    latencyMs: options.latencyMs ?? 0,
  });
  return ref.current;
}
