// A job cancelled while the task waits on the service: a gate holds the task's request, and the runner cancels the
// task process as the agent does (SIGINT, wait, SIGTERM, wait, SIGKILL). Killed runs still resolve and are scanned
// for leaked secrets.
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cancelLikeAgent, type CancelOutcome } from '../../scripts/lib/agentRunner';
import { ORG, startWorld, type World } from '../support/world';

/**
 * A stand-in task that says when it is ready and logs the signals it gets. It ignores those named in IGNORE (default
 * both) and dies of the others. It prints PRINT_ME if set.
 */
const STUBBORN_TASK = `
const ignored = (process.env.IGNORE ?? 'SIGINT,SIGTERM').split(',');
for (const sig of ['SIGINT', 'SIGTERM']) {
  const onSignal = () => {
    console.log('got ' + sig);
    if (ignored.includes(sig)) return;
    process.off(sig, onSignal);
    process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}
if (process.env.PRINT_ME) console.log('leaking ' + process.env.PRINT_ME);
console.log('ready');
setInterval(() => undefined, 1000);
`;

function spawned(): { onSpawn: (child: ChildProcess) => void; child: Promise<ChildProcess>; ready: Promise<void> } {
  let resolveChild!: (c: ChildProcess) => void;
  let resolveReady!: () => void;
  const child = new Promise<ChildProcess>((r) => (resolveChild = r));
  const ready = new Promise<void>((r) => (resolveReady = r));
  return {
    child,
    ready,
    onSpawn: (c) => {
      resolveChild(c);
      c.stdout?.on('data', (d: Buffer | string) => {
        if (String(d).includes('ready')) resolveReady();
      });
    },
  };
}

describe('emulator + agent runner: a job cancelled while the task runs', function () {
  this.timeout(60_000);
  let w: World;
  let stubbornDir: string;
  before(async () => {
    w = await startWorld();
    stubbornDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stubborn-task-'));
    fs.writeFileSync(path.join(stubbornDir, 'index.js'), STUBBORN_TASK);
  });
  after(async () => {
    await w.emu.close();
    fs.rmSync(stubbornDir, { recursive: true, force: true });
  });
  beforeEach(() => w.emu.reset());

  it('cancelled while its create is held before the service performs it: no PAT is made, the run resolves and is scanned', async () => {
    const gate = w.emu.gate({ kind: 'pats', method: 'POST' });
    const s = spawned();
    const scanned = w.scanned;
    const running = w.run({ operation: 'create', displayName: 'cancelled', scope: 'vso.code', lifetimeDays: '7' }, { onSpawn: s.onSpawn });
    const record = await gate.arrived;
    const outcome: CancelOutcome = await cancelLikeAgent(await s.child, { sigintTimeoutMs: 3000, sigtermTimeoutMs: 2000 });
    const run = await running;
    assert.notEqual(outcome, 'exited');
    assert.equal(w.scanned, scanned + 1, 'the cancelled run was scanned for leaks');
    assert.notEqual(run.result?.result, 'Succeeded', `a cancelled create cannot have succeeded (${outcome}, exit ${run.exitCode}, ${run.signal})`);
    assert.equal(run.variables.Token, undefined);
    for (let i = 0; i < 100 && record.gate === 'held'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(record.gate, 'dropped', 'the held create went away with the process');
    gate.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(w.emu.listPats(w.userId), [], 'the create was never performed');
  });

  it('a task that ignores SIGINT and SIGTERM is killed after both waits: exit code null, SIGKILL, no result', async () => {
    const s = spawned();
    const running = w.run({ operation: 'create' }, { taskDir: stubbornDir, onSpawn: s.onSpawn });
    await s.ready;
    const started = Date.now();
    const outcome = await cancelLikeAgent(await s.child, { sigintTimeoutMs: 300, sigtermTimeoutMs: 200 });
    const run = await running;
    assert.equal(outcome, 'SIGKILL');
    assert.ok(Date.now() - started >= 500, 'waited after SIGINT, then after SIGTERM');
    assert.equal(run.exitCode, null);
    assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.result, undefined);
    assert.deepEqual(
      run.lines.filter((l) => l.startsWith('got ')),
      ['got SIGINT', 'got SIGTERM'],
    );
  });

  it('a task that honours SIGINT ends there, one that honours SIGTERM ends there; an ended process is left alone', async () => {
    for (const [ignore, expected, signals] of [
      ['', 'SIGINT', ['got SIGINT']],
      ['SIGINT', 'SIGTERM', ['got SIGINT', 'got SIGTERM']],
    ] as const) {
      const s = spawned();
      const running = w.run({ operation: 'create' }, { taskDir: stubbornDir, env: { IGNORE: ignore }, onSpawn: s.onSpawn });
      await s.ready;
      const child = await s.child;
      const outcome = await cancelLikeAgent(child, { sigintTimeoutMs: 500, sigtermTimeoutMs: 500 });
      const run = await running;
      assert.equal(outcome, expected);
      assert.equal(run.signal, expected);
      assert.deepEqual(
        run.lines.filter((l) => l.startsWith('got ')),
        signals,
      );
      assert.equal(await cancelLikeAgent(child), 'exited');
    }
  });

  it('a killed run is still scanned: a secret printed before the kill fails the run', async () => {
    const [pat] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'exposed' }]);
    const token = w.emu.listPats(w.userId).find((p) => p.authorizationId === pat.authorizationId)?.token;
    assert.ok(token);
    const s = spawned();
    const running = w.run({ operation: 'create' }, { taskDir: stubbornDir, env: { PRINT_ME: token }, onSpawn: s.onSpawn });
    await s.ready;
    await cancelLikeAgent(await s.child, { sigintTimeoutMs: 100, sigtermTimeoutMs: 100 });
    await assert.rejects(running, /secrets leaked in the log:\nPAT/);
  });
});
