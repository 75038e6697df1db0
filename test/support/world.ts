/**
 * End-to-end fixture: one emulator with a tenant, an app registration, a user and a refresh token, and a
 * `run()` that executes the staged (packaged-layout) task as the agent would, trusting the emulator through
 * NODE_EXTRA_CA_CERTS unless told otherwise. Every run is scanned for leaked secrets.
 */
import * as assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../emulator/src';
import { runTaskAsAgent, type AgentRun, type AgentRunOptions } from '../../scripts/lib/agentRunner';
import { stagedTaskDir } from './paths';

export const ORG = 'fabrikam';

export interface World {
  emu: Emulator;
  tenantId: string;
  clientId: string;
  userId: string;
  /** Inputs every run needs: organization, tenant, app, refresh token, emulator URLs. */
  base(): Record<string, string>;
  /**
   * Runs the task. `onSpawn` gets its process (to signal it or `cancelLikeAgent` it, e.g. while a gate holds a
   * request). A run ended by a signal resolves too (exitCode null, `signal` set), is leak-scanned, and may have
   * no result. `endpoints` (service connections by id, e.g. `emu.addArmServiceConnection(...).endpoint`) reach the
   * task as the agent's ENDPOINT_* variables, their secret parameters masked from the start.
   */
  run(inputs: Record<string, string | undefined>, options?: Partial<AgentRunOptions> & { caVia?: 'env' | 'agent' | 'none' }): Promise<AgentRun>;
  /** Runs scanned for leaks so far. */
  scanned: number;
}

export async function startWorld(options: { latencyMs?: number } = {}): Promise<World> {
  const emu = await startEmulator({ latencyMs: options.latencyMs });
  const tenantId = emu.addTenant().id;
  const clientId = emu.addApp({ tenantId, displayName: 'PAT Lifecycle (test)' }).clientId;
  const userId = emu.addUser({ tenantId, name: 'Ada Lovelace', upn: 'ada@contoso.example' }).id;
  emu.addOrg(ORG, tenantId);
  let refreshToken = emu.issueRefreshToken({ tenantId, clientId, userId });

  const world: World = {
    emu,
    tenantId,
    clientId,
    userId,
    scanned: 0,
    base: () => ({
      organization: ORG,
      tenantId,
      clientId,
      refreshToken,
      authorityHost: emu.url,
      serviceUrl: `${emu.url}/${ORG}`,
    }),
    async run(inputs, opts = {}) {
      const merged = { ...world.base(), ...inputs };
      const caVia = opts.caVia ?? 'env';
      const run = await runTaskAsAgent({
        taskDir: stagedTaskDir,
        inputs: merged,
        debug: true,
        // The refresh token and client secret come from secret variables: the agent masks them from the start.
        knownSecrets: [merged.refreshToken, merged.clientSecret, opts.jobToken].filter((s): s is string => !!s),
        ...opts,
        env: { ...(caVia === 'env' ? { NODE_EXTRA_CA_CERTS: emu.caCertPath } : {}), ...opts.env },
        variables: { ...(caVia === 'agent' ? { 'Agent.CAInfo': emu.caCertPath } : {}), ...opts.variables },
      });
      // Every end-to-end run is scanned: no secret the emulator ever issued, and no secret part of the agent's
      // settings (a password inside the proxy URL, a proxy or certificate password given as a plain variable),
      // may show before it was registered.
      const secrets: Record<string, string> = Object.fromEntries(emu.issuedSecrets().map((s, i) => [`${s.kind} #${i}`, s.value]));
      agentSecrets(opts.variables ?? {}).forEach((value, i) => (secrets[`agent setting #${i}`] = value));
      const leaks = run.leaks(secrets);
      world.scanned++;
      assert.deepEqual(
        leaks,
        [],
        `secrets leaked in the log:\n${leaks.map((l) => `${l.secretKind} at line ${l.line}: ${run.lines[l.line] ?? '(stderr)'}`).join('\n')}`,
      );
      if (run.signal === null) assert.equal(run.completions, 1, `the task must set its result exactly once:\n${run.lines.join('\n')}`);
      else assert.ok(run.completions <= 1, `a task ended by ${run.signal} set its result ${run.completions} times:\n${run.lines.join('\n')}`);
      // The rotated refresh token is what the next run would use, as a pipeline that stores it would.
      const next = run.variables.RefreshToken?.value;
      if (next && inputs.refreshToken === undefined) refreshToken = next;
      return run;
    },
  };
  return world;
}

/** Secret parts of the agent's settings given as plain variables: the password in Agent.ProxyUrl (as written and decoded), passwords. */
export function agentSecrets(variables: Record<string, string>): string[] {
  const out: string[] = [];
  const proxyUrl = variables['Agent.ProxyUrl'];
  if (proxyUrl) {
    const password = new URL(proxyUrl).password;
    if (password) out.push(password, decodeURIComponent(password));
  }
  for (const name of ['Agent.ProxyPassword', 'Agent.ClientCertPassword']) if (variables[name]) out.push(variables[name]);
  return [...new Set(out)];
}

/** A readable failure report for assertions on a run. */
export function explain(run: AgentRun): string {
  return `exit ${run.exitCode}, result ${JSON.stringify(run.result)}\n--- log ---\n${run.log.join('\n')}\n--- stderr ---\n${run.stderr}`;
}

export function succeeded(run: AgentRun): void {
  assert.equal(run.result?.result, 'Succeeded', explain(run));
  assert.equal(run.exitCode, 0, explain(run));
}

/** Failed through the result command, and exit code 0: the agent treats any other exit code as an infrastructure failure. */
export function failed(run: AgentRun, message: RegExp): void {
  assert.equal(run.result?.result, 'Failed', explain(run));
  assert.equal(run.exitCode, 0, explain(run));
  assert.match(run.result?.message ?? '', message, explain(run));
}
