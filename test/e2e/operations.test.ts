import * as assert from 'node:assert/strict';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';

interface PatMeta {
  authorizationId: string;
  displayName: string;
  validTo: string;
  token?: string;
}

describe('end to end: the packaged task against the emulator', function () {
  this.timeout(60_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());
  beforeEach(() => {
    w.emu.clearFaults();
    w.emu.clearRequests();
  });

  it('create: the new PAT is a secret output and works; one token request, no discovery; the PAT is used once', async () => {
    const run = await w.run({ operation: 'create', displayName: 'feed-token', scope: 'vso.packaging', lifetimeDays: '10' });
    succeeded(run);
    const token = run.variables.Token;
    assert.ok(token?.secret && token.isOutput, 'Token is a secret output variable');
    assert.equal(w.emu.checkPat(token.value, ORG), 'active');
    assert.equal(run.variables.DisplayName.value, 'feed-token');
    assert.equal(run.variables.Scope.value, 'vso.packaging');
    const days = (Date.parse(run.variables.ValidTo.value) - Date.now()) / 86_400_000;
    assert.ok(days > 9.9 && days < 10.1, `validTo ${run.variables.ValidTo.value}`);
    assert.ok(run.variables.RefreshToken?.secret, 'the rotated refresh token is a secret output');
    const kinds = w.emu.requests.map((r) => r.kind);
    assert.deepEqual(kinds, ['token', 'pats', 'connectiondata'], `requests: ${kinds.join(', ')}`);
    assert.equal(run.summaries.length, 1);
    assert.match(run.summaries[0], /feed-token/);
  });

  it('list: follows continuation tokens to the end; Tokens carries no secrets', async () => {
    w.emu.seedPats(
      w.userId,
      ORG,
      Array.from({ length: 250 }, (_, i) => ({ displayName: `bulk-${i}`, scope: 'vso.code' })),
    );
    const run = await w.run({ operation: 'list', displayName: 'bulk-*' });
    succeeded(run);
    const all = JSON.parse(run.files.TokensFile) as PatMeta[];
    assert.equal(all.length, 250, 'TokensFile has every PAT');
    assert.ok(all.every((t) => t.token === undefined));
    const tokens = JSON.parse(run.variables.Tokens.value) as PatMeta[];
    assert.ok(run.variables.Tokens.value.length <= 32_000, 'Tokens stays small enough for a pipeline variable');
    assert.deepEqual(tokens, all.slice(0, tokens.length));
    assert.ok(
      run.warnings.some((w) => w.includes(`first ${tokens.length} of 250 PATs`)),
      explain(run),
    );
    const pages = w.emu.requests.filter((r) => r.kind === 'pats');
    assert.equal(pages.length, 3, 'asks for the largest page (100)');
    assert.ok(pages.every((p) => p.query.$top === '100'));
  });

  it('get by name and by id', async () => {
    const [pat] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'get-me', scope: 'vso.build' }]);
    const byName = await w.run({ operation: 'get', displayName: 'get-me' });
    succeeded(byName);
    assert.equal(byName.variables.AuthorizationId.value, pat.authorizationId);
    assert.equal(byName.variables.Token, undefined, 'get never outputs a token');
    const byId = await w.run({ operation: 'get', authorizationId: pat.authorizationId });
    succeeded(byId);
    assert.equal(byId.variables.DisplayName.value, 'get-me');
  });

  it('update: extends expiry and renames, the token value stays', async () => {
    const [pat] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'old-name', scope: 'vso.work' }]);
    const run = await w.run({ operation: 'update', authorizationId: pat.authorizationId, displayName: 'new-name', lifetimeDays: '20' });
    succeeded(run);
    const stored = w.emu.findPat(pat.authorizationId)!;
    assert.equal(stored.displayName, 'new-name');
    assert.equal(stored.scope, 'vso.work');
    assert.ok(Date.parse(stored.validTo) > Date.now() + 19 * 86_400_000);
    assert.equal(w.emu.checkPat(pat.token, ORG), 'active');
  });

  it('revoke by pattern revokes every match; dry run revokes none', async () => {
    const pats = w.emu.seedPats(
      w.userId,
      ORG,
      Array.from({ length: 5 }, (_, i) => ({ displayName: `tmp-${i}`, scope: 'vso.code' })),
    );
    const dry = await w.run({ operation: 'revoke', displayName: 'tmp-*', dryRun: 'true' });
    succeeded(dry);
    assert.ok(pats.every((p) => w.emu.checkPat(p.token, ORG) === 'active'));
    const real = await w.run({ operation: 'revoke', displayName: 'tmp-*' });
    succeeded(real);
    assert.ok(pats.every((p) => w.emu.checkPat(p.token, ORG) === 'revoked'));
    assert.equal((JSON.parse(real.variables.Tokens.value) as PatMeta[]).length, 5);
  });

  it('rotate by id: token + the active list + create + revoke, the old PAT stops working, the new one works', async () => {
    const [old] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'svc-conn', scope: 'vso.serviceendpoint_manage' }]);
    const run = await w.run({ operation: 'rotate', authorizationId: old.authorizationId });
    succeeded(run);
    // A GET by id does not say whether a PAT is revoked: the active list (one page per 100 active PATs) does.
    const activePages = Math.ceil(w.emu.listPats(w.userId).filter((p) => p.status === 'active').length / 100);
    assert.deepEqual(
      w.emu.requests.map((r) => `${r.kind} ${r.method}${r.query.authorizationId ? ' by id' : ''}`),
      ['token POST', ...Array<string>(activePages).fill('pats GET'), 'pats POST', 'connectiondata GET', 'pats DELETE by id'],
    );
    assert.equal(w.emu.checkPat(old.token, ORG), 'revoked');
    assert.equal(w.emu.checkPat(run.variables.Token.value, ORG), 'active');
    assert.equal(run.variables.Rotated.value, 'true');
    assert.equal(run.variables.Scope.value, 'vso.serviceendpoint_manage');
    // Delivered (secret output set) before the old one was revoked.
    const setAt = run.lines.findIndex((l) => l.includes('variable=Token;'));
    const revokedAt = run.lines.findIndex((l) => l.includes(`Revoked PAT 'svc-conn' (${old.authorizationId})`));
    assert.ok(setAt >= 0 && revokedAt > setAt, explain(run));
  });

  it('rotate by name when not due does nothing, and says so', async () => {
    w.emu.seedPats(w.userId, ORG, [{ displayName: 'daily', scope: 'vso.code', validTo: new Date(Date.now() + 20 * 86_400_000).toISOString() }]);
    const run = await w.run({ operation: 'rotate', displayName: 'daily', rotateWhenExpiringWithinDays: '7' });
    succeeded(run);
    assert.equal(run.variables.Rotated.value, 'false');
    assert.equal(run.variables.Token, undefined);
    assert.ok(!w.emu.requests.some((r) => r.method === 'POST' && r.kind === 'pats'));
  });

  it('rotate creates a missing PAT when asked to', async () => {
    const run = await w.run({ operation: 'rotate', displayName: 'brand-new', scope: 'vso.code' });
    succeeded(run);
    assert.equal(run.variables.Rotated.value, 'true');
    assert.equal(w.emu.checkPat(run.variables.Token.value, ORG), 'active');
  });

  it('policy: a clamped validTo is reported, with a warning', async () => {
    w.emu.setPolicy({ maxLifespanDays: 7 });
    try {
      const run = await w.run({ operation: 'create', displayName: 'long', scope: 'vso.code', lifetimeDays: '90' });
      assert.equal(run.result?.result, 'SucceededWithIssues', explain(run));
      const days = (Date.parse(run.variables.ValidTo.value) - Date.now()) / 86_400_000;
      assert.ok(days < 7.1, run.variables.ValidTo.value);
      assert.ok(run.warnings.some((m) => /policy limits PAT lifetime/.test(m)));
    } finally {
      w.emu.setPolicy({ maxLifespanDays: undefined });
    }
  });

  it('patTokenError answers become messages that say what to do, in both error styles', async () => {
    for (const errorStyle of ['ok200', 'http400'] as const) {
      w.emu.setPolicy({ blockFullScopePats: true });
      w.emu.setVariant({ errorStyle });
      try {
        const run = await w.run({ operation: 'create', displayName: 'full', scope: 'app_token' });
        failed(run, /policy forbids full-access PATs .*Use specific scopes/);
      } finally {
        w.emu.setPolicy({ blockFullScopePats: false });
        w.emu.useProfile('server2022');
      }
    }
  });

  it('an expired refresh token: sign in again and update the secret variable', async () => {
    const expired = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, expired: true });
    const run = await w.run({ operation: 'list', refreshToken: expired });
    failed(run, /refresh token has expired.*Sign in again.*update the secret variable/);
    assert.ok(!w.emu.requests.some((r) => r.kind === 'pats'));
  });

  it('bad input fails before any network call', async () => {
    const run = await w.run({ operation: 'create', displayName: 'x', scope: 'vso.code', lifetimeDays: '-1', clientId: 'nope' });
    failed(run, /'lifetimeDays' is '-1'/);
    assert.match(run.result?.message ?? '', /'clientId' is 'nope'/);
    assert.equal(w.emu.requests.length, 0);
  });

  it('scanned every run for leaked secrets', () => {
    assert.ok(w.scanned >= 12, `scanned ${w.scanned}`);
  });
});
