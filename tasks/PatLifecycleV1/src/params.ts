/**
 * Task inputs -> one typed, validated, read-only object. Pure: every problem is found here, before any network
 * call, and all problems are reported together.
 */
import { loc } from './messages.generated';
import { InputError } from './errors';
import { DISPLAY_FILTERS, type DisplayFilter } from './patsApi';

export { DISPLAY_FILTERS, type DisplayFilter } from './patsApi';
import { Inputs, type InputReader } from './inputs';

export type { InputReader } from './inputs';

export const OPERATIONS = ['list', 'get', 'create', 'update', 'revoke', 'rotate', 'signIn'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const DEFAULTS = {
  lifetimeDays: 30,
  apiVersion: '7.1-preview.1',
  authorityHost: 'https://login.microsoftonline.com',
  serviceUrlTemplate: 'https://vssps.dev.azure.com/{organization}',
  entraScope: '499b84ac-1321-427f-aa17-267ca6975798/.default',
  requestTimeoutSeconds: 60,
  parallelRequests: 8,
  refreshTokenVariable: 'PatLifecycle.RefreshToken',
} as const;

/** revoke by name: PATs one run revokes at most unless revokeLimit says otherwise. */
export const DEFAULT_REVOKE_LIMIT = 10;

/** Longest lifetime Azure DevOps issues for a PAT. */
export const MAX_LIFETIME_DAYS = 365;

export interface TaskParameters {
  readonly operation: Operation;
  /** Organization name, e.g. `fabrikam` (empty for signIn, which calls no PAT API). */
  readonly organization: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly refreshToken: string;
  readonly authorizationId?: string;
  /** create: the new PAT's name; update with authorizationId: the new name; otherwise a selector (`*` wildcards). */
  readonly displayName?: string;
  /** Space-separated, normalised; undefined means keep the old scope (update, rotate). */
  readonly scope?: string;
  /** Requested expiry: explicit `validTo` or now + `lifetimeDays`. */
  readonly validTo: Date;
  /** True when the user gave `validTo` or `lifetimeDays` (update keeps the old expiry otherwise). */
  readonly expirySpecified: boolean;
  readonly rotateWhenExpiringWithinDays?: number;
  readonly keepPrevious: number;
  readonly createIfMissing: boolean;
  readonly displayFilterOption: DisplayFilter;
  readonly dryRun: boolean;
  /** revoke by name: the most PATs one run may revoke; undefined when not given (then DEFAULT_REVOKE_LIMIT, and never all of them). */
  readonly revokeLimit?: number;
  readonly apiVersion: string;
  /** Origin of the Entra authority, no trailing slash. */
  readonly authorityHost: string;
  /** Base of the PAT API (`{serviceUrl}/_apis/tokens/pats`), no trailing slash. */
  readonly serviceUrl: string;
  readonly entraScope: string;
  readonly requestTimeoutSeconds: number;
  readonly parallelRequests: number;
  readonly warnOnExpiringWithinDays?: number;
  readonly failOnExpiringWithinDays?: number;
  /** Variable group (id or name, in this project) that receives the refresh token and the new PAT. */
  readonly variableGroup?: string;
  /** Variable group (id or name, in this project) that receives a new PAT: the one consumers link. */
  readonly tokenVariableGroup?: string;
  /** Variable (in `tokenVariableGroup`) that receives a new PAT. */
  readonly tokenVariable?: string;
  /** The PAT may go into `variableGroup`, beside the refresh token (warned about). */
  readonly allowSharedGroup: boolean;
  /** The new PAT does go into `variableGroup`, beside the refresh token (allowed by allowSharedGroup). */
  readonly sharedGroup: boolean;
  /** Azure DevOps service connections (names or ids) whose secret field receives a new PAT. */
  readonly serviceConnections: readonly string[];
  /** Azure Key Vault that receives a new PAT as a secret version, through an Azure Resource Manager service connection. */
  readonly keyVault?: { readonly serviceConnection: string; readonly secretName: string; readonly url: string };
  /** Use a new PAT once against Azure DevOps before anything old is revoked. */
  readonly verifyNewToken: boolean;
  /** Variable (in `variableGroup`) that receives the refresh token Entra returned. */
  readonly refreshTokenVariable: string;
}

/**
 * The inputs `signIn` reads. It has no refresh token yet (that is what it gets) and touches no PAT: every other
 * input is left unread, so none of their rules fires (e.g. the `$(PatLifecycle.RefreshToken)` default of
 * refreshToken, unexpanded while the group holds no token yet).
 */
export const SIGN_IN_INPUTS: ReadonlySet<string> = new Set([
  'operation',
  'tenantId',
  'clientId',
  'variableGroup',
  'refreshTokenVariable',
  'authorityHost',
  'entraScope',
  'requestTimeoutSeconds',
  'parallelRequests',
]);

/** Names of the inputs whose values are secrets. */
export const SECRET_INPUTS: ReadonlySet<string> = new Set(['refreshToken', 'clientSecret']);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ORG_NAME = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/i;
const SCOPE_ITEM = /^(app_token|vso\.[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$/;
const API_VERSION = /^(\d+)\.(\d+)-preview(\.\d+)?$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/**
 * @param read the task's inputs
 * @param variable pipeline variables: an empty organization falls back to `System.CollectionUri`
 */
export function parseParameters(read: InputReader, now: Date, variable: InputReader = () => undefined): TaskParameters {
  const problems: string[] = [];
  const p = new Reader(read, problems);

  const operation = p.choice('operation', OPERATIONS, 'list');
  const signIn = operation === 'signIn';
  if (signIn) p.only = SIGN_IN_INPUTS;
  // signIn stores into the pipeline's own organization (System.CollectionUri) and calls no PAT API.
  const organization = signIn ? undefined : p.organization(variable('System.CollectionUri'), (read('serviceUrl') ?? '').trim() !== '');
  const tenantId = p.required('tenantId', (v) => (GUID.test(v) || DOMAIN.test(v) || v === 'organizations' ? v : undefined), 'TenantIdInvalid');
  const clientId = p.required('clientId', (v) => (GUID.test(v) ? v.toLowerCase() : undefined), 'ClientIdInvalid');
  const clientSecret = p.secret('clientSecret', false);
  const refreshToken = p.secret('refreshToken', !signIn) ?? '';
  const authorizationId = p.optional('authorizationId', (v) => (GUID.test(v) ? v.toLowerCase() : undefined), 'AuthorizationIdInvalid');
  const displayName = p.displayName(operation, authorizationId);
  const scope = p.scope(operation);
  const lifetimeDays = p.integer('lifetimeDays', 1, MAX_LIFETIME_DAYS);
  const validToInput = p.date('validTo', now, MAX_LIFETIME_DAYS);
  if (lifetimeDays !== undefined && validToInput) problems.push(loc('LifetimeAndValidTo'));
  // Global PATs are retired: creating or regenerating one is refused since 2026-03-15, and every global PAT stops
  // working on 2026-12-01 (Azure DevOps release notes, sprint 270). The input stays for pipelines that set false.
  if (p.bool('allOrgs', false)) problems.push(loc('AllOrgsRetired'));
  const rotateWhenExpiringWithinDays = p.integer('rotateWhenExpiringWithinDays', 0, MAX_LIFETIME_DAYS);
  const keepPrevious = p.integer('keepPrevious', 0, 100) ?? 0;
  const createIfMissing = p.bool('createIfMissing', true);
  const displayFilterOption = p.choice('displayFilterOption', DISPLAY_FILTERS, 'active');
  const dryRun = p.bool('dryRun', false);
  const revokeLimit = p.integer('revokeLimit', 1, 100_000);
  const apiVersion = p.apiVersion();
  const authorityHost = p.url('authorityHost', DEFAULTS.authorityHost, false);
  const serviceUrl = p.url('serviceUrl', DEFAULTS.serviceUrlTemplate.replace('{organization}', encodeURIComponent(organization ?? 'organization')), true, true);
  const entraScope = p.optional('entraScope', (v) => (/^\S+\/\S+$/.test(v) ? v : undefined), 'EntraScopeInvalid') ?? DEFAULTS.entraScope;
  const requestTimeoutSeconds = p.integer('requestTimeoutSeconds', 1, 600) ?? DEFAULTS.requestTimeoutSeconds;
  const parallelRequests = p.integer('parallelRequests', 1, 32) ?? DEFAULTS.parallelRequests;
  const warnOnExpiringWithinDays = p.integer('warnOnExpiringWithinDays', 0, MAX_LIFETIME_DAYS);
  const failOnExpiringWithinDays = p.integer('failOnExpiringWithinDays', 0, MAX_LIFETIME_DAYS);
  const variableGroup = p.optional('variableGroup', (v) => (v.length <= 256 && !/[\r\n]/.test(v) ? v : undefined), 'VariableGroupInvalid');
  const tokenVariableGroup = p.optional('tokenVariableGroup', (v) => (v.length <= 256 && !/[\r\n]/.test(v) ? v : undefined), 'VariableGroupInvalid');
  const tokenVariable = p.optional('tokenVariable', (v) => (VARIABLE_NAME.test(v) ? v : undefined), 'VariableNameInvalid');
  const allowSharedGroup = p.bool('allowSharedGroup', false);
  const serviceConnections = p.list('serviceConnection', (v) => (v.length <= 256 ? v : undefined), 'ServiceConnectionInvalid');
  const keyVault = p.keyVault();
  const verifyNewToken = p.bool('verifyNewToken', true);
  const refreshTokenVariable =
    p.optional('refreshTokenVariable', (v) => (VARIABLE_NAME.test(v) ? v : undefined), 'VariableNameInvalid') ?? DEFAULTS.refreshTokenVariable;
  // The refresh token can make full-access PATs: it stays in the rotation pipeline's own group, and the PAT goes to
  // the group consumers link. One group for both only when asked for.
  const patGroup = tokenVariableGroup ?? (allowSharedGroup ? variableGroup : undefined);
  if (tokenVariable && !patGroup) problems.push(loc(variableGroup ? 'TokenVariableSharedGroup' : 'TokenVariableNeedsGroup'));
  if (tokenVariableGroup && !tokenVariable) problems.push(loc('TokenVariableGroupNeedsVariable'));
  const shared = !!patGroup && !!variableGroup && patGroup.toLowerCase() === variableGroup.toLowerCase();
  if (tokenVariable && shared && !allowSharedGroup) problems.push(loc('SharedGroupRefused', variableGroup));
  if (tokenVariable && shared && tokenVariable.toLowerCase() === refreshTokenVariable.toLowerCase())
    problems.push(loc('TokenVariableSameAsRefresh', tokenVariable));
  if (signIn && !variableGroup && !p.reported.has('variableGroup')) problems.push(loc('SignInNeedsVariableGroup'));

  if (problems.length > 0) throw new InputError(problems);

  const days = lifetimeDays ?? DEFAULTS.lifetimeDays;
  const params: TaskParameters = {
    operation,
    organization: organization ?? '',
    tenantId: tenantId as string,
    clientId: clientId as string,
    clientSecret,
    refreshToken,
    authorizationId,
    displayName,
    scope,
    validTo: validToInput ?? new Date(now.getTime() + days * 86_400_000),
    expirySpecified: validToInput !== undefined || lifetimeDays !== undefined,
    rotateWhenExpiringWithinDays,
    keepPrevious,
    createIfMissing,
    displayFilterOption,
    dryRun,
    revokeLimit,
    apiVersion,
    authorityHost,
    serviceUrl,
    entraScope,
    requestTimeoutSeconds,
    parallelRequests,
    warnOnExpiringWithinDays,
    failOnExpiringWithinDays,
    variableGroup,
    tokenVariableGroup: tokenVariable ? patGroup : undefined,
    tokenVariable,
    allowSharedGroup,
    sharedGroup: !!tokenVariable && shared,
    serviceConnections,
    keyVault,
    verifyNewToken,
    refreshTokenVariable,
  };
  return Object.freeze(params);
}

/** The task's own rules on top of the generic reader: organization, selectors, scopes, Key Vault, api-version. */
class Reader extends Inputs {
  /** With a custom serviceUrl (an emulator, a proxy), any https collection URL names the organization by its first segment. */
  organization(fallback: string | undefined, customService: boolean): string | undefined {
    const value = this.raw('organization') ?? fallback?.trim();
    if (!value) {
      if (!this.reported.has('organization')) this.report('organization', loc('InputRequired', 'organization'));
      return undefined;
    }
    const name = organizationName(value) ?? (customService ? anyCollectionName(value) : undefined);
    if (!name) this.report('organization', loc('OrganizationInvalid', value));
    return name;
  }

  displayName(operation: Operation, authorizationId: string | undefined): string | undefined {
    const value = this.raw('displayName');
    const selects = !(operation === 'create' || (operation === 'update' && authorizationId));
    if (value === undefined) {
      if (operation === 'create') this.report(undefined, loc('DisplayNameRequired'));
      else if (selects && operation !== 'list' && operation !== 'signIn' && !authorizationId) this.report(undefined, loc('SelectorRequired', operation));
      return undefined;
    }
    if (value.length > 256) this.report(undefined, loc('DisplayNameTooLong', value.length));
    else if (!selects && value.includes('*')) this.report(undefined, loc('DisplayNameWildcard', value));
    else if (selects && authorizationId && operation !== 'list') this.report(undefined, loc('SelectorBoth', operation));
    return value;
  }

  scope(operation: Operation): string | undefined {
    const value = this.raw('scope');
    if (value === undefined) {
      if (operation === 'create') this.report(undefined, loc('ScopeRequired'));
      return undefined;
    }
    // Scopes are case-insensitive: the service stores them lower-cased (and sorted).
    const items = [
      ...new Set(
        value
          .toLowerCase()
          .split(/[\s,]+/)
          .filter((s) => s !== ''),
      ),
    ];
    const bad = items.filter((s) => !SCOPE_ITEM.test(s));
    if (bad.length > 0) {
      this.report(undefined, loc('ScopeInvalid', bad.join(' ')));
      return undefined;
    }
    if (items.includes('app_token') && items.length > 1) {
      this.report(undefined, loc('ScopeFullWithOthers'));
      return undefined;
    }
    return items.join(' ');
  }

  /** The Key Vault target: all of keyVaultServiceConnection, keyVaultName (or keyVaultUrl) and keyVaultSecretName, or none. */
  keyVault(): TaskParameters['keyVault'] {
    const connection = this.raw('keyVaultServiceConnection');
    const vaultName = this.optional('keyVaultName', (v) => (/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(v) ? v : undefined), 'KeyVaultNameInvalid');
    const secretName = this.optional('keyVaultSecretName', (v) => (/^[0-9a-zA-Z-]{1,127}$/.test(v) ? v : undefined), 'KeyVaultSecretNameInvalid');
    const customUrl = this.raw('keyVaultUrl') === undefined ? undefined : this.url('keyVaultUrl', '', true);
    if (!connection && !vaultName && !secretName && !customUrl) return undefined;
    if (!connection || !secretName || (!vaultName && !customUrl)) {
      this.report(undefined, loc('KeyVaultIncomplete'));
      return undefined;
    }
    const url = customUrl || `https://${vaultName}.vault.azure.net`;
    return { serviceConnection: connection, secretName, url };
  }

  apiVersion(): string {
    const value = this.raw('apiVersion');
    if (value === undefined) return DEFAULTS.apiVersion;
    const m = API_VERSION.exec(value);
    if (!m) {
      this.report(undefined, loc('ApiVersionInvalid', value));
      return DEFAULTS.apiVersion;
    }
    const version = Number(m[1]) * 10 + Number(m[2]);
    if (version < 61) this.report(undefined, loc('ApiVersionTooOld', value));
    return value;
  }
}

function anyCollectionName(value: string): string | undefined {
  try {
    const url = new URL(value);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return undefined;
    const first = decodeURIComponent(url.pathname.split('/').filter((x) => x !== '')[0] ?? '');
    return ORG_NAME.test(first) ? first : undefined;
  } catch {
    return undefined;
  }
}

/** `fabrikam`, `https://dev.azure.com/fabrikam[/...]`, `https://fabrikam.visualstudio.com[/...]` -> `fabrikam`. */
export function organizationName(value: string): string | undefined {
  if (ORG_NAME.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  const host = url.hostname.toLowerCase();
  const first = decodeURIComponent(url.pathname.split('/').filter((s) => s !== '')[0] ?? '');
  if (host === 'dev.azure.com' || host === 'vssps.dev.azure.com') return ORG_NAME.test(first) ? first : undefined;
  const vs = /^([a-z0-9][a-z0-9-]*)\.(vssps\.)?visualstudio\.com$/.exec(host);
  return vs && ORG_NAME.test(vs[1]) ? vs[1] : undefined;
}
