import * as assert from 'assert';
import * as http from 'http';
import * as https from 'https';
import * as tls from 'tls';
import { HttpClient } from 'typed-rest-client/HttpClient';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { ConnectProxy, startConnectProxy } from '../support/connectProxy';

function connect(proxy: ConnectProxy, target: string, auth?: string): Promise<{ status: number; socket: import('net').Socket }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: target };
    if (auth) headers['proxy-authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'CONNECT', path: target, headers });
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.on('error', reject);
    req.end();
  });
}

describe('test support: CONNECT proxy', function () {
  let emu: Emulator;
  let proxy: ConnectProxy;

  before(async () => {
    emu = await startEmulator();
    proxy = await startConnectProxy({ requireAuth: { username: 'u', password: 'p@ss' } });
  });
  after(async () => {
    await proxy.close();
    await emu.close();
  });

  it('answers 407 without or with wrong credentials and opens no tunnel', async () => {
    const none = await connect(proxy, `127.0.0.1:${emu.port}`);
    assert.strictEqual(none.status, 407);
    none.socket.destroy();
    const wrong = await connect(proxy, `127.0.0.1:${emu.port}`, 'u:nope');
    assert.strictEqual(wrong.status, 407);
    wrong.socket.destroy();
    assert.strictEqual(proxy.tunnels.length, 0);
    assert.strictEqual(proxy.authFailures, 2);
  });

  it('tunnels TLS to the emulator and counts the tunnel', async () => {
    const { status, socket } = await connect(proxy, `localhost:${emu.port}`, 'u:p@ss');
    assert.strictEqual(status, 200);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = https.request(
        { host: 'localhost', port: emu.port, path: '/', createConnection: () => tls.connect({ socket, servername: 'localhost', ca: emu.caCertPem }) },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    res.resume();
    assert.strictEqual(res.statusCode, 200);
    assert.deepStrictEqual(proxy.tunnels[proxy.tunnels.length - 1], { host: 'localhost', port: emu.port });
  });

  it('works for typed-rest-client with proxy credentials and the CA file', async () => {
    const before = proxy.tunnels.length;
    const client = new HttpClient('emulator-test', [], {
      proxy: { proxyUrl: proxy.url, proxyUsername: 'u', proxyPassword: 'p@ss' },
      cert: { caFile: emu.caCertPath },
    });
    const res = await client.get(`https://localhost:${emu.port}/`);
    assert.strictEqual(res.message.statusCode, 200);
    assert.match(await res.readBody(), /pat-lifecycle/);
    assert.strictEqual(proxy.tunnels.length, before + 1);
    client.dispose();
  });
});
