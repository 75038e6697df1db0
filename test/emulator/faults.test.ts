import * as assert from 'assert';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { ADO, bearer, call, HttpResult, makeWorld, V72, World } from './helpers';

describe('emulator: injected faults', function () {
  let emu: Emulator;
  let w: World;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    w = makeWorld(emu);
  });

  const list = (): Promise<HttpResult> => call(emu, 'GET', `/${w.org}/_apis/tokens/pats?${V72}`, { headers: bearer(w.accessToken) });
  const create = (): Promise<HttpResult> =>
    call(emu, 'POST', `/${w.org}/_apis/tokens/pats?${V72}`, {
      headers: bearer(w.accessToken),
      json: { displayName: 'f', scope: 'vso.code', validTo: new Date(Date.now() + 864e5).toISOString(), allOrgs: false },
    });
  const refresh = (): Promise<HttpResult> =>
    call(emu, 'POST', `/${w.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'refresh_token',
        client_id: w.clientId,
        refresh_token: emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId }),
        scope: `${ADO}/.default`,
      },
    });

  it('status faults: typed 503 with Retry-After, OAuth temporarily_unavailable on the token endpoint, then normal again', async () => {
    const handle = emu.injectFault({ match: { kind: 'pats' }, type: 'status', status: 503, retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await list();
      assert.strictEqual(res.status, 503);
      assert.strictEqual(res.headers['retry-after'], '7');
      assert.match(String(res.json().message), /^TF10216/);
    }
    assert.strictEqual(handle.hits, 2);
    assert.strictEqual(handle.remaining, 0);
    assert.strictEqual((await list()).status, 200);
    emu.injectFault({ match: { kind: 'token' }, type: 'status', status: 429, retryAfterSeconds: 3 });
    const tok = await refresh();
    assert.strictEqual(tok.status, 429);
    assert.strictEqual(tok.json().error, 'temporarily_unavailable');
    assert.strictEqual((await refresh()).status, 200);
    assert.deepStrictEqual(
      emu.requests.map((r) => r.fault ?? '-'),
      ['status', 'status', '-', 'status', '-'],
    );
  });

  it('matches on method and path, in order; custom body and headers', async () => {
    emu.injectFault({ match: { method: 'POST', pathIncludes: '/TOKENS/pats' }, type: 'status', status: 500, body: '{"x":1}', headers: { 'X-Extra': 'yes' } });
    assert.strictEqual((await list()).status, 200);
    const res = await create();
    assert.strictEqual(res.status, 500);
    assert.deepStrictEqual(res.json(), { x: 1 });
    assert.strictEqual(res.headers['x-extra'], 'yes');
  });

  it('reset drops the request unanswered and does not perform it; resetAfterCommit performs it', async () => {
    emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'reset' });
    await assert.rejects(create(), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
    assert.strictEqual(emu.listPats(w.userId).length, 0);
    emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
    await assert.rejects(create(), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
    assert.strictEqual(emu.listPats(w.userId).length, 1, 'the PAT exists although the answer was lost');
    assert.strictEqual(emu.requests[emu.requests.length - 1].status, 0);
  });

  it('hang never answers, html203 / redirect / truncatedJson / emptyOk answer like broken services', async () => {
    emu.injectFault({ match: { kind: 'pats' }, type: 'hang' });
    await assert.rejects(
      call(emu, 'GET', `/${w.org}/_apis/tokens/pats?${V72}`, { headers: bearer(w.accessToken), timeoutMs: 150 }),
      (err: NodeJS.ErrnoException) => err.code === 'ETIMEDOUT_TEST',
    );
    emu.injectFault({ match: { kind: 'pats' }, type: 'html203' });
    const html = await list();
    assert.strictEqual(html.status, 203);
    assert.match(html.text, /<html/i);
    emu.injectFault({ match: { kind: 'pats' }, type: 'redirect' });
    const redirect = await list();
    assert.strictEqual(redirect.status, 302);
    assert.match(String(redirect.headers.location), /_signin/);
    emu.injectFault({ match: { kind: 'pats' }, type: 'redirect', redirectTo: 'https://elsewhere.example/x' });
    assert.strictEqual((await list()).headers.location, 'https://elsewhere.example/x');
    emu.injectFault({ match: { kind: 'pats' }, type: 'truncatedJson' });
    const truncated = await list();
    assert.strictEqual(truncated.status, 200);
    assert.throws(() => JSON.parse(truncated.text));
    emu.injectFault({ match: { kind: 'token' }, type: 'emptyOk' });
    const empty = await refresh();
    assert.strictEqual(empty.status, 200);
    assert.deepStrictEqual(empty.json(), {});
    emu.injectFault({ match: { kind: 'pats' }, type: 'emptyOk' });
    assert.deepStrictEqual((await create()).json(), {});
    assert.strictEqual(emu.listPats(w.userId).length, 0);
  });

  it('clearFaults and handle.remove drop pending faults', async () => {
    const h = emu.injectFault({ match: { kind: 'pats' }, type: 'status', status: 500, times: 5 });
    h.remove();
    assert.strictEqual((await list()).status, 200);
    emu.injectFault({ match: { kind: 'pats' }, type: 'status', status: 500, times: 5 });
    emu.clearFaults();
    assert.strictEqual((await list()).status, 200);
  });
});
