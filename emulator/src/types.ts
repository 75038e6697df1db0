// Public types of the emulator. Everything here is re-exported from index.ts.

export type RequestKind =
  'token' | 'devicecode' | 'authorize' | 'discovery' | 'pats' | 'variablegroups' | 'connectiondata' | 'serviceendpoints' | 'oidc' | 'keyvault' | 'other';

/**
 * `servicePrincipal`: the answer the PAT API gives a service principal, as the variant plays it. The types after
 * `servicePrincipal` perform the operation (all of it or part of it) and then answer other than the service would:
 * see `Fault` and emulator/README.md.
 */
export type FaultType =
  | 'status'
  | 'reset'
  | 'hang'
  | 'html203'
  | 'redirect'
  | 'truncatedJson'
  | 'emptyOk'
  | 'resetAfterCommit'
  | 'servicePrincipal'
  | 'commitThenStatus'
  | 'commitWithoutToken'
  | 'ignoreWrite'
  | 'dropVariables'
  | 'repeatRows'
  | 'endlessPages';

/** What became of a request a gate held: still `held`, `released` (went on) or `dropped` (its connection closed first). */
export type GateOutcome = 'held' | 'released' | 'dropped';

/** One request as the emulator saw it. Secrets are never recorded. */
export interface RequestRecord {
  seq: number;
  /** Wall-clock time the request arrived (real time, not the emulator clock). */
  time: Date;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  kind: RequestKind;
  /** 'Bearer' | 'Basic' | 'none' | any other scheme as sent. */
  authScheme: string;
  /** HTTP status sent; 0 while pending and for answers that never came (reset, hang, resetAfterCommit). */
  status: number;
  /** Id of the TLS connection (1, 2, ...) the request came on. */
  connectionId: number;
  /** Parsed form or JSON body with secret fields removed. */
  body?: unknown;
  /** Set when an injected fault answered (or swallowed) this request. */
  fault?: FaultType;
  /** Set when a gate held this request. */
  gate?: GateOutcome;
}

export interface EmulatorOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
  /** Delay added before every response. Default 0. */
  latencyMs?: number;
}

export interface EmulatorStats {
  /** TLS handshakes completed (one per client connection). */
  tlsConnections: number;
  /** HTTP requests received. */
  requests: number;
}

export interface TenantRecord {
  id: string;
}

export interface AppOptions {
  tenantId: string;
  clientId?: string;
  displayName?: string;
  /** Makes the app confidential. */
  clientSecret?: string;
  /** The secret matches but has expired (AADSTS7000222). */
  secretExpired?: boolean;
  /**
   * "Allow public client flows". Default: true for an app without a secret, false for an app with one
   * (the portal default for a confidential registration).
   */
  allowPublicClient?: boolean;
  /** Default true. false -> consent_required (AADSTS65001). */
  consented?: boolean;
  /** Refresh-token redemptions answer interaction_required (AADSTS50076). Interactive flows count as MFA. */
  mfaRequired?: boolean;
  /** Conditional access blocks the device code flow (AADSTS53003 at the token poll). */
  deviceCodeBlocked?: boolean;
  /** Azure DevOps delegated scopes the app holds, space separated. Default 'vso.pats vso.pats_manage'. */
  scopes?: string;
  /** Federated identity credentials: client assertions matching one of them authenticate the app. */
  federatedCredentials?: FederatedCredential[];
}

export interface FederatedCredential {
  issuer: string;
  subject: string;
  audience: string;
}

export interface AppRecord {
  tenantId: string;
  clientId: string;
  displayName: string;
  clientSecret?: string;
  secretExpired: boolean;
  allowPublicClient: boolean;
  consented: boolean;
  mfaRequired: boolean;
  deviceCodeBlocked: boolean;
  scopes: string;
  /** Object id of the app's service principal (the oid of app-only tokens). */
  servicePrincipalId: string;
  federatedCredentials: FederatedCredential[];
}

export interface UserOptions {
  tenantId: string;
  name?: string;
  upn?: string;
  id?: string;
}

export interface UserRecord {
  id: string;
  tenantId: string;
  name: string;
  upn: string;
}

