/**
 * Entry point of PatLifecycle@1: read and check the inputs, sign in, run the operation, publish the outputs.
 * One top-level catch sets the result, once.
 */
import * as os from 'node:os';
import * as tl from 'azure-pipelines-task-lib/task';
import { loc } from './messages.generated';
// The task.json beside the bundle (scripts/build.mjs keeps it outside): one source of truth for the version.
import { version } from '../task.json';
import { signIn } from './entra';
import { TaskError } from './errors';
import { HttpLayer, type ProxySettings } from './http';
import { prepareCertificates } from './certificates';
import { firstSignIn } from './firstSignIn';
import { runOperation, type Logger } from './operations';
import { SECRET_INPUTS, parseParameters, type TaskParameters } from './params';
import { PatsApi } from './patsApi';
import { SecretPersistence } from './persistence';
import { readArmConnection } from './azureRm';
import { deliveryTargets } from './targets';
import { revokeUndelivered } from './cancel';
import { AdaptivePool } from './pool';
import { TaskOutputs, failureMarkdown, summaryMarkdown, summaryTitle, uploadSummary } from './outputs';
import { clip, neutralize, rememberSecret } from './sanitize';

/** Inputs through task-lib; a secret input is registered as secret the moment it is read. */
export function readInput(name: string): string | undefined {
  const value = tl.getInput(name, false);
  if (value && SECRET_INPUTS.has(name) && !/^\s*\$\([^)]*\)\s*$/.test(value)) registerSecret(value);
  return value;
}

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

const log: Logger = {
  info: (message) => console.log(neutralize(message)),
  warn: (message) => tl.warning(message),
  debug: (message) => tl.debug(message),
};

let finished = false;
/**
 * Sets the task's result, once. A failed run reports Failed through this result command only and still exits
 * with code 0: the agent runs Node tasks with `requireExitCodeZero` and takes any other exit code as an
 * infrastructure failure, adding its own "Exit code 1 returned from process" error beside the task's message.
 */
function finish(result: tl.TaskResult, message: string): void {
  if (finished) return;
  finished = true;
  tl.setResult(result, message);
}

function failure(err: unknown): string {
  if (err instanceof TaskError) {
    // What it came from, for System.Debug: the messages of the cause chain (our own, already safe), not stacks.
    for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++)
      tl.debug(`caused by: ${neutralize(cause.message)}`);
    return err.message;
  }
  tl.debug(neutralize((err as Error)?.stack ?? String(err)));
  return loc('Unexpected', neutralize((err as Error)?.message ?? String(err)));
}

