import * as assert from 'node:assert/strict';
import { TaskError, TransportError } from '../../tasks/PatLifecycleV1/src/errors';
import { nameMatcher, runOperation, type DeliveryTarget, type OutputSink } from '../../tasks/PatLifecycleV1/src/operations';
import { parseParameters } from '../../tasks/PatLifecycleV1/src/params';
import type { PatToken } from '../../tasks/PatLifecycleV1/src/patsApi';
import { AdaptivePool } from '../../tasks/PatLifecycleV1/src/pool';
import { FakePats } from '../support/fakePats';

const NOW = new Date('2026-11-28T12:00:00Z');
const now = () => NOW;

class RecordingOutputs implements OutputSink {
  values: Record<string, string> = {};
  events: string[] = [];
  deliveredHook?: () => Promise<void>;
  secret() {
    this.events.push('secret');
  }
  token(secret: string) {
    this.events.push('token');
    this.values.Token = secret;
  }
  pat(pat: PatToken) {
    Object.assign(this.values, { AuthorizationId: pat.authorizationId, DisplayName: pat.displayName, ValidTo: pat.validTo, Scope: pat.scope });
  }
  tokens(pats: readonly PatToken[]) {
    this.values.Tokens = JSON.stringify(pats);
  }
  rotated(value: boolean) {
    this.values.Rotated = String(value);
  }
}

/** A variable group stand-in: records the delivery in the outputs' event list, keeps the delivered id. */
class FakeTarget implements DeliveryTarget {
  label = "variable group 'fake'";
  holds?: string;
  constructor(private readonly out: RecordingOutputs) {}
  deliveredId(): Promise<string | undefined> {
    return Promise.resolve(this.holds);
  }
  async storePat(pat: { token: string; authorizationId: string }): Promise<void> {
    this.out.events.push('delivered');
    await this.out.deliveredHook?.();
    this.holds = pat.authorizationId.toLowerCase();
  }
}

function setup(inputs: Record<string, string>, api = new FakePats(now)) {
  const all: Record<string, string> = {
    organization: 'fabrikam',
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: '11111111-2222-3333-4444-555555555555',
    refreshToken: 'r'.repeat(40),
    ...inputs,
  };
  const params = parseParameters((n) => all[n], NOW);
  const out = new RecordingOutputs();
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(`WARN ${m}`), debug: () => {} };
  const target = new FakeTarget(out);
  const run = () => runOperation({ api, params, out, log, now, pool: new AdaptivePool(params.parallelRequests), targets: [target] });
  return { api, out, logs, run, target };
}

