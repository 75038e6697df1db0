/**
 * The agent's side of the task, through task-lib: inputs and secrets, the job's token, the Azure Resource Manager
 * service connection, network settings, the log, cancellation signals and the one result. main.ts builds the task's
 * parts from what this module reads.
 */
import * as os from 'node:os';
import * as tl from 'azure-pipelines-task-lib/task';
import { loc } from './messages.generated';
// The task.json beside the bundle (scripts/build.mjs keeps it outside): one source of truth for the version.
import { version } from '../task.json';
import type { ArmConnection } from './azureRm';
import { prepareCertificates } from './certificates';
import { TaskError } from './errors';
import { HttpLayer, type ProxySettings } from './http';
import type { Logger } from './operations';
import { SECRET_INPUTS, type TaskParameters } from './params';
import { clip, neutralize, rememberSecret } from './sanitize';

/** Inputs through task-lib; a secret input is registered as secret the moment it is read. */
export function readInput(name: string): string | undefined {
  const value = tl.getInput(name, false);
  if (value && SECRET_INPUTS.has(name) && !/^\s*\$\([^)]*\)\s*$/.test(value)) registerSecret(value);
  return value;
}

export const readVariable = (name: string): string | undefined => tl.getVariable(name);

/**
 * tl.setSecret refuses multi-line values: register each line. The task also remembers them, so that a message
 * clipped in the middle of one never shows a part of it (sanitize.ts, clip).
 */
export function registerSecret(value: string): void {
  rememberSecret(value);
  for (const line of value.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    rememberSecret(line.trim());
    tl.setSecret(line.trim());
  }
}

/** A line for System.Debug only. */
export const debug = (message: string): void => tl.debug(message);

export const log: Logger = {
  info: (message) => console.log(neutralize(message)),
  warn: (message) => tl.warning(message),
  debug,
};

let finished = false;
export type Outcome = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Cancelled';
/**
 * Sets the task's result, once. A failed run reports Failed through this result command only and still exits
 * with code 0: the agent runs Node tasks with `requireExitCodeZero` and takes any other exit code as an
 * infrastructure failure, adding its own "Exit code 1 returned from process" error beside the task's message.
 */
export function finish(outcome: Outcome, message: string): void {
  if (finished) return;
  finished = true;
  tl.setResult(tl.TaskResult[outcome], message);
}

/** The message a failure ends the run with: a TaskError's own (already safe), anything else neutralised. */
export function failure(err: unknown): string {
  if (err instanceof TaskError) {
    // What it came from, for System.Debug: the messages of the cause chain (our own, already safe), not stacks.
    for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++)
      tl.debug(`caused by: ${neutralize(cause.message)}`);
    return err.message;
  }
  tl.debug(neutralize((err as Error)?.stack ?? String(err)));
  return loc('Unexpected', neutralize((err as Error)?.message ?? String(err)));
}

/** The agent's proxy, with credentials written into its URL moved to the username and password typed-rest-client uses. */
function agentProxy(): ProxySettings | null {
  const proxy = tl.getHttpProxyConfiguration();
  if (!proxy) return null;
  let url: URL;
  try {
    url = new URL(proxy.proxyUrl);
  } catch {
    return proxy;
  }
  if (!url.username && !url.password) return proxy;
  const settings: ProxySettings = { ...proxy };
  if (!proxy.proxyUsername) {
    settings.proxyUsername = decodeURIComponent(url.username);
    settings.proxyPassword = decodeURIComponent(url.password);
  }
  url.username = '';
  url.password = '';
  settings.proxyUrl = url.toString();
  return settings;
}

/** The one HTTP layer, with the agent's proxy, CA and client certificate. */
export function agentHttp(params: TaskParameters, onThrottle: () => void): HttpLayer {
  const proxy = agentProxy();
  if (proxy?.proxyPassword) registerSecret(proxy.proxyPassword);
  const agentCert = tl.getHttpCertConfiguration();
  if (agentCert?.passphrase) registerSecret(agentCert.passphrase);
  let certs;
  try {
    certs = prepareCertificates(agentCert, process.env.NODE_EXTRA_CA_CERTS, tl.getVariable('Agent.TempDirectory') || os.tmpdir());
  } catch (err) {
    throw new TaskError(loc('CaFileUnreadable', agentCert?.caFile ?? '', clip(String((err as Error)?.message ?? err), 200)));
  }
  for (const problem of certs.problems) tl.warning(problem === 'ClientCertNoKey' ? loc('ClientCertNoKey') : loc('ClientCertUnreadable'));
  return new HttpLayer({
    timeoutMs: params.requestTimeoutSeconds * 1000,
    userAgent: `PatLifecycle/${version.Major}.${version.Minor}.${version.Patch} (Azure Pipelines task; node ${process.version})`,
    maxSockets: params.parallelRequests,
    proxy,
    cert: certs.cert,
    trustedOrigins: [params.authorityHost, params.serviceUrl],
    debug: (message) => tl.debug(message),
    onDispose: () => certs.dispose(),
    onThrottle,
  });
}

