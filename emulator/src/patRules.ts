// Validation and policy rules for creating and updating PATs.
import { roundToStoredPrecision } from './clock';
import type { PatPolicy } from './types';

/** Azure DevOps scopes a PAT may carry (plus app_token = full access). */
const KNOWN_PAT_SCOPES: ReadonlySet<string> = new Set(
  [
    'app_token',
    'vso.agentpools',
    'vso.agentpools_manage',
    'vso.analytics',
    'vso.auditlog',
    'vso.build',
    'vso.build_execute',
    'vso.code',
    'vso.code_write',
    'vso.code_manage',
    'vso.code_full',
    'vso.code_status',
    'vso.connected_server',
    'vso.entitlements',
    'vso.extension',
    'vso.extension_manage',
    'vso.extension.data',
    'vso.extension.data_write',
    'vso.graph',
    'vso.graph_manage',
    'vso.identity',
    'vso.identity_manage',
    'vso.machinegroup_manage',
    'vso.memberentitlementmanagement',
    'vso.memberentitlementmanagement_write',
    'vso.notification',
    'vso.notification_write',
    'vso.notification_manage',
    'vso.packaging',
    'vso.packaging_write',
    'vso.packaging_manage',
    'vso.pats',
    'vso.pats_manage',
    'vso.profile',
    'vso.project',
    'vso.project_write',
    'vso.project_manage',
    'vso.release',
    'vso.release_execute',
    'vso.release_manage',
    'vso.securefiles_read',
    'vso.securefiles_write',
    'vso.securefiles_manage',
    'vso.security_manage',
    'vso.serviceendpoint',
    'vso.serviceendpoint_query',
    'vso.serviceendpoint_manage',
    'vso.symbols',
    'vso.symbols_write',
    'vso.symbols_manage',
    'vso.taskgroups_read',
    'vso.taskgroups_write',
    'vso.taskgroups_manage',
    'vso.test',
    'vso.test_write',
    'vso.threads_full',
    'vso.tokenadministration',
    'vso.tokens',
    'vso.variablegroups_read',
    'vso.variablegroups_write',
    'vso.variablegroups_manage',
    'vso.wiki',
    'vso.wiki_write',
    'vso.work',
    'vso.work_write',
    'vso.work_full',
  ].map((s) => s.toLowerCase()),
);

const MAX_DISPLAY_NAME = 256;
/** Creating or regenerating a global PAT is refused from this date (UTC): Azure DevOps release notes, sprint 270. */
const GLOBAL_PAT_CUTOFF_MS = Date.UTC(2026, 2, 15);
/** Every global PAT stops working on this date (UTC): the announcement of the retirement of global PATs. */
export const GLOBAL_PAT_RETIRED_MS = Date.UTC(2026, 11, 1);
const DAY_MS = 24 * 3600 * 1000;

export type PatError =
  | 'displayNameRequired'
  | 'invalidDisplayName'
  | 'invalidValidTo'
  | 'invalidScope'
  | 'invalidAuthorizationId'
  | 'authorizationNotFound'
  | 'tokenNotFound'
  | 'globalPatPolicyViolation'
  | 'fullScopePatPolicyViolation'
  | 'disablePatCreationPolicyViolation'
  | 'globalPATCreationBlocked'
  | 'expiredPatCannotBeExtended';

export const PAT_ERROR_TEXT: Record<PatError, string> = {
  displayNameRequired: 'A display name is required for the personal access token.',
  invalidDisplayName: `The display name is not valid: it may have at most ${MAX_DISPLAY_NAME} characters.`,
  invalidValidTo: 'The expiration date (validTo) is missing, is not a date, or is not in the future.',
  invalidScope: 'The scope is empty or names a scope that does not exist.',
  invalidAuthorizationId: 'An authorizationId is required to identify the personal access token.',
  authorizationNotFound: 'No personal access token with this authorizationId exists for the calling user in this organization.',
  tokenNotFound: 'The personal access token was not found.',
  globalPatPolicyViolation: 'A policy of your organization does not allow personal access tokens for all accessible organizations.',
  fullScopePatPolicyViolation: 'A policy of your organization does not allow full-scoped (app_token) personal access tokens.',
  disablePatCreationPolicyViolation: 'Your organization has turned off the creation of personal access tokens.',
  globalPATCreationBlocked: 'Personal access tokens for all accessible organizations can no longer be created.',
  expiredPatCannotBeExtended: 'This personal access token has expired. An expired token cannot be extended: create a new one.',
};

export type Checked<T> = { ok: true; value: T } | { ok: false; error: PatError };

export function checkDisplayName(value: unknown): Checked<string> {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    return { ok: false, error: 'displayNameRequired' };
  }
  if (typeof value !== 'string' || value.length > MAX_DISPLAY_NAME) return { ok: false, error: 'invalidDisplayName' };
  return { ok: true, value };
}

/** Scope items as sent (whitespace-separated); the caller stores them as its variant says (variant.ts). */
export function checkScope(value: unknown, policy: PatPolicy): Checked<string[]> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, error: 'invalidScope' };
  const parts = value.trim().split(/\s+/);
  if (!parts.every((p) => KNOWN_PAT_SCOPES.has(p.toLowerCase()))) return { ok: false, error: 'invalidScope' };
  if (policy.blockFullScopePats && parts.some((p) => p.toLowerCase() === 'app_token')) {
    return { ok: false, error: 'fullScopePatPolicyViolation' };
  }
  return { ok: true, value: parts };
}

/**
 * validTo must parse and lie in the future. With a maximum lifespan policy a later date is clamped to
 * `lifespanFromMs` + max (create: now; update: the PAT's validFrom, as the contract describes).
 */
export function checkValidTo(value: unknown, nowMs: number, policy: PatPolicy, lifespanFromMs: number): Checked<number> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, error: 'invalidValidTo' };
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms <= nowMs) return { ok: false, error: 'invalidValidTo' };
  let granted = ms;
  if (policy.maxLifespanDays !== undefined) granted = Math.min(granted, lifespanFromMs + policy.maxLifespanDays * DAY_MS);
  return { ok: true, value: roundToStoredPrecision(granted) };
}

export function checkAllOrgs(value: unknown): boolean | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return 'invalid';
}

/** Making a PAT global: blocked from the cut-off date, and by the global PAT policy before it. */
export function checkGlobal(nowMs: number, policy: PatPolicy): PatError | undefined {
  if (nowMs >= GLOBAL_PAT_CUTOFF_MS) return 'globalPATCreationBlocked';
  if (policy.blockGlobalPats) return 'globalPatPolicyViolation';
  return undefined;
}