export interface IssueRefreshTokenOptions {
  tenantId: string;
  clientId: string;
  userId: string;
  expired?: boolean;
  revoked?: boolean;
  /**
   * Its redemption fails as Entra's does when a sign-in frequency policy has ended the token (AADSTS70043,
   * BadTokenDueToSignInFrequency) or when the user must confirm the sign-in (AADSTS50199, CmsiInterrupt).
   */
  refusal?: RefreshRefusal;
}

export type RefreshRefusal = 'signInFrequency' | 'userConfirmation';

export interface IssueAccessTokenOptions {
  tenantId: string;
  clientId: string;
  userId: string;
  /** scp claim; default: the app's scopes. */
  scopes?: string;
  /** Already expired when issued. */
  expired?: boolean;
}

export interface DemoSeed {
  tenantId: string;
  clientId: string;
  userId: string;
  refreshToken: string;
  org: string;
  orgUrl: string;
  project: string;
  jobToken: string;
  variableGroupId: number;
}

export interface RateLimitPolicy {
  maxRequests: number;
  perSeconds: number;
}

export interface PatPolicy {
  maxLifespanDays?: number;
  blockGlobalPats: boolean;
  blockFullScopePats: boolean;
  disablePatCreation: boolean;
  rateLimit?: RateLimitPolicy;
}

export type PatStatus = 'active' | 'expired' | 'revoked';

/** A PAT as stored; validFrom/validTo are formatted as the API returns them. */
export interface PatRecord {
  authorizationId: string;
  userId: string;
  org: string;
  displayName: string;
  scope: string;
  validFrom: string;
  validTo: string;
  allOrgs: boolean;
  targetAccounts: string[] | null;
  token: string;
  revoked: boolean;
  status: PatStatus;
}

export interface SeedPat {
  displayName: string;
  scope?: string;
  validFrom?: Date | string;
  validTo?: Date | string;
  revoked?: boolean;
  allOrgs?: boolean;
}

export interface VariableValue {
  value: string | null;
  isSecret?: boolean;
}

export interface AddVariableGroupOptions {
  org: string;
  project: string;
  name: string;
  description?: string;
  variables?: Record<string, string | VariableValue>;
  /** Who holds the Administrator role besides users: 'jobToken' (default) or 'none'. */
  administrators?: 'jobToken' | 'none';
}

/** A variable group with secret values visible (test assertions only). */
export interface VariableGroupRecord {
  id: number;
  org: string;
  project: string;
  projectId: string;
  name: string;
  description: string;
  type: string;
  variables: Record<string, { value: string; isSecret: boolean }>;
  administrators: 'jobToken' | 'none';
  modifiedOn: string;
}

export interface FaultMatch {
  kind?: RequestKind;
  method?: string;
  /** Case-insensitive substring of the path (no query). */
  pathIncludes?: string;
}

export interface Fault {
  match: FaultMatch;
  type: FaultType;
  /** `status`: the status to answer (default 503). `commitThenStatus`: the status after performing (default 504). */
  status?: number;
  retryAfterSeconds?: number;
  body?: string;
  headers?: Record<string, string>;
  redirectTo?: string;
  /** How many matching requests this fault applies to; default 1. */
  times?: number;
  /**
   * `commitWithoutToken`: what the create answer carries in `patToken.token`: `'missing'` (no such key), `'null'`
   * (JSON null) or this string in place of the secret. Default `'missing'`.
   */
  answerTokenAs?: string;
  /** `dropVariables`: names of the variables left out of the stored write (case-insensitive). */
  variables?: string[];
  /** `repeatRows`: how many rows of the listing's first page are added again at the start of the page (default 3). */
  count?: number;
}

export interface GateOptions {
  /** `before` (default): hold the request before the emulator performs it. `afterCommit`: perform it, then hold the answer. */
  when?: 'before' | 'afterCommit';
  /** How many matching requests the gate holds, one after another; default 1. */
  times?: number;
}

export interface GateHandle {
  /** Resolves with the first request the gate holds. */
  readonly arrived: Promise<RequestRecord>;
  /** Resolves with the n-th (1-based) request the gate holds. */
  arrival(n: number): Promise<RequestRecord>;
  /** Lets every request held now go on (performed and answered, or answered). Later matches are held while uses are left. */
  release(): void;
  /** Requests this gate has held so far. */
  readonly hits: number;
  /** Requests held right now. */
  readonly holding: number;
  /** Removes the gate; requests it holds go on. */
  remove(): void;
}