describe('operations (fake client)', () => {
  it('list follows continuation tokens to the end and filters by pattern', async () => {
    const { api, out, run } = setup({ operation: 'list', displayName: 'ci-*' });
    for (let i = 0; i < 8; i++) api.seed(`ci-${i}`, 10 + i);
    api.seed('other', 5);
    const result = await run();
    assert.equal(api.calls.filter((c) => c.startsWith('list')).length, 3);
    const tokens = JSON.parse(out.values.Tokens) as PatToken[];
    assert.equal(tokens.length, 8);
    assert.ok(tokens.every((t) => t.token === undefined || t.token === null));
    assert.equal(result.rows.length, 8);
  });

  it("rotate by a pattern with a target: only PATs of the delivered one's exact name are its lineage; other matches are left alone", async () => {
    for (const rotateWhenExpiringWithinDays of ['', '7']) {
      const { api, run, target } = setup({ operation: 'rotate', displayName: 'ci-*', rotateWhenExpiringWithinDays });
      const older = api.seed('ci-b', 40, 30);
      const delivered = api.seed('ci-c', 40, 20);
      const newer = api.seed('ci-a', 40, 10);
      const olderSame = api.seed('ci-c', 40, 25);
      target.holds = delivered.authorizationId;
      await run();
      assert.equal(older.revoked, false, `${rotateWhenExpiringWithinDays || 'due'}: ci-b is another PAT`);
      assert.equal(newer.revoked, false, `${rotateWhenExpiringWithinDays || 'due'}: ci-a is another PAT, not an abandoned copy`);
      assert.equal(olderSame.revoked, true, `${rotateWhenExpiringWithinDays || 'due'}: an older ci-c is the delivered one's predecessor`);
      assert.equal(delivered.revoked, rotateWhenExpiringWithinDays === '', 'replaced when due, kept when not');
    }
  });

  it('rotate by name: create, deliver, then revoke the old one', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'feed' });
    const old = api.seed('feed', 3, 27, 'vso.packaging');
    const result = await run();
    assert.deepEqual(
      api.calls.map((c) => c.split(' ')[0]),
      ['list', 'create', 'revoke'],
    );
    assert.deepEqual(out.events, ['secret', 'delivered', 'token'], 'registered, persisted, then output');
    assert.equal(out.values.Rotated, 'true');
    assert.notEqual(out.values.AuthorizationId, old.authorizationId);
    assert.equal(out.values.Scope, 'vso.packaging');
    assert.ok(out.values.Token.startsWith('secret-'));
    assert.ok(api.pats.find((p) => p.authorizationId === old.authorizationId)?.revoked);
    assert.deepEqual(result.issues, []);
  });

  it('rotate by id costs the active list + create + revoke (a GET cannot tell a revoked PAT)', async () => {
    const api = new FakePats(now);
    const seeded = api.seed('svc', 2);
    const { run } = setup({ operation: 'rotate', authorizationId: seeded.authorizationId }, api);
    await run();
    assert.deepEqual(
      api.calls.map((c) => c.split(' ')[0]),
      ['list', 'create', 'revoke'],
    );
    assert.ok(seeded.revoked);
  });

  it('rotateWhenExpiringWithinDays: not due means nothing created', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'feed', rotateWhenExpiringWithinDays: '7' });
    api.seed('feed', 20);
    const result = await run();
    assert.equal(out.values.Rotated, 'false');
    assert.equal(out.values.Token, undefined);
    assert.ok(!api.calls.some((c) => c.startsWith('create')));
    assert.match(result.message, /20 days left, more than 7: not rotated/);
  });

  it('rotate of an expired PAT replaces it with the same name and scope', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'late', createIfMissing: 'false' });
    api.seed('late', -2, 40, 'vso.build');
    await run();
    assert.equal(out.values.Rotated, 'true');
    assert.equal(out.values.Scope, 'vso.build');
    assert.equal(api.active().length, 1);
  });

  it('rotate by a pattern replaces the newest match and revokes only older PATs of that exact name', async () => {
    const { api, run } = setup({ operation: 'rotate', displayName: 'ci-*' });
    const a = api.seed('ci-a', 10, 30);
    const c = api.seed('ci-c', 10, 5);
    const olderC = api.seed('ci-c', 3, 60);
    await run();
    assert.ok(c.revoked && olderC.revoked, 'ci-c and its older twin are replaced');
    assert.ok(!a.revoked, 'ci-a is another PAT and stays');
  });

  it('list with the "all" filter: revoked PATs are shown as revoked and never trigger expiry warnings', async () => {
    const { api, run } = setup({ operation: 'list', displayFilterOption: 'all', warnOnExpiringWithinDays: '7' });
    const gone = api.seed('gone', 3);
    gone.revoked = true;
    api.seed('soon', 2);
    const result = await run();
    assert.equal(result.issues.length, 1);
    assert.match(result.issues[0], /soon/);
    assert.doesNotMatch(result.issues[0], /gone/);
    assert.equal(result.rows.find((r) => r.pat.displayName === 'gone')?.status, 'revoked');
  });

  it('keepPrevious keeps the newest older PAT and revokes the rest', async () => {
    const { api, run } = setup({ operation: 'rotate', displayName: 'feed', keepPrevious: '1' });
    const oldest = api.seed('feed', 1, 60);
    const middle = api.seed('feed', 15, 45);
    const newest = api.seed('feed', 25, 5);
    await run();
    assert.ok(oldest.revoked && middle.revoked, 'older ones revoked');
    assert.ok(!newest.revoked, 'the previous one is kept');
  });

  it('if create fails, rotate keeps the old PAT', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'feed' });
    const old = api.seed('feed', 3);
    api.before = (call) => {
      if (call === 'create') throw new TaskError('policy says no');
    };
    await assert.rejects(run(), /policy says no/);
    assert.equal(old.revoked, false);
    assert.equal(out.values.Token, undefined);
  });

  it('if revoking the old PAT fails after delivery, the run succeeds with an issue naming it', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'feed' });
    const old = api.seed('feed', 3);
    api.before = (call) => {
      if (call === 'revoke') throw new TaskError('HTTP 500');
    };
    const result = await run();
    assert.ok(out.values.Token);
    assert.equal(result.issues.length, 1);
    assert.ok(result.issues[0].includes(old.authorizationId));
  });

  it('if delivery fails (persisting), the new PAT is revoked and the old one kept', async () => {
    const { api, out, run } = setup({ operation: 'rotate', displayName: 'feed' });
    const old = api.seed('feed', 3);
    out.deliveredHook = () => Promise.reject(new TaskError('no permission on the variable group'));
    await assert.rejects(run(), /variable group/);
    assert.equal(old.revoked, false);
  });

  it('if delivery fails and revoking the new PAT fails too, the message says a PAT is still active', async () => {
    const { api, out, run } = setup({ operation: 'create', displayName: 'feed', scope: 'vso.code' });
    out.deliveredHook = () => Promise.reject(new TaskError('no permission on the variable group'));
    api.before = (call) => {
      if (call === 'revoke') throw new TaskError('HTTP 500');
    };
    await assert.rejects(run(), (e: Error) => /variable group/.test(e.message) && /could not be delivered and revoking it failed/.test(e.message));
    assert.equal(api.active().length, 1, 'only the old PAT is active');
  });

  it('a create whose answer is lost: the orphan is revoked and the create tried once more', async () => {
    const { api, out, run } = setup({ operation: 'create', displayName: 'feed', scope: 'vso.packaging' });
    let creates = 0;
    api.afterCreate = () => {
      if (++creates === 1) throw new TransportError('socket hang up', true);
    };
    await run();
    assert.equal(api.active().length, 1);
    assert.equal(api.active()[0].authorizationId, out.values.AuthorizationId);
    assert.equal(api.pats.filter((p) => p.revoked).length, 1);
  });

  it('a create whose answer is lost twice fails and leaves nothing active', async () => {
    const { api, run } = setup({ operation: 'create', displayName: 'feed', scope: 'vso.packaging' });
    api.afterCreate = () => {
      throw new TransportError('socket hang up', true);
    };
    await assert.rejects(run(), /failed twice/);
    assert.equal(api.active().length, 0);
  });

  it('revoke by pattern revokes every match; dry run revokes none', async () => {
    const dry = setup({ operation: 'revoke', displayName: 'tmp-*', dryRun: 'true' });
    for (let i = 0; i < 5; i++) dry.api.seed(`tmp-${i}`, 5);
    const r = await dry.run();
    assert.equal(dry.api.active().length, 5);
    assert.match(r.message, /5 PAT\(s\) would be revoked/);

    const real = setup({ operation: 'revoke', displayName: 'tmp-*' });
    for (let i = 0; i < 5; i++) real.api.seed(`tmp-${i}`, 5);
    real.api.seed('keep', 5);
    await real.run();
    assert.deepEqual(
      real.api.active().map((p) => p.displayName),
      ['keep'],
    );
  });

  it('get by name needs exactly one match', async () => {
    const { api, run } = setup({ operation: 'get', displayName: 'dup' });
    api.seed('dup', 5);
    api.seed('dup', 6);
    await assert.rejects(run(), /2 active PATs match 'dup'/);
  });

  it('list warns and fails on PATs expiring soon', async () => {
    const warn = setup({ operation: 'list', warnOnExpiringWithinDays: '14' });
    warn.api.seed('soon', 3);
    warn.api.seed('later', 60);
    const r = await warn.run();
    assert.equal(r.issues.length, 1);
    assert.match(r.issues[0], /soon/);
    assert.doesNotMatch(r.issues[0], /later/);

    const fail = setup({ operation: 'list', failOnExpiringWithinDays: '5' });
    fail.api.seed('soon', 3);
    const failing = await fail.run();
    assert.match(failing.failure ?? '', /1 active PAT\(s\) expire within 5 days: soon/, 'the run fails');
    assert.equal(failing.rows.length, 1, 'with its table: the run you most want one for');
  });
});

describe('nameMatcher', () => {
  const pat = (displayName: string) => ({ displayName }) as PatToken;
  it('is exact without wildcards and case-sensitive', () => {
    assert.ok(nameMatcher('feed')(pat('feed')));
    assert.ok(!nameMatcher('feed')(pat('Feed')));
    assert.ok(!nameMatcher('feed')(pat('feed-2')));
  });
  it('treats * as any run and nothing else as special', () => {
    assert.ok(nameMatcher('ci-*')(pat('ci-build')));
    assert.ok(nameMatcher('*.prod')(pat('a.prod')));
    assert.ok(!nameMatcher('a.prod')(pat('aXprod')));
    assert.ok(nameMatcher('(x)*')(pat('(x) y')));
  });
});
