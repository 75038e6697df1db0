/**
 * The composition root of PatLifecycle@1: read and check the inputs, build the parts with what they need, sign in,
 * run the operation, publish the outputs. One catch sets the result, once (agent.ts).
 */
import { loc } from './messages.generated';
import { agentHttp, armConnection, cancellable, debug, failure, finish, jobAccess, log, readInput, readVariable, registerSecret } from './agent';
import { revokeUndelivered } from './cancel';
import { signIn } from './entra';
import { firstSignIn } from './firstSignIn';
import type { HttpLayer } from './http';
import { runOperation, type OperationResult } from './operations';
import { TaskOutputs, failureMarkdown, summaryMarkdown, summaryTitle, uploadSummary } from './outputs';
import { parseParameters } from './params';
import { PatsApi } from './patsApi';
import { AdaptivePool } from './pool';
import { deliveryTargets } from './targets';
import { neutralize } from './sanitize';

export async function run(): Promise<void> {
  let http: HttpLayer | undefined;
  /** The run summary's title, and what it says besides the result (deliveries, the refresh token): on failure too. */
  let summary: { title: string; notes: string[] } | undefined;
  try {
    const params = parseParameters(readInput, new Date(), readVariable);
    if (params.operation !== 'get') {
      const target = params.operation === 'signIn' ? params.variableGroup : (params.displayName ?? params.authorizationId);
      summary = { title: summaryTitle(params.operation, target, readVariable('Task.DisplayName')), notes: [] };
    }
    const access = jobAccess(params);
    const arm = params.keyVault ? armConnection(params.keyVault.serviceConnection) : undefined;
    if (params.sharedGroup) log.warn(loc('SharedGroupWarning', params.variableGroup ?? ''));
    const pool = new AdaptivePool(params.parallelRequests);
    http = agentHttp(params, () => pool.shrink());

    if (params.operation === 'signIn') {
      const done = await firstSignIn(params, access!, http, log, registerSecret); // jobAccess: signIn has a variable group
      publish({ title: summary!.title, notes: [done.next] }, { message: done.message, rows: [], issues: [] });
      summary = undefined; // written
      finish('Succeeded', done.message);
      return;
    }

    const { tenantId, clientId, clientSecret, authorityHost, entraScope: scope } = params;
    const auth = await signIn({ tenantId, clientId, clientSecret, authorityHost, scope }, params.refreshToken, http, registerSecret, debug);
    log.info(auth.user ? loc('SignedIn', neutralize(auth.user)) : loc('SignedInNoName'));
    const outputs = new TaskOutputs();
    if (auth.newRefreshToken) outputs.refreshToken(auth.newRefreshToken);
    const { persistence, targets } = deliveryTargets(params, access, arm, http, auth.newRefreshToken, registerSecret, debug);
    const api = new PatsApi(http, params.serviceUrl, params.apiVersion, auth.accessToken);
    const pending = new Set<string>(); // created by this run, not delivered yet: what a cancelled run revokes
    const deliveries: string[] = [];
    if (summary) summary.notes = deliveries;
    const onTheWire = http.onTheWire;
    const verify = params.verifyNewToken ? (token: string) => api.verify(token) : undefined;
    const context = { api, params, out: outputs, log, now: () => new Date(), pool, targets, pending, deliveries, verify };

    let result: OperationResult;
    try {
      result = await cancellable(
        () => runOperation(context),
        () => revokeUndelivered(api, pending, targets, () => onTheWire.PUT > 0),
      );
    } catch (err) {
      // The operation failed, but Entra's new refresh token is valid: keep it for the next run if we can.
      await persistence?.storeRefreshToken().catch((e: unknown) => log.warn(failure(e)));
      throw err;
    }
    await persistence?.storeRefreshToken(); // a pipeline that cannot keep its refresh token must not look healthy
    const stored = persistence?.refreshTokenNote() ?? (auth.newRefreshToken ? refreshTokenNotStored() : undefined);
    if (stored) log.info(stored);
    if (summary) publish({ title: summary.title, notes: [...deliveries, ...(stored ? [stored] : [])] }, result);
    summary = undefined; // written
    debug(`requests sent: ${http.requestCount}`);
    if (result.failure) finish('Failed', result.failure);
    else if (result.issues.length > 0) finish('SucceededWithIssues', result.issues.join('\n'));
    else finish('Succeeded', result.message);
  } catch (err) {
    const message = failure(err);
    if (summary) {
      try {
        uploadSummary(summary.title, failureMarkdown(summary.title, message, summary.notes));
      } catch {
        // the result below says it all
      }
    }
    finish('Failed', message);
  } finally {
    http?.dispose();
  }
}

function publish(summary: { title: string; notes: readonly string[] }, result: OperationResult): void {
  uploadSummary(summary.title, summaryMarkdown(summary.title, result, new Date(), summary.notes));
}

/** Entra's new refresh token went nowhere: a pipeline that looks green today stops on the day Entra refuses the old one. */
function refreshTokenNotStored(): string {
  log.warn(loc('RefreshTokenNotStored'));
  return loc('RefreshTokenOutput');
}
