/**
 * operation signIn: the first refresh token, from the pipeline itself. The job's token must be able to read the
 * variable group before anyone is asked to sign in; then Entra's device code flow runs (the page and the code go to
 * the log, which streams live; the task waits for the code's lifetime), the refresh token is stored as a secret in
 * the group with the job's token, and the group is read back to see it there. No token is ever printed: each is
 * registered as a secret the moment it arrives.
 */
import { loc } from './messages.generated';
import { MsalNetwork, describeDeviceCodeError, deviceCodeSignIn } from './entra';
import { SignInError, TaskError } from './errors';
import type { HttpLayer } from './http';
import type { Logger } from './operations';
import { DEFAULTS, type TaskParameters } from './params';
import { SecretPersistence } from './persistence';
import { neutralize } from './sanitize';
import type { VariableGroup } from './variableGroupsApi';
import { VariableGroupsApi } from './variableGroupsApi';

export interface SignInAccess {
  collectionUrl: string;
  project: string;
  projectId?: string;
  jobToken: string;
}

export interface SignInOutcome {
  /** The run's result message: where and when the refresh token was stored. */
  message: string;
  /** What to do next, for the run summary. */
  next: string;
}

export async function firstSignIn(
  params: TaskParameters,
  access: SignInAccess,
  http: HttpLayer,
  log: Logger,
  registerSecret: (value: string) => void,
): Promise<SignInOutcome> {
  const groupRef = params.variableGroup as string;
  const variable = params.refreshTokenVariable;
  const groups = new VariableGroupsApi(http, access.collectionUrl, access.project, access.jobToken, access.projectId);
  // Before the sign-in: a group the job cannot read would waste the person's sign-in.
  const group = await groups.find(groupRef);
  log.info(loc(secretIn(group, variable) ? 'SignInGroupReplaces' : 'SignInGroupReady', group.name, variable));

  const settings = { tenantId: params.tenantId, clientId: params.clientId, authorityHost: params.authorityHost, scope: params.entraScope };
  let minutes = 15;
  let result;
  try {
    result = await deviceCodeSignIn(
      settings,
      new MsalNetwork(http, registerSecret),
      http,
      (m) => log.debug(m),
      (code) => {
        minutes = Math.max(1, Math.round((code.expiresOn.getTime() - Date.now()) / 60_000));
        log.info(loc('SignInDeviceCode', neutralize(code.verificationUri), neutralize(code.userCode), code.expiresOn.toISOString(), minutes));
      },
    );
  } catch (err) {
    throw describeDeviceCodeError(err, settings, { command: loginCommand(params, access, group.name), minutes });
  }
  if (!result.refreshToken) throw new SignInError(loc('SignInNoRefreshToken', params.entraScope), 'no_refresh_token');
  const user = result.user ? neutralize(result.user) : undefined;
  log.info(user ? loc('SignedIn', user) : loc('SignedInNoName'));

  // The group is read afresh before the write (the update replaces every variable): changes made while the person
  // signed in are kept.
  const persistence = new SecretPersistence(groups, String(group.id), variable, undefined, result.refreshToken);
  try {
    await persistence.storeRefreshToken();
  } catch (err) {
    throw new TaskError(loc('SignInNotStored', err instanceof Error ? err.message : String(err)));
  }
  let after: VariableGroup;
  try {
    after = await groups.find(String(group.id));
  } catch (err) {
    throw new TaskError(loc('SignInReadBackFailed', group.name, err instanceof Error ? err.message : String(err), variable));
  }
  if (!secretIn(after, variable)) throw new TaskError(loc('SignInNotReadBack', group.name, variable));
  const at = (persistence.refreshTokenStoredAt ?? new Date()).toISOString();
  const next = loc('SignInNext', group.name, variable, group.name);
  log.info(next);
  // Whoever enters the code first signs in: the result names who it was.
  const message = user ? loc('SignInStored', user, variable, group.name, at) : loc('SignInStoredNoName', variable, group.name, at);
  return { message, next };
}

/** The group holds `name` as a secret (names compare without case, as the service does). */
function secretIn(group: VariableGroup, name: string): boolean {
  return Object.entries(group.variables ?? {}).some(([n, v]) => n.toLowerCase() === name.toLowerCase() && v.isSecret === true);
}

/** The sign-in command (browser flow) that stores the token into the same group: what to run where device code is blocked. */
export function loginCommand(params: TaskParameters, access: SignInAccess, groupName: string): string {
  const args = [
    ['--tenant', params.tenantId],
    ['--client-id', params.clientId],
    ['--variable-group', groupName],
    ['--organization', access.collectionUrl.replace(/\/+$/, '')],
    ['--project', access.project],
    ...(params.refreshTokenVariable !== DEFAULTS.refreshTokenVariable ? [['--variable', params.refreshTokenVariable]] : []),
    ...(params.authorityHost !== DEFAULTS.authorityHost ? [['--authority-host', params.authorityHost]] : []),
  ];
  return neutralize(['npx pat-lifecycle login', ...args.map(([flag, value]) => `${flag} ${shellWord(value)}`)].join(' '));
}

function shellWord(value: string): string {
  return /^[\w.,:/@+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
