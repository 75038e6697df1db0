/**
 * Faults, throttling, hostile answers and the agent's network settings, each run through the packaged task
 * against the emulator. docs/reliability.md keeps the resulting table for users.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate } from 'selfsigned';
import type { Fault } from '../../emulator/src';
import { BAD_INPUTS, BASE_INPUTS } from '../support/badInputs';
import { startConnectProxy } from '../support/connectProxy';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';

describe('end to end: reliability and security', function () {
  this.timeout(90_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());
  beforeEach(() => {
    w.emu.clearFaults();
    w.emu.clearRequests();
  });

  const seed = (displayName: string) => w.emu.seedPats(w.userId, ORG, [{ displayName, scope: 'vso.code' }])[0];
  const fault = (f: Fault) => w.emu.injectFault(f);
  const active = (name: string) => w.emu.listPats(w.userId).filter((p) => p.displayName === name && p.status === 'active');

  describe('agent network settings', () => {
    it('goes through the agent proxy (with credentials), one tunnel per connection, nothing direct', async () => {
      const proxy = await startConnectProxy({ requireAuth: { username: 'agent', password: 'proxy-pass-123' } });
      try {
        const pat = seed('via-proxy');
        const run = await w.run(
          { operation: 'rotate', authorizationId: pat.authorizationId },
          { variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': 'agent' }, secretVariables: { 'Agent.ProxyPassword': 'proxy-pass-123' } },
        );
        succeeded(run);
        assert.ok(proxy.tunnels.length >= 1, 'the proxy carried the traffic');
        assert.equal(w.emu.requests.length, 5, 'token, list, create, the new PAT used once, revoke');
        assert.ok(proxy.tunnels.length <= w.emu.stats.tlsConnections, `${proxy.tunnels.length} tunnels`);
        // task-lib's own debug line names it; the agent masks it, as it is a secret variable, and so does the task.
        assert.ok(!run.log.some((l) => l.includes('proxy-pass-123')), 'the pipeline never shows the proxy password');
        assert.ok(run.registeredSecrets.includes('proxy-pass-123'));
      } finally {
        await proxy.close();
      }
    });

    it('a proxy URL with credentials in it: they are used, and the password never shows, even in the debug log', async () => {
      const proxy = await startConnectProxy({ requireAuth: { username: 'agent', password: 'url-pass/789' } });
      try {
        const proxyUrl = proxy.url.replace('://', '://agent:url-pass%2F789@');
        // world.run's leak scan includes the password inside Agent.ProxyUrl (as written and decoded).
        const run = await w.run({ operation: 'list' }, { debug: true, variables: { 'Agent.ProxyUrl': proxyUrl } });
        succeeded(run);
        assert.ok(proxy.tunnels.length >= 1, 'the proxy carried the traffic with the URL credentials');
        assert.ok(run.registeredSecrets.includes('url-pass%2F789') && run.registeredSecrets.includes('url-pass/789'));
        assert.ok(!run.log.some((l) => l.includes('url-pass')), run.log.filter((l) => l.includes('url-pass')).join('\n'));
        assert.ok(
          run.log.some((l) => l.includes('Agent.ProxyUrl=')),
          'task-lib did log the proxy URL, masked',
        );
      } finally {
        await proxy.close();
      }
    });

    it('a wrong proxy password is a clear error', async () => {
      const proxy = await startConnectProxy({ requireAuth: { username: 'agent', password: 'right-password-1' } });
      try {
        const run = await w.run(
          { operation: 'list' },
          { variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': 'agent' }, secretVariables: { 'Agent.ProxyPassword': 'wrong-password-1' } },
        );
        failed(run, /proxy asked for credentials \(HTTP 407\)/);
      } finally {
        await proxy.close();
      }
    });

    it('the proxy bypass list is honoured', async () => {
      const proxy = await startConnectProxy();
      try {
        const run = await w.run(
          { operation: 'list' },
          { variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyBypassList': JSON.stringify(['127\\.0\\.0\\.1']) } },
        );
        succeeded(run);
        assert.equal(proxy.tunnels.length, 0);
      } finally {
        await proxy.close();
      }
    });

    it('trusts the emulator through the agent CA setting alone', async () => {
      const run = await w.run({ operation: 'list' }, { caVia: 'agent' });
      succeeded(run);
    });

    it('Agent.CAInfo adds to the trusted roots: NODE_EXTRA_CA_CERTS still counts when the agent names an unrelated CA', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-ca-'));
      try {
        const other = await generate([{ name: 'commonName', value: 'Unrelated proxy CA' }], {
          keyType: 'ec',
          curve: 'P-256',
          algorithm: 'sha256',
          extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
        });
        const otherCa = path.join(dir, 'other-ca.pem');
        fs.writeFileSync(otherCa, other.cert);
        // NODE_EXTRA_CA_CERTS holds the emulator's CA (caVia 'env'); Agent.CAInfo points to the unrelated one.
        const run = await w.run({ operation: 'list' }, { caVia: 'env', variables: { 'Agent.CAInfo': otherCa } });
        succeeded(run);
        assert.ok(w.emu.requests.length >= 2);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('an unreadable Agent.CAInfo is a clear error before any request', async () => {
      const run = await w.run({ operation: 'list' }, { caVia: 'env', variables: { 'Agent.CAInfo': '/nonexistent/ca.pem' } });
      failed(run, /CA certificate file \(Agent\.CAInfo\) '\/nonexistent\/ca\.pem' cannot be read/);
      assert.equal(w.emu.requests.length, 0);
    });

    it('an untrusted certificate is a clear error, not retried', async () => {
      const run = await w.run({ operation: 'list' }, { caVia: 'none' });
      failed(run, /certificate is not trusted .*Agent\.CAInfo/);
      assert.equal(w.emu.requests.length, 0);
    });
  });

  describe('retries', () => {
    it('429 with Retry-After on list: waits as told, then succeeds', async () => {
      fault({ match: { kind: 'pats' }, type: 'status', status: 429, retryAfterSeconds: 1 });
      const run = await w.run({ operation: 'list' });
      succeeded(run);
      const [first, second] = w.emu.requests.filter((r) => r.kind === 'pats');
      assert.ok(second.time.getTime() - first.time.getTime() >= 950, 'honoured Retry-After');
    });

    it('503 from Entra is retried (no MSAL throttle lock-out)', async () => {
      fault({ match: { kind: 'token' }, type: 'status', status: 503, retryAfterSeconds: 1 });
      const run = await w.run({ operation: 'list' });
      succeeded(run);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'token').length, 2);
    });

    it('500s, resets and a hang on GET are retried with backoff', async () => {
      const pat = seed('flaky');
      fault({ match: { kind: 'pats', method: 'GET' }, type: 'status', status: 500 });
      fault({ match: { kind: 'pats', method: 'GET' }, type: 'reset' });
      fault({ match: { kind: 'pats', method: 'GET' }, type: 'hang' });
      const run = await w.run({ operation: 'get', authorizationId: pat.authorizationId, requestTimeoutSeconds: '2' });
      succeeded(run);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'pats').length, 4);
    });

    it('a hung GET with one connection allowed: the retry goes out on a fresh connection and the run succeeds', async () => {
      const pat = seed('hung-once');
      fault({ match: { kind: 'pats', method: 'GET' }, type: 'hang' });
      const started = Date.now();
      const run = await w.run({ operation: 'get', authorizationId: pat.authorizationId, parallelRequests: '1', requestTimeoutSeconds: '2' });
      succeeded(run);
      const gets = w.emu.requests.filter((r) => r.kind === 'pats');
      assert.equal(gets.length, 2, explain(run));
      assert.equal(gets[0].fault, 'hang');
      assert.equal(gets[1].status, 200);
      assert.notEqual(gets[1].connectionId, gets[0].connectionId, 'the retry did not wait behind the hung connection');
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    });

    it('persistent throttling gives up with a message that says throttled', async () => {
      fault({ match: { kind: 'pats' }, type: 'status', status: 429, retryAfterSeconds: 1, times: 20 });
      const run = await w.run({ operation: 'list' });
      failed(run, /throttled by the service .*gave up after 5 attempts/);
    });

    it('a service that never answers: timed out, after bounded retries', async () => {
      fault({ match: { kind: 'pats' }, type: 'hang', times: 20 });
      const run = await w.run({ operation: 'list', requestTimeoutSeconds: '1' });
      failed(run, /timed out after 1 seconds.*gave up after 5 attempts/);
    });

    it('permanent errors are not retried (invalid_grant)', async () => {
      const revoked = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, revoked: true });
      const run = await w.run({ operation: 'list', refreshToken: revoked });
      failed(run, /refresh token was revoked/);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'token').length, 1);
    });
  });

  it('bulk revoke under a rate limit: the pool shrinks, Retry-After is honoured, every PAT is revoked', async () => {
    const pats = w.emu.seedPats(
      w.userId,
      ORG,
      Array.from({ length: 30 }, (_, i) => ({ displayName: `rl-${i}`, scope: 'vso.code' })),
    );
    w.emu.setPolicy({ rateLimit: { maxRequests: 12, perSeconds: 1 } });
    try {
      const run = await w.run({ operation: 'revoke', displayName: 'rl-*', revokeLimit: '30' });
      succeeded(run);
      assert.ok(pats.every((p) => w.emu.checkPat(p.token, ORG) === 'revoked'));
      assert.ok(
        w.emu.requests.some((r) => r.status === 429),
        'the rate limit was hit',
      );
    } finally {
      w.emu.setPolicy({ rateLimit: undefined });
    }
  });

  describe('create whose answer is lost', () => {
    it('finds the orphan, revokes it, creates once more: exactly one active PAT, delivered', async () => {
      fault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
      const run = await w.run({ operation: 'create', displayName: 'lost-once', scope: 'vso.code' });
      succeeded(run);
      const live = active('lost-once');
      assert.equal(live.length, 1);
      assert.equal(live[0].authorizationId, run.variables.AuthorizationId.value);
      assert.equal(w.emu.checkPat(run.variables.Token.value, ORG), 'active');
      assert.equal(w.emu.listPats(w.userId).filter((p) => p.displayName === 'lost-once' && p.status === 'revoked').length, 1);
    });

    it('lost twice: fails and leaves no undelivered PAT active', async () => {
      fault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit', times: 2 });
      const run = await w.run({ operation: 'create', displayName: 'lost-twice', scope: 'vso.code' });
      failed(run, /failed twice without an answer .*no PAT was left active/);
      assert.equal(active('lost-twice').length, 0);
      assert.equal(run.variables.Token, undefined);
    });

    it('a 502 on create is treated as a lost answer, not blindly retried', async () => {
      fault({ match: { kind: 'pats', method: 'POST' }, type: 'status', status: 502 });
      const run = await w.run({ operation: 'create', displayName: 'bad-gateway', scope: 'vso.code' });
      succeeded(run);
      assert.equal(active('bad-gateway').length, 1);
    });
  });

  describe('rotation never loses the only valid PAT', () => {
    it('create refused by policy: the old PAT stays, the run fails', async () => {
      const old = seed('keep-me');
      w.emu.setPolicy({ disablePatCreation: true });
      try {
        const run = await w.run({ operation: 'rotate', displayName: 'keep-me' });
        failed(run, /policy blocks PAT creation/);
        assert.equal(w.emu.checkPat(old.token, ORG), 'active');
      } finally {
        w.emu.setPolicy({ disablePatCreation: false });
      }
    });

    it('revoking the old PAT fails after delivery: SucceededWithIssues naming the old id', async () => {
      const old = seed('half-done');
      fault({ match: { kind: 'pats', method: 'DELETE' }, type: 'status', status: 500, times: 20 });
      const run = await w.run({ operation: 'rotate', displayName: 'half-done', requestTimeoutSeconds: '5' });
      assert.equal(run.result?.result, 'SucceededWithIssues', explain(run));
      assert.equal(run.exitCode, 0);
      assert.ok(
        run.warnings.some((m) => m.includes(old.authorizationId)),
        explain(run),
      );
      assert.equal(w.emu.checkPat(run.variables.Token.value, ORG), 'active');
      assert.equal(w.emu.checkPat(old.token, ORG), 'active');
    });
  });

  describe('wrong answers', () => {
    it('203 with the HTML sign-in page', async () => {
      fault({ match: { kind: 'pats' }, type: 'html203' });
      failed(await w.run({ operation: 'list' }), /not accepted as a user's Entra token/);
    });

    it('a redirect to the sign-in page is not followed', async () => {
      fault({ match: { kind: 'pats' }, type: 'redirect', redirectTo: 'https://evil.example/_signin' });
      const run = await w.run({ operation: 'list' });
      failed(run, /sign-in page/);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'pats').length, 1);
    });

    it('truncated JSON', async () => {
      const pat = seed('trunc');
      fault({ match: { kind: 'pats' }, type: 'truncatedJson' });
      failed(await w.run({ operation: 'get', authorizationId: pat.authorizationId }), /truncated or malformed/);
    });

    it('a 200 without patToken on create', async () => {
      fault({ match: { kind: 'pats', method: 'POST' }, type: 'emptyOk' });
      failed(await w.run({ operation: 'create', displayName: 'empty', scope: 'vso.code' }), /has no 'patToken'/);
    });

    it('an empty success from Entra', async () => {
      fault({ match: { kind: 'token' }, type: 'emptyOk' });
      failed(await w.run({ operation: 'list' }), /without an access token/);
    });
  });

  describe('Entra errors say what to do', () => {
    it('consent missing', async () => {
      w.emu.setAppOption(w.clientId, { consented: false });
      try {
        failed(await w.run({ operation: 'list' }), /no consent for Azure DevOps.*vso\.pats_manage.*admin consent/);
      } finally {
        w.emu.setAppOption(w.clientId, { consented: true });
      }
    });

    it('MFA required', async () => {
      w.emu.setAppOption(w.clientId, { mfaRequired: true });
      try {
        failed(await w.run({ operation: 'list' }), /multi-factor authentication/);
      } finally {
        w.emu.setAppOption(w.clientId, { mfaRequired: false });
      }
    });

    it('a sign-in frequency policy ended the refresh token (AADSTS70043): sign in again, the policy bounds unattended rotation', async () => {
      const refreshToken = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, refusal: 'signInFrequency' });
      const run = await w.run({ operation: 'list', refreshToken });
      failed(run, /sign-in frequency policy ended the refresh token's life .*AADSTS70043.*Sign in again .*bounds how long unattended rotation can run/);
      assert.equal(w.emu.requests.filter((r) => r.kind === 'token').length, 1, 'not retried');
    });

    it('Entra wants the user to confirm the sign-in (AADSTS50199): sign in again in a browser, not a conditional access story', async () => {
      const refreshToken = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, refusal: 'userConfirmation' });
      const run = await w.run({ operation: 'list', refreshToken });
      failed(run, /wants the user to confirm this sign-in .*AADSTS50199.*Sign in again in a browser/);
      assert.doesNotMatch(run.result?.message ?? '', /conditional access/i);
    });

    it('a bad client secret on a confidential app', async () => {
      const app = w.emu.addApp({ tenantId: w.tenantId, clientSecret: 'right-secret-value-1234567890' });
      const refreshToken = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: app.clientId, userId: w.userId });
      const run = await w.run({ operation: 'list', clientId: app.clientId, refreshToken, clientSecret: 'wrong-secret-value-1234567890' });
      failed(run, /rejected the client secret/);
      const good = await w.run({ operation: 'list', clientId: app.clientId, refreshToken, clientSecret: 'right-secret-value-1234567890' });
      succeeded(good);
    });
  });

  describe('hostile text from the API', () => {
    it('a PAT named with a logging command sets nothing, even hidden behind invisible characters or capitals', async () => {
      // The agent runner finds commands as the agent does (ignorable characters skipped), and case-insensitively.
      seed('x ##vso[task.setvariable variable=Injected]pwned');
      seed('y ##vso[task.complete result=Failed]boom');
      seed('z #\u2060#vso[task.setvariable variable=Injected2]pwned');
      seed('w #\u200B#v\u00ADs\u200Do[task.setvariable variable=Injected3]pwned');
      seed('v ##VSO[task.complete result=Failed]boom');
      seed('##[error]looks like an error');
      const run = await w.run({ operation: 'list' });
      succeeded(run);
      for (const name of ['Injected', 'Injected2', 'Injected3']) {
        assert.equal(run.variables[name], undefined, name);
        assert.ok(!run.commands.some((c) => c.properties.variable === name), name);
      }
      assert.ok(
        run.log.some((l) => l.includes('variable=Injected]pwned')),
        'the name is still shown, defused',
      );
      assert.ok(
        run.log.some((l) => l.includes('# #[error]looks like an error')),
        explain(run),
      );
    });
  });

  describe('leak scan', () => {
    it('scanned every run above for leaked secrets', () => assert.ok(w.scanned >= 25, `scanned ${w.scanned}`));
  });
});

describe('end to end: every wrong input fails before any request', function () {
  this.timeout(120_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());

  it(`${BAD_INPUTS.length} wrong inputs through the packaged task: a Failed result with a specific message, exit code 0, zero requests`, async () => {
    const problems: string[] = [];
    for (let i = 0; i < BAD_INPUTS.length; i += 4) {
      await Promise.all(
        BAD_INPUTS.slice(i, i + 4).map(async ([what, overrides, expected]) => {
          const inputs = { ...w.base(), ...BASE_INPUTS, authorityHost: w.emu.url, serviceUrl: `${w.emu.url}/${ORG}`, ...overrides };
          const run = await w.run(inputs);
          if (run.result?.result !== 'Failed' || run.exitCode !== 0) problems.push(`${what}: ${run.result?.result ?? 'no result'}, exit ${run.exitCode}`);
          else if (!expected.test(run.result.message)) problems.push(`${what}: message ${run.result.message}`);
        }),
      );
    }
    assert.deepEqual(problems, []);
    assert.equal(w.emu.requests.length, 0, 'no request reached Entra or Azure DevOps');
  });
});