function httpLayer(params: TaskParameters, onThrottle: () => void): HttpLayer {
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

interface GroupAccess {
  collectionUrl: string;
  project: string;
  projectId?: string;
  jobToken: string;
}

/**
 * With a variable group, a service connection or a Key Vault to deliver to: the job's token, organization URL
 * and project, checked before any request.
 */
function groupAccess(params: TaskParameters): GroupAccess | undefined {
  if (!params.variableGroup && !params.tokenVariableGroup && params.serviceConnections.length === 0 && !params.keyVault) return undefined;
  const jobToken = tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', true);
  const collectionUrl = tl.getVariable('System.CollectionUri') || tl.getVariable('System.TeamFoundationCollectionUri');
  const project = tl.getVariable('System.TeamProject');
  if (!jobToken || !collectionUrl || !project) throw new TaskError(loc('NoJobToken'));
  registerSecret(jobToken);
  return { collectionUrl, project, projectId: tl.getVariable('System.TeamProjectId') || undefined, jobToken };
}

/** What the run did with Entra's new refresh token, for the log and the summary. */
function refreshTokenNote(params: TaskParameters, persistence: SecretPersistence | undefined, refreshToken: string | undefined): string | undefined {
  if (!refreshToken) return undefined;
  if (persistence?.refreshTokenStoredAt)
    return loc('RefreshTokenStored', params.refreshTokenVariable, persistence.groupName, persistence.refreshTokenStoredAt.toISOString());
  // Stored nowhere: a pipeline that looks green today stops on the day Entra refuses the stored token.
  tl.warning(loc('RefreshTokenNotStored'));
  return loc('RefreshTokenOutput');
}

export async function run(): Promise<void> {
  let http: HttpLayer | undefined;
  /** Written on failure too: what failed and what is still valid (the message says), and what was stored. */
  let summary: { title: string; notes: string[] } | undefined;
  try {
    const params = parseParameters(readInput, new Date(), (name) => tl.getVariable(name));
    if (params.operation !== 'get') {
      const target = params.operation === 'signIn' ? params.variableGroup : (params.displayName ?? params.authorizationId);
      summary = { title: summaryTitle(params.operation, target, tl.getVariable('Task.DisplayName')), notes: [] };
    }
    const access = groupAccess(params);
    const arm = params.keyVault ? readArmConnection(params.keyVault.serviceConnection, registerSecret) : undefined;
    if (
      params.tokenVariable &&
      params.tokenVariableGroup &&
      params.variableGroup &&
      params.tokenVariableGroup.toLowerCase() === params.variableGroup.toLowerCase()
    )
      tl.warning(loc('SharedGroupWarning', params.variableGroup));
    const pool = new AdaptivePool(params.parallelRequests);
    http = httpLayer(params, () => pool.shrink());
    if (params.operation === 'signIn') {
      // groupAccess returned it: signIn always has a variable group.
      const done = await firstSignIn(params, access as GroupAccess, http, log, registerSecret);
      if (summary) {
        summary.notes = [done.next];
        uploadSummary(summary.title, summaryMarkdown(summary.title, { message: done.message, rows: [], issues: [] }, new Date(), summary.notes));
        summary = undefined; // written
      }
      finish(tl.TaskResult.Succeeded, done.message);
      return;
    }
    const outputs = new TaskOutputs();

    const auth = await signIn(
      {
        tenantId: params.tenantId,
        clientId: params.clientId,
        clientSecret: params.clientSecret,
        authorityHost: params.authorityHost,
        scope: params.entraScope,
      },
      params.refreshToken,
      http,
      registerSecret,
      (message) => tl.debug(message),
    );
    log.info(auth.user ? loc('SignedIn', neutralize(auth.user)) : loc('SignedInNoName'));
    if (auth.newRefreshToken) outputs.refreshToken(auth.newRefreshToken);

    const { persistence, targets } = deliveryTargets(params, access, arm, http, auth.newRefreshToken, registerSecret, (m) => tl.debug(m));
    const api = new PatsApi(http, params.serviceUrl, params.apiVersion, auth.accessToken);
    const pending = new Set<string>();
    const deliveries: string[] = [];
    if (summary) summary.notes = deliveries;
    const activeHttp = http;
    onCancel = () => revokeUndelivered(api, pending, targets, () => activeHttp.onTheWire.PUT > 0);
    let result;
    try {
      result = await runOperation({
        api,
        params,
        out: outputs,
        log,
        now: () => new Date(),
        pool,
        targets,
        pending,
        deliveries,
        verify: params.verifyNewToken ? (token) => api.verify(token) : undefined,
      });
    } catch (err) {
      // The operation failed, but Entra's new refresh token is valid: keep it for the next run if we can.
      await persistence?.storeRefreshToken().catch((e: unknown) => tl.warning(failure(e)));
      throw err;
    }
    await persistence?.storeRefreshToken(); // a pipeline that cannot keep its refresh token must not look healthy
    const stored = refreshTokenNote(params, persistence, auth.newRefreshToken);
    if (stored) log.info(stored);
    if (summary) {
      summary.notes = [...deliveries, ...(stored ? [stored] : [])];
      uploadSummary(summary.title, summaryMarkdown(summary.title, result, new Date(), summary.notes));
      summary = undefined; // written
    }
    tl.debug(`requests sent: ${http.requestCount}`);
    if (result.failure) finish(tl.TaskResult.Failed, result.failure);
    else if (result.issues.length > 0) finish(tl.TaskResult.SucceededWithIssues, result.issues.join('\n'));
    else finish(tl.TaskResult.Succeeded, result.message);
  } catch (err) {
    const message = failure(err);
    if (summary) {
      try {
        uploadSummary(summary.title, failureMarkdown(summary.title, message, summary.notes));
      } catch {
        // the result below says it all
      }
    }
    finish(tl.TaskResult.Failed, message);
  } finally {
    http?.dispose();
  }
}

/** Set while an operation runs: what a cancelled run does before it ends. */
let onCancel: (() => Promise<string>) | undefined;

function cancelled(signal: NodeJS.Signals): void {
  if (finished) return;
  const cleanUp = onCancel ?? (() => Promise.resolve(loc('CancelledNothingPending')));
  onCancel = undefined;
  void cleanUp()
    .catch((err: unknown) => failure(err))
    .then((what) => {
      finish(tl.TaskResult.Cancelled, loc('Cancelled', signal, what));
      process.exit(0);
    });
}
process.once('SIGINT', cancelled);
process.once('SIGTERM', cancelled);

// Any stray failure ends in the one Failed result (and never loops: once finished, nothing more is written).
// The exit code stays 0 (see finish).
process.on('unhandledRejection', (reason) => {
  if (!finished) finish(tl.TaskResult.Failed, failure(reason));
});
process.on('uncaughtException', (err) => {
  if (!finished) finish(tl.TaskResult.Failed, failure(err));
});
