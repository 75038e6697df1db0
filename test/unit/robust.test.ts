/**
 * Pure parts of the rotation's defences (issue 10): wildcard matching in linear time, paging that repeats or
 * never ends, secrets the agent cannot register, and the revoke limit.
 */
import * as assert from 'node:assert/strict';
import { globMatch, listAll, MAX_PAGES, runOperation, usableSecret } from '../../tasks/PatLifecycleV1/src/operations';
import { parseParameters } from '../../tasks/PatLifecycleV1/src/params';
import type { ListOptions, PagedPatTokens } from '../../tasks/PatLifecycleV1/src/patsApi';
import { AdaptivePool } from '../../tasks/PatLifecycleV1/src/pool';
import { FakePats } from '../support/fakePats';

const NOW = new Date('2026-11-28T12:00:00Z');
const now = () => NOW;

describe('wildcards', () => {
  it('match like a glob', () => {
    assert.ok(globMatch('feed-*', 'feed-token'));
    assert.ok(globMatch('*-token', 'feed-token'));
    assert.ok(globMatch('f*d*n', 'feed-token'));
    assert.ok(globMatch('*', ''));
    assert.ok(globMatch('a**b', 'ab'));
    assert.ok(!globMatch('feed-*', 'Feed-token'), 'case-sensitive');
    assert.ok(!globMatch('a*a', 'a'), 'the first and last pieces cannot overlap');
    assert.ok(!globMatch('*x*', 'feed'));
    assert.ok(globMatch('exact', 'exact') && !globMatch('exact', 'exact!'));
  });

  it('a backtracking-hostile pattern against a long name answers at once', () => {
    const pattern = '*a*a*a*a*a*a*a*a*a*a*b';
    const name = 'a'.repeat(40);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) assert.equal(globMatch(pattern, name), false);
    // The regular expression this replaced took minutes for one call: a thousand calls here take far below a second.
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 1000, `${ms} ms`);
  });
});

describe('paging', () => {
  class Pages extends FakePats {
    constructor(private readonly answer: (token?: string) => PagedPatTokens) {
      super(now);
    }
    override listPage(_options: ListOptions, continuationToken?: string): Promise<PagedPatTokens> {
      this.calls.push('list');
      return Promise.resolve(this.answer(continuationToken));
    }
  }
  const pat = (n: number) => ({
    authorizationId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    displayName: `p${n}`,
    scope: 'vso.code',
    validFrom: NOW.toISOString(),
    validTo: NOW.toISOString(),
    targetAccounts: [],
  });

  it('a page that repeats entries of an earlier page: each PAT once', async () => {
    const api = new Pages((t) =>
      t ? { patTokens: [pat(1), pat(2), pat(3)], continuationToken: '' } : { patTokens: [pat(0), pat(1)], continuationToken: '2' },
    );
    const all = await listAll(api, 'active');
    assert.deepEqual(
      all.map((p) => p.displayName),
      ['p0', 'p1', 'p2', 'p3'],
    );
  });

  it('tokens that never repeat but pages that add nothing new: stops with a clear error', async () => {
    let n = 0;
    const api = new Pages(() => ({ patTokens: [pat(0), pat(1)], continuationToken: `t${n++}` }));
    await assert.rejects(listAll(api, 'active'), /did not move on after 2 pages/);
    assert.equal(api.calls.length, 2);
  });

  it('a list that never ends: stops after MAX_PAGES pages', async () => {
    let n = 0;
    const api = new Pages(() => {
      n++;
      return { patTokens: [pat(n)], continuationToken: `t${n}` };
    });
    await assert.rejects(listAll(api, 'active'), new RegExp(`went on past ${MAX_PAGES} pages`));
    assert.equal(api.calls.length, MAX_PAGES);
  });
});

describe('secrets the agent can register', () => {
  it('one line of printable characters only', () => {
    assert.equal(usableSecret('dip55dwf4vpitomw63jzvomefmi2jluguprzwwqwuc6xq4fhocwq'), 'dip55dwf4vpitomw63jzvomefmi2jluguprzwwqwuc6xq4fhocwq');
    for (const bad of [undefined, null, '', 'short', 'two\nlines-of-secret', ' padded-secret-value ', 'tab\tinside-secret', 42])
      assert.equal(usableSecret(bad), undefined, String(bad));
  });
});

describe('revoke limit', () => {
  function setup(inputs: Record<string, string>) {
    const all: Record<string, string> = {
      organization: 'fabrikam',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '11111111-2222-3333-4444-555555555555',
      refreshToken: 'r'.repeat(40),
      operation: 'revoke',
      ...inputs,
    };
    const api = new FakePats(now);
    const params = parseParameters((n) => all[n], NOW);
    const out = { secret() {}, token() {}, pat() {}, tokens() {}, rotated() {} };
    const log = { info() {}, warn() {}, debug() {} };
    return { api, run: () => runOperation({ api, params, out, log, now, pool: new AdaptivePool(4) }) };
  }

  it('refuses more than 10 by default, before any revoke', async () => {
    const { api, run } = setup({ displayName: 'ci-*' });
    for (let i = 0; i < 11; i++) api.seed(`ci-${i}`, 10);
    api.seed('keep', 10);
    await assert.rejects(run(), /matches 11 active PATs, more than revokeLimit \(10\).*set revokeLimit to 11 or more/);
    assert.ok(!api.calls.some((c) => c.startsWith('revoke')));
  });

  it('refuses a pattern that matches every active PAT, unless revokeLimit is given', async () => {
    const every = setup({ displayName: '*' });
    every.api.seed('a', 10);
    every.api.seed('b', 10);
    await assert.rejects(every.run(), /matches every one of your 2 active PATs/);
    const confirmed = setup({ displayName: '*', revokeLimit: '2' });
    confirmed.api.seed('a', 10);
    confirmed.api.seed('b', 10);
    await confirmed.run();
    assert.equal(confirmed.api.active().length, 0);
  });

  it('dryRun shows what a refused pattern would revoke', async () => {
    const { api, run } = setup({ displayName: '*', dryRun: 'true' });
    for (let i = 0; i < 12; i++) api.seed(`x-${i}`, 10);
    const result = await run();
    assert.equal(result.rows.length, 12);
    assert.ok(!api.calls.some((c) => c.startsWith('revoke')));
  });
});