/** The job's access to its organization: what variable groups, service connections and OIDC tokens are reached with. */
export interface JobAccess {
  collectionUrl: string;
  project: string;
  projectId?: string;
  jobToken: string;
}

/**
 * With a variable group, a service connection or a Key Vault to deliver to: the job's token, organization URL
 * and project, checked before any request.
 */
export function jobAccess(params: TaskParameters): JobAccess | undefined {
  if (!params.variableGroup && !params.tokenVariableGroup && params.serviceConnections.length === 0 && !params.keyVault) return undefined;
  const jobToken = tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', true);
  const collectionUrl = tl.getVariable('System.CollectionUri') || tl.getVariable('System.TeamFoundationCollectionUri');
  const project = tl.getVariable('System.TeamProject');
  if (!jobToken || !collectionUrl || !project) throw new TaskError(loc('NoJobToken'));
  registerSecret(jobToken);
  return { collectionUrl, project, projectId: tl.getVariable('System.TeamProjectId') || undefined, jobToken };
}

/** The Azure Resource Manager connection the agent passed (its id is the input's value); every problem is found before any request. */
export function armConnection(id: string): ArmConnection {
  const scheme = tl.getEndpointAuthorizationScheme(id, true);
  if (!scheme) throw new TaskError(loc('ArmConnectionMissing', id));
  const tenantId = tl.getEndpointAuthorizationParameter(id, 'tenantid', true);
  const clientId = tl.getEndpointAuthorizationParameter(id, 'serviceprincipalid', true);
  if (!tenantId || !clientId) throw new TaskError(loc('ArmConnectionIncomplete', id));
  const authority =
    tl.getEndpointDataParameter(id, 'activeDirectoryAuthority', true) ||
    tl.getEndpointDataParameter(id, 'environmentAuthorityUrl', true) ||
    'https://login.microsoftonline.com/';
  const authorityHost = new URL(authority).origin;
  if (scheme.toLowerCase() === 'workloadidentityfederation') {
    const oidcRequestUri = tl.getVariable('System.OidcRequestUri');
    if (!oidcRequestUri) throw new TaskError(loc('OidcRequestUriMissing', id));
    return { id, scheme: 'WorkloadIdentityFederation', tenantId, clientId, authorityHost, oidcRequestUri };
  }
  if (scheme.toLowerCase() === 'serviceprincipal') {
    const clientSecret = tl.getEndpointAuthorizationParameter(id, 'serviceprincipalkey', true);
    if (!clientSecret) throw new TaskError(loc('ArmConnectionNoSecret', id));
    registerSecret(clientSecret);
    return { id, scheme: 'ServicePrincipal', tenantId, clientId, clientSecret, authorityHost };
  }
  throw new TaskError(loc('ArmConnectionScheme', id, scheme));
}

/** What a cancelled run does before it ends; `undefined` while nothing would need undoing. */
let cleanUp: (() => Promise<string>) | undefined;

/**
 * Runs `work` with `onCancel` as the run's clean-up: a cancel signal from the agent (SIGINT, then SIGTERM) meanwhile
 * runs it once and ends the run as Cancelled with what it says.
 */
export async function cancellable<T>(work: () => Promise<T>, onCancel: () => Promise<string>): Promise<T> {
  cleanUp = onCancel;
  try {
    return await work();
  } finally {
    cleanUp = undefined;
  }
}

function cancelled(signal: NodeJS.Signals): void {
  if (finished) return;
  const undo = cleanUp ?? (() => Promise.resolve(loc('CancelledNothingPending')));
  cleanUp = undefined;
  void undo()
    .catch((err: unknown) => failure(err))
    .then((what) => {
      finish('Cancelled', loc('Cancelled', signal, what));
      process.exit(0);
    });
}
process.once('SIGINT', cancelled);
process.once('SIGTERM', cancelled);

// Any stray failure ends in the one Failed result (and never loops: once finished, nothing more is written).
// The exit code stays 0 (see finish).
process.on('unhandledRejection', (reason) => {
  if (!finished) finish('Failed', failure(reason));
});
process.on('uncaughtException', (err) => {
  if (!finished) finish('Failed', failure(err));
});