export interface FaultHandle {
  /** Requests this fault has answered so far. */
  readonly hits: number;
  /** Applications left before it is removed. */
  readonly remaining: number;
  remove(): void;
}

/** `retired`: a global PAT after 2026-12-01. */
export type CheckPatResult = PatStatus | 'unknown' | 'wrongOrg' | 'retired';

export interface AuthorityMetadata {
  token_endpoint: string;
  token_endpoint_auth_methods_supported: string[];
  jwks_uri: string;
  response_modes_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
  response_types_supported: string[];
  scopes_supported: string[];
  issuer: string;
  request_uri_parameter_supported: boolean;
  userinfo_endpoint: string;
  authorization_endpoint: string;
  device_authorization_endpoint: string;
  http_logout_supported: boolean;
  frontchannel_logout_supported: boolean;
  end_session_endpoint: string;
  claims_supported: string[];
  tenant_region_scope: string | null;
  cloud_instance_name: string;
  cloud_graph_host_name: string;
  msgraph_host: string;
}

// ---- service connections, Key Vault, workload identity federation ----

/** Service connection types whose secrets the emulator knows (ListEndpointTypes.json). */
export type ServiceEndpointType =
  'externaltfs' | 'git' | 'externalnpmregistry' | 'externalnugetfeed' | 'generic' | 'dockerregistry' | 'azurerm' | (string & {});

export interface AddServiceEndpointOptions {
  org: string;
  project: string;
  name: string;
  /** Endpoint type as ListEndpointTypes names it: externaltfs, git, externalnpmregistry, externalnugetfeed, generic, dockerregistry. */
  type: ServiceEndpointType;
  url?: string;
  /** Authentication scheme: Token, UsernamePassword, None (NuGet API key), ... */
  scheme: string;
  /** Authorization parameters by name (e.g. `apitoken`, `username`/`password`, `nugetkey`). */
  parameters: Record<string, string>;
  data?: Record<string, string>;
  description?: string;
  /** Whether the build identity holds the Administrator role on the endpoint: 'jobToken' (default) or 'none'. */
  administrators?: 'jobToken' | 'none';
}

/** A service endpoint with its secrets (test assertions only). */
export interface ServiceEndpointRecord {
  id: string;
  org: string;
  project: string;
  projectId: string;
  name: string;
  type: string;
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data: Record<string, string>;
  description: string;
  administrators: 'jobToken' | 'none';
  /** Names of the parameters the service treats as confidential for this type and scheme. */
  confidential: string[];
  /** How many successful PUTs changed it. */
  updates: number;
}

export type KeyVaultRole = 'officer' | 'user' | 'none';

export interface AddKeyVaultOptions {
  name: string;
  tenantId: string;
  /** Role per client id (app): 'officer' (Key Vault Secrets Officer: set, get, list), 'user' (Secrets User: get, list), 'none'. */
  access?: Record<string, KeyVaultRole>;
}

export interface KeyVaultSecretRecord {
  /** Value of the newest version. */
  value: string;
  tags: Record<string, string>;
  /** Expiry of the newest version (unix seconds), if set. */
  exp?: number;
  contentType?: string;
  enabled: boolean;
  /** How many versions exist. */
  versions: number;
}

export interface AddArmServiceConnectionOptions {
  org: string;
  project: string;
  name: string;
  tenantId: string;
  scheme: 'WorkloadIdentityFederation' | 'ServicePrincipal';
  /** ServicePrincipal: the client secret (generated when absent). */
  clientSecret?: string;
  /** Federated credential overrides (to play a misconfigured app registration). */
  federatedCredential?: { issuer?: string; subject?: string; audience?: string };
  subscriptionId?: string;
  subscriptionName?: string;
}

/** What the agent hands a task for one service connection (runTaskAsAgent's `endpoints`). */
export interface AgentEndpoint {
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data?: Record<string, string>;
}

export interface ArmServiceConnectionRecord {
  /** The service endpoint id (what the agent names the connection by in ENDPOINT_* variables). */
  id: string;
  clientId: string;
  tenantId: string;
  servicePrincipalId: string;
  clientSecret?: string;
  issuer: string;
  subject: string;
  audience: string;
  /** What the agent gives a task for this connection. */
  endpoint: AgentEndpoint;
}
