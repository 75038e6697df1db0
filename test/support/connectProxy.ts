// A tiny HTTP CONNECT proxy on 127.0.0.1 for tests: optional Basic auth (407 otherwise), counts tunnels, pipes bytes.
import * as http from 'http';
import * as net from 'net';

export interface ConnectProxyOptions {
  requireAuth?: { username: string; password: string };
}

export interface ConnectProxy {
  /** http://127.0.0.1:PORT (no credentials in it). */
  url: string;
  port: number;
  /** One entry per tunnel opened, in order. */
  tunnels: Array<{ host: string; port: number }>;
  /** CONNECT requests refused with 407. */
  authFailures: number;
  close(): Promise<void>;
}

function parseTarget(target: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (!m) return undefined;
  return { host: m[1], port: Number(m[2]) };
}

function authorized(req: http.IncomingMessage, need: ConnectProxyOptions['requireAuth']): boolean {
  if (!need) return true;
  const header = req.headers['proxy-authorization'];
  if (!header || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  return decoded === `${need.username}:${need.password}`;
}

export function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server = http.createServer((req, res) => {
    // Only CONNECT is served.
    const status = authorized(req, options.requireAuth) ? 501 : 407;
    if (status === 407) proxy.authFailures++;
    res.writeHead(status, status === 407 ? { 'proxy-authenticate': 'Basic realm="test-proxy"' } : {});
    res.end();
  });
  const proxy: ConnectProxy = { url: '', port: 0, tunnels: [], authFailures: 0, close };
  server.on('connection', track);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    client.on('error', () => undefined);
    if (!authorized(req, options.requireAuth)) {
      proxy.authFailures++;
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test-proxy"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    const target = parseTarget(req.url ?? '');
    if (!target) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    upstream.on('error', () => {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    upstream.on('connect', () => {
      proxy.tunnels.push(target);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  function close(): Promise<void> {
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      sockets.clear();
    });
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      proxy.port = typeof addr === 'object' && addr ? addr.port : 0;
      proxy.url = `http://127.0.0.1:${proxy.port}`;
      resolve(proxy);
    });
  });
}
