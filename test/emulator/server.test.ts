import * as assert from 'assert';
import { execFile } from 'child_process';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { bearer, call, makeWorld, V72 } from './helpers';

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { env, timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('emulator: server, certificates, recording', function () {
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('uses a private CA: the CA file and PEM match, the server certificate covers localhost and loopback IPs', () => {
    assert.strictEqual(fs.readFileSync(emu.caCertPath, 'utf8'), emu.caCertPem);
    const ca = new X509Certificate(emu.caCertPem);
    assert.strictEqual(ca.ca, true);
    assert.match(emu.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is trusted by a client holding only the CA, by IP and by name', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const res = await call(emu, 'GET', '/', { host });
      assert.strictEqual(res.status, 200, host);
    }
    await assert.rejects(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port: emu.port, path: '/', agent: false }, resolve).on('error', reject)),
      /self-signed|unable to (get|verify)/i,
    );
  });

  it('is trusted through NODE_EXTRA_CA_CERTS in a child process', async () => {
    const script = `require('https').get('https://localhost:${emu.port}/', (r) => { console.log(r.statusCode); r.resume(); }).on('error', (e) => { console.error(e.message); process.exit(3); });`;
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: emu.caCertPath };
    delete env.NODE_TLS_REJECT_UNAUTHORIZED;
    const out = await runNode(script, env);
    assert.strictEqual(out.stdout.trim(), '200', out.stderr);
  });

  it('reuses cached certificates across starts', async () => {
    const t0 = Date.now();
    const second = await startEmulator();
    try {
      assert.strictEqual(second.caCertPem, emu.caCertPem);
      assert.notStrictEqual(second.caCertPath, emu.caCertPath);
      assert.ok(Date.now() - t0 < 500);
    } finally {
      await second.close();
    }
    assert.strictEqual(fs.existsSync(second.caCertPath), false, 'close removes the CA file copy');
  });

  it('supports keep-alive, counts TLS connections and records requests', async () => {
    const w = makeWorld(emu);
    const before = emu.stats.tlsConnections;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await call(emu, 'GET', `/${w.org}/_apis/tokens/pats?${V72}&$top=5`, { agent, headers: bearer(w.accessToken) });
      await call(emu, 'GET', `/${w.org}/_apis/tokens/pats?${V72}`, { agent, headers: { authorization: 'Basic eDp5' } });
      await call(emu, 'POST', `/${w.tenantId}/oauth2/v2.0/token`, {
        agent,
        form: { grant_type: 'refresh_token', client_id: w.clientId, refresh_token: 'secret-rt' },
      });
    } finally {
      agent.destroy();
    }
    assert.strictEqual(emu.stats.tlsConnections - before, 1);
    const [a, b, c] = emu.requests;
    assert.deepStrictEqual([a.kind, b.kind, c.kind, a.authScheme, b.authScheme, c.authScheme], ['pats', 'pats', 'token', 'Bearer', 'Basic', 'none']);
    assert.strictEqual(a.connectionId, c.connectionId);
    assert.deepStrictEqual(a.query, { 'api-version': '7.2-preview.1', $top: '5' });
    assert.strictEqual(a.path, `/${w.org}/_apis/tokens/pats`);
    assert.deepStrictEqual([a.status, b.status], [200, 203]);
    assert.deepStrictEqual(c.body, { grant_type: 'refresh_token', client_id: w.clientId });
    assert.deepStrictEqual(
      emu.requests.map((r) => r.seq),
      [a.seq, a.seq + 1, a.seq + 2],
    );
    emu.clearRequests();
    assert.strictEqual(emu.requests.length, 0);
  });

  it('delays every answer by the configured latency', async () => {
    emu.setLatency(120);
    const t0 = Date.now();
    await call(emu, 'GET', '/');
    assert.ok(Date.now() - t0 >= 110, `took ${Date.now() - t0} ms`);
    emu.reset();
    const t1 = Date.now();
    await call(emu, 'GET', '/');
    assert.ok(Date.now() - t1 < 100);
  });

  it('close() ends hung and idle keep-alive connections promptly', async () => {
    const other = await startEmulator();
    const agent = new https.Agent({ keepAlive: true });
    assert.strictEqual((await call(other, 'GET', '/', { agent })).status, 200);
    other.injectFault({ match: { pathIncludes: '/y' }, type: 'hang' });
    const hung = call(other, 'GET', '/y').then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code ?? 'error',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await other.close();
    assert.ok(Date.now() - t0 < 500);
    assert.notStrictEqual(await hung, 'answered');
    agent.destroy();
  });
});
