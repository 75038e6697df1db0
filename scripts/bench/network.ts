/**
 * A latency model that charges connection set-up: a loopback TCP relay in front of the emulator that delays
 * every byte by half the round-trip time in each direction, and holds a new connection's first client bytes
 * until one full round trip after it was opened (the TCP handshake: SYN out, SYN-ACK back, only then data).
 * The TLS handshake is not modelled separately: it is real (end to end, client to emulator) and its flights
 * cross the relay like any other bytes, so TLS 1.3 costs one more round trip, TLS 1.2 two. A request on a
 * kept-alive connection costs one round trip; on a new one, three (TCP, TLS, request).
 *
 * Each `link()` is its own port, so "Entra" and "Azure DevOps" are different origins, as they are in real life
 * (login.microsoftonline.com vs dev.azure.com): a client cannot reuse one connection for both.
 * Loopback only; the emulator's own per-answer latency should be 0 while this is in use.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LinkStats {
  /** TCP connections accepted on this link. */
  connections: number;
}

export class SlowNetwork {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly rttMs: number,
  ) {}

  /** A new port on 127.0.0.1 relaying to the target; returns its port and its connection counter. */
  async link(): Promise<{ port: number; stats: LinkStats }> {
    const stats: LinkStats = { connections: 0 };
    const server = net.createServer({ noDelay: true }, (client) => {
      stats.connections++;
      this.relay(client);
    });
    this.servers.push(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
    return { port, stats };
  }

  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  }

  private relay(client: net.Socket): void {
    const opened = performance.now();
    const upstream = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    const oneWay = this.rttMs / 2;
    // Client to server: not before the handshake's round trip is over, then half a round trip on the wire.
    this.pipe(client, upstream, (now) => Math.max(now, opened + this.rttMs) + oneWay);
    this.pipe(upstream, client, (now) => now + oneWay);
  }

  /** Forwards `from` to `to`, each chunk (and the end of the stream) at `due(arrival)`, in order. */
  private pipe(from: net.Socket, to: net.Socket, due: (now: number) => number): void {
    const queue: { at: number; chunk?: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      if (timer) this.timers.delete(timer);
      timer = undefined;
      while (queue.length > 0 && queue[0].at <= performance.now() + 0.5) {
        const { chunk } = queue.shift() as { at: number; chunk?: Buffer };
        if (to.destroyed) return;
        if (chunk) to.write(chunk);
        else to.end();
      }
      schedule();
    };
    const schedule = (): void => {
      if (timer || queue.length === 0) return;
      timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
      this.timers.add(timer);
    };
    from.on('data', (chunk: Buffer) => {
      queue.push({ at: due(performance.now()), chunk });
      schedule();
    });
    from.on('end', () => {
      queue.push({ at: due(performance.now()) });
      schedule();
    });
  }
}
