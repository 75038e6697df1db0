/**
 * `npm start`: the main job on the embedded default. Starts the emulator, then runs the packaged task as the
 * agent would, through create, list, rotate and revoke, and prints each step's log the way a pipeline shows
 * it (secrets masked) with the output variables.
 */
import * as path from 'node:path';
import { startEmulator } from '../emulator/src';
import { runTaskAsAgent, type AgentRun } from './lib/agentRunner';

const taskDir = path.resolve(__dirname, '..', '..', 'build', 'stage', 'tasks', 'PatLifecycleV1');
const bold = (s: string) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);

async function main(): Promise<void> {
  const emu = await startEmulator();
  try {
    const demo = emu.seedDemo();
    console.log(bold(`Emulator at ${emu.url} (tenant ${demo.tenantId}, organization ${demo.org}); task from ${path.relative(process.cwd(), taskDir)}`));
    let refreshToken = demo.refreshToken;
    const step = async (title: string, inputs: Record<string, string>): Promise<AgentRun> => {
      console.log(`\n${bold(`=== ${title} ===`)}`);
      const run = await runTaskAsAgent({
        taskDir,
        inputs: {
          organization: demo.org,
          tenantId: demo.tenantId,
          clientId: demo.clientId,
          refreshToken,
          authorityHost: emu.url,
          serviceUrl: `${emu.url}/${demo.org}`,
          ...inputs,
        },
        knownSecrets: [refreshToken],
        env: { NODE_EXTRA_CA_CERTS: emu.caCertPath },
      });
      for (const line of run.log) console.log(`  ${line}`);
      console.log(`  result: ${run.result?.result ?? 'none'} (exit ${run.exitCode}, ${run.durationMs} ms)`);
      for (const [name, v] of Object.entries(run.variables))
        console.log(`  output ${name} = ${v.secret ? '***' : v.value.length > 120 ? `${v.value.slice(0, 117)}...` : v.value}`);
      if (run.variables.RefreshToken?.value) refreshToken = run.variables.RefreshToken.value; // as a pipeline storing it would
      if (run.result?.result === 'Failed') process.exitCode = 1;
      return run;
    };

    const created = await step('create feed-token', { operation: 'create', displayName: 'feed-token', scope: 'vso.packaging', lifetimeDays: '30' });
    await step('list', { operation: 'list' });
    const rotated = await step('rotate feed-token', { operation: 'rotate', displayName: 'feed-token' });
    await step('revoke feed-token', { operation: 'revoke', displayName: 'feed-token' });
    const oldWorks = emu.checkPat(created.variables.Token?.value ?? '', demo.org);
    const newState = emu.checkPat(rotated.variables.Token?.value ?? '', demo.org);
    console.log(`\n${bold('Checked against the emulator:')} first PAT is ${oldWorks} after rotation; rotated PAT is ${newState} after revoke.`);
  } finally {
    await emu.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
