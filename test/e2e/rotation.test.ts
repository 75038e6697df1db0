/**
 * Rotation that nothing can break (issue 10): the packaged task against the emulator, tried the way real
 * pipelines fail: writes whose answers are lost, overlapping runs in chosen interleavings, jobs cancelled or
 * killed between create and delivery, lost create answers beside other runs' PATs and skewed clocks, answers
 * without a usable secret, writes that do not stick, hostile pages and patterns. What must hold every time: the
 * variable group holds a working PAT, and no PAT is left active that nobody can use (or the next run removes it).
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { VariableGroupRecord } from '../../emulator/src';
import { cancelLikeAgent, type AgentRun } from '../../scripts/lib/agentRunner';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';

const PROJECT = 'Platform';
const NAME = 'feed';
const MINUTES = 60_000;

describe('end to end: rotation that nothing can break', function () {
  this.timeout(120_000);
  let w: World;
  let jobToken: string;
  let groupSeq = 0;
  before(async () => {
    w = await startWorld();
    jobToken = w.emu.issueJobToken(ORG);
  });
  after(async () => w.emu.close());
  beforeEach(() => {
    w.emu.reset();
  });

  /** A PAT in use: delivered to a fresh group (its secret and companion id), as an earlier rotation left it. */
  function inUse(extra: Array<{ validFromMinutesAgo: number }> = []): { group: VariableGroupRecord; current: ReturnType<World['emu']['seedPats']>[number] } {
    const [current] = w.emu.seedPats(w.userId, ORG, [{ displayName: NAME, scope: 'vso.packaging', validFrom: new Date(Date.now() - 3 * 86_400_000) }]);
    if (extra.length > 0)
      w.emu.seedPats(
        w.userId,
        ORG,
        extra.map((e) => ({ displayName: NAME, scope: 'vso.packaging', validFrom: new Date(w.emu.now().getTime() - e.validFromMinutesAgo * MINUTES) })),
      );
    const group = w.emu.addVariableGroup({
      org: ORG,
      project: PROJECT,
      name: `rotation-${++groupSeq}`,
      variables: { FeedToken: { value: current.token, isSecret: true }, 'FeedToken.AuthorizationId': current.authorizationId, Keep: 'me' },
    });
    return { group, current };
  }

  function rotate(group: VariableGroupRecord, inputs: Record<string, string> = {}, onSpawn?: (child: ChildProcess) => void): Promise<AgentRun> {
    return w.run(
      { operation: 'rotate', displayName: NAME, tokenVariableGroup: group.name, tokenVariable: 'FeedToken', ...inputs },
      { collectionUri: `${w.emu.url}/${ORG}/`, jobToken, variables: { 'System.TeamProject': PROJECT }, onSpawn },
    );
  }

  /** What the group holds: the secret, its companion id, and whether that PAT works. */
  function holds(group: VariableGroupRecord): { token: string; id: string; works: boolean } {
    const stored = w.emu.getVariableGroup(ORG, PROJECT, group.id)!;
    const token = stored.variables.FeedToken?.value ?? '';
    const id = stored.variables['FeedToken.AuthorizationId']?.value ?? '';
    const pat = w.emu.findPat(id);
    assert.equal(pat?.token, token, 'the companion id names the PAT whose secret the group holds');
    assert.deepEqual(stored.variables.Keep, { value: 'me', isSecret: false }, 'other variables survive');
    return { token, id, works: w.emu.checkPat(token, ORG) === 'active' };
  }

  const activeOfName = () => w.emu.listPats(w.userId).filter((p) => p.displayName === NAME && p.status === 'active');

  /** The promise of the task: the group holds a working PAT and it is the only active PAT of the name. */
  function converged(group: VariableGroupRecord): void {
    const h = holds(group);
    assert.ok(h.works, 'the group holds a working PAT');
    assert.deepEqual(
      activeOfName().map((p) => p.authorizationId),
      [h.id],
      'no other PAT of the name is left active',
    );
  }

  describe('1. a group write carried out whose answer is lost', () => {
    for (const type of ['commitThenStatus', 'resetAfterCommit'] as const) {
      it(`${type} on every attempt: the group is read back, holds the new PAT, and the rotation completes`, async () => {
        const { group, current } = inUse();
        w.emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type, status: 504, times: 5 });
        const run = await rotate(group);
        succeeded(run);
        assert.equal(holds(group).id, run.variables.AuthorizationId.value);
        assert.equal(w.emu.checkPat(current.token, ORG), 'revoked');
        converged(group);
      });
    }

    it('a write that was not carried out (500 on every attempt): the new PAT is revoked, the group keeps the old one', async () => {
      const { group, current } = inUse();
      w.emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'status', status: 500, times: 5 });
      const run = await rotate(group);
      failed(run, /was not delivered, so it was revoked; the old PAT is still valid/);
      assert.equal(holds(group).id, current.authorizationId);
      converged(group);
    });
  });

  describe('2. two rotations of the same PAT at once', () => {
    it("one run's write waits while another rotates to the end: no run revokes the other's PAT, the overlap is reported", async () => {
      const { group, current } = inUse();
      const gate = w.emu.gate({ kind: 'variablegroups', method: 'PUT' });
      const first = rotate(group);
      await gate.arrived; // the first run made its PAT and is about to deliver it
      const second = await rotate(group);
      assert.equal(second.result?.result, 'SucceededWithIssues', explain(second));
      assert.match(second.result?.message ?? '', /Another run seems to be rotating this PAT at the same time/);
      const firstPat = w.emu
        .listPats(w.userId)
        .find(
          (p) =>
            p.displayName === NAME &&
            p.authorizationId !== second.variables.AuthorizationId.value &&
            p.status === 'active' &&
            p.authorizationId !== current.authorizationId,
        );
      assert.ok(firstPat, "the first run's PAT was left alone");
      gate.release();
      const done = await first;
      succeeded(done);
      assert.equal(w.emu.checkPat(current.token, ORG), 'revoked');
      assert.ok(holds(group).works, 'the last write wins, and it is a working PAT');
      // The next run, later, removes the PAT that lost the race.
      w.emu.advanceTime(16 * MINUTES);
      const next = await rotate(group, { rotateWhenExpiringWithinDays: '7' });
      succeeded(next);
      assert.equal(next.variables.Rotated.value, 'false');
      converged(group);
    });

    it('both at once, five times over, with latency: the group always holds a working PAT', async () => {
      const { group } = inUse();
      w.emu.setLatency(15);
      for (let round = 1; round <= 5; round++) {
        const runs = await Promise.all([rotate(group), rotate(group)]);
        for (const run of runs) assert.ok(['Succeeded', 'SucceededWithIssues'].includes(run.result?.result ?? ''), explain(run));
        assert.ok(holds(group).works, `round ${round}: the group holds a working PAT`);
      }
      w.emu.advanceTime(16 * MINUTES);
      succeeded(await rotate(group, { rotateWhenExpiringWithinDays: '7' }));
      converged(group);
    });

    it("a second run whose create answer is lost finds its own orphan, not the first run's PAT", async () => {
      const { group } = inUse();
      const gate = w.emu.gate({ kind: 'variablegroups', method: 'PUT' });
      const first = rotate(group);
      await gate.arrived;
      w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
      const second = await rotate(group);
      assert.ok(['Succeeded', 'SucceededWithIssues'].includes(second.result?.result ?? ''), explain(second));
      assert.ok(
        second.log.some((l) => /made by the request whose answer was lost/.test(l)),
        explain(second),
      );
      gate.release();
      succeeded(await first);
      const firstId = (await first).variables.AuthorizationId.value;
      assert.equal(w.emu.findPat(firstId)?.status, 'active', "the first run's PAT was not taken for the second run's orphan");
      assert.ok(holds(group).works);
    });
  });

  describe('3. a job cancelled or killed between create and delivery', () => {
    it('killed (SIGKILL) while writing: the next run neither takes the undelivered PAT as current nor leaves it active', async () => {
      const { group, current } = inUse();
      const gate = w.emu.gate({ kind: 'variablegroups', method: 'PUT' });
      let child: ChildProcess | undefined;
      const killed = rotate(group, {}, (c) => (child = c));
      await gate.arrived;
      child?.kill('SIGKILL');
      const run = await killed;
      assert.equal(run.signal, 'SIGKILL');
      const orphan = activeOfName().find((p) => p.authorizationId !== current.authorizationId);
      assert.ok(orphan, 'the killed run left its new PAT active');
      assert.equal(holds(group).id, current.authorizationId);

      // Right away, the undelivered PAT may be another run's: it is neither current nor revoked.
      const soon = await rotate(group, { rotateWhenExpiringWithinDays: '7' });
      assert.equal(soon.variables.AuthorizationId.value, current.authorizationId, 'the delivered PAT is the current one');
      assert.equal(w.emu.findPat(orphan.authorizationId)?.status, 'active');
      // Later it was abandoned: revoked, and the delivered PAT (not due) stays.
      w.emu.advanceTime(16 * MINUTES);
      const later = await rotate(group, { rotateWhenExpiringWithinDays: '7' });
      succeeded(later);
      assert.equal(later.variables.Rotated.value, 'false');
      assert.ok(
        later.log.some((l) => l.includes(`(${orphan.authorizationId}), created`) && /never delivered it/.test(l)),
        explain(later),
      );
      converged(group);
    });

    it('cancelled by the agent while the write waits to be retried: the undelivered PAT is revoked, the old one kept', async () => {
      const { group, current } = inUse();
      w.emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'status', status: 503, retryAfterSeconds: 30 });
      let child: ChildProcess | undefined;
      const cancelled = rotate(group, {}, (c) => (child = c));
      await waitFor(() => w.emu.requests.some((r) => r.kind === 'variablegroups' && r.method === 'PUT' && r.status === 503));
      assert.equal(await cancelLikeAgent(child!, { sigintTimeoutMs: 10_000 }), 'SIGINT', 'the task ends on SIGINT');
      const run = await cancelled;
      assert.equal(run.result?.result, 'Cancelled', explain(run));
      assert.match(run.result?.message ?? '', /had not been delivered: it was revoked/);
      assert.equal(holds(group).id, current.authorizationId);
      converged(group);
    });

    it('cancelled while the write is on the wire: the new PAT is kept (the group may hold it), and the next run settles it', async () => {
      const { group } = inUse();
      const gate = w.emu.gate({ kind: 'variablegroups', method: 'PUT' });
      let child: ChildProcess | undefined;
      const cancelled = rotate(group, {}, (c) => (child = c));
      await gate.arrived;
      await cancelLikeAgent(child!, { sigintTimeoutMs: 10_000 });
      const run = await cancelled;
      assert.equal(run.result?.result, 'Cancelled', explain(run));
      assert.match(run.result?.message ?? '', /was being stored in the variable group when the job was cancelled: it stays active/);
      assert.ok(holds(group).works);
      w.emu.advanceTime(16 * MINUTES);
      succeeded(await rotate(group, { rotateWhenExpiringWithinDays: '7' }));
      converged(group);
    });
  });

  describe('4. a lost create answer beside an earlier PAT of the same name', () => {
    it("a PAT another run delivered two minutes earlier is not taken for this run's orphan", async () => {
      const [earlier] = w.emu.seedPats(w.userId, ORG, [{ displayName: NAME, scope: 'vso.packaging', validFrom: new Date(Date.now() - 2 * MINUTES) }]);
      w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
      const run = await w.run({ operation: 'create', displayName: NAME, scope: 'vso.packaging' });
      succeeded(run);
      assert.equal(w.emu.checkPat(earlier.token, ORG), 'active', 'the earlier PAT stays');
      assert.deepEqual(
        activeOfName()
          .map((p) => p.authorizationId)
          .sort(),
        [earlier.authorizationId, run.variables.AuthorizationId.value].sort(),
      );
    });

    for (const skew of [15, -15]) {
      it(`the service's clock ${skew > 0 ? 'ahead of' : 'behind'} the agent's by 15 minutes: the orphan is still found and revoked`, async () => {
        w.emu.advanceTime(skew * MINUTES);
        w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
        const run = await w.run({ operation: 'create', displayName: NAME, scope: 'vso.packaging' });
        succeeded(run);
        assert.deepEqual(
          activeOfName().map((p) => p.authorizationId),
          [run.variables.AuthorizationId.value],
          'exactly one active PAT: the delivered one',
        );
      });
    }
  });

  describe('5. a create answered without a usable secret', () => {
    for (const answerTokenAs of ['missing', 'null', 'line one\nline two of the secret']) {
      it(`token ${JSON.stringify(answerTokenAs)}: the PAT made is revoked, the old one untouched, the run fails clearly`, async () => {
        const { group, current } = inUse();
        w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'commitWithoutToken', answerTokenAs });
        const run = await rotate(group);
        failed(run, /held no usable secret .* The PAT was revoked; the old one, if any, is untouched/);
        assert.equal(holds(group).id, current.authorizationId);
        converged(group);
        assert.ok(!run.lines.some((l) => l.includes('line two of the secret')), 'the odd value is never printed');
      });
    }
  });

  describe('6. a write that succeeds but does not keep the PAT', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['a write answered 200 and not stored', { type: 'ignoreWrite' }],
      ['a write that drops the companion id', { type: 'dropVariables', variables: ['FeedToken.AuthorizationId'] }],
      ['a write that drops the secret', { type: 'dropVariables', variables: ['FeedToken'] }],
    ];
    for (const [title, fault] of cases) {
      it(`${title}: a failed delivery, the new PAT is revoked and the old one kept`, async () => {
        const { group, current } = inUse();
        w.emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, ...fault } as Parameters<World['emu']['injectFault']>[0]);
        const run = await rotate(group);
        failed(run, /(did not keep it|was not delivered, so it was revoked)/);
        assert.equal(w.emu.checkPat(current.token, ORG), 'active', 'the old PAT is not revoked');
        assert.deepEqual(
          activeOfName().map((p) => p.authorizationId),
          [current.authorizationId],
          'the new PAT is not left active',
        );
      });
    }
  });

  describe('7. a lost create answer, and the list that should find the orphan fails too', () => {
    it('the error names the possible orphan; the next run revokes it', async () => {
      const { group, current } = inUse();
      const gate = w.emu.gate({ kind: 'pats', method: 'POST' });
      const run = rotate(group);
      await gate.arrived;
      w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
      w.emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'status', status: 500, times: 5 });
      gate.release();
      const done = await run;
      failed(done, /The answer to creating PAT 'feed' \(request sent 20\d\d-.*\) was lost .* may be active with no one holding its secret/);
      assert.equal(activeOfName().length, 2, 'the orphan is active for now');
      assert.equal(holds(group).id, current.authorizationId);
      w.emu.advanceTime(16 * MINUTES);
      succeeded(await rotate(group, { rotateWhenExpiringWithinDays: '7' }));
      converged(group);
    });
  });

  describe('8. pages that repeat or never end', () => {
    it('a page repeating rows of an earlier page does not defeat keepPrevious', async () => {
      const { group, current } = inUse([{ validFromMinutesAgo: 3 * 24 * 60 + 60 }]);
      w.emu.seedPats(
        w.userId,
        ORG,
        Array.from({ length: 120 }, (_, i) => ({ displayName: `other-${String(i).padStart(3, '0')}` })),
      );
      w.emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'repeatRows', count: 3, times: 10 });
      const run = await rotate(group, { keepPrevious: '1' });
      succeeded(run);
      assert.equal(w.emu.checkPat(current.token, ORG), 'active', 'the replaced PAT is kept (keepPrevious 1)');
      assert.equal(activeOfName().length, 2);
    });

    it('continuation tokens that never end: a clear error, and nothing changed', async () => {
      const { group, current } = inUse();
      w.emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'endlessPages', times: 5000 });
      const run = await rotate(group);
      failed(run, /list did not move on after 2 pages/);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'pats').length, 2);
      assert.equal(holds(group).id, current.authorizationId);
    });
  });

  it('11. a wildcard pattern that backtracks matches in linear time', async () => {
    w.emu.seedPats(w.userId, ORG, [{ displayName: 'a'.repeat(40) }]);
    const run = await w.run({ operation: 'list', displayName: '*a*a*a*a*a*a*a*a*a*a*b' }, { timeoutMs: 20_000 });
    succeeded(run);
    assert.equal(JSON.parse(run.files.TokensFile).length, 0);
  });

  it('12. revoke with a pattern that matches every PAT is refused before any revoke; dryRun shows; revokeLimit confirms', async () => {
    w.emu.seedPats(
      w.userId,
      ORG,
      Array.from({ length: 4 }, (_, i) => ({ displayName: `svc-${i}` })),
    );
    failed(await w.run({ operation: 'revoke', displayName: '*' }), /matches every one of your 4 active PATs.*set revokeLimit to 4 or more/);
    assert.ok(!w.emu.requests.some((r) => r.method === 'DELETE'));
    const dry = await w.run({ operation: 'revoke', displayName: '*', dryRun: 'true' });
    succeeded(dry);
    assert.equal(JSON.parse(dry.variables.Tokens.value).length, 4);
    succeeded(await w.run({ operation: 'revoke', displayName: '*', revokeLimit: '4' }));
    assert.equal(w.emu.listPats(w.userId).filter((p) => p.status === 'active').length, 0);
  });
});

async function waitFor(condition: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
