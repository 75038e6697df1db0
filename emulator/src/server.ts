// The HTTPS server: connection tracking, request recording, faults, latency, routing.
import 'tls';
import * as https from 'https';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Socket } from 'net';
import type { TLSSocket } from 'tls';
import { deviceLoginPage, entraKind, handleEntra } from './entra';
import { faultResponse, FaultList } from './faults';
import { EmuRequest, EmuResponse, header, htmlResponse, jsonResponse, parseForm, parseJson, redact, signInPage, typedError } from './http';
import { handlePats, patsOrg } from './pats';
import { RateLimiter } from './rateLimit';
import { State } from './state';
import type { EmulatorStats, RequestKind, RequestRecord } from './types';
import { handleVariableGroups, isVariableGroupPath } from './variableGroups';

export interface ServerOptions {
  key: string;
  cert: string;
  state: State;
  faults: FaultList;
  rateLimiter: RateLimiter;
  latencyMs: () => number;
}

export function classify(path: string): RequestKind {
  const entra = entraKind(path);
  if (entra) return entra;
  if (patsOrg(path) !== undefined) return 'pats';
  if (isVariableGroupPath(path)) return 'variablegroups';
  return 'other';
}

function authScheme(req: IncomingMessage): string {
  const auth = req.headers.authorization;
  if (!auth) return 'none';
  const scheme = auth.trim().split(/\s+/)[0];
  const lower = scheme.toLowerCase();
  if (lower === 'bearer') return 'Bearer';
  if (lower === 'basic') return 'Basic';
  return scheme;
}

function recordBody(kind: RequestKind, contentType: string, text: string): unknown {
  if (text === '') return undefined;
  if (kind === 'token' || kind === 'devicecode' || contentType.includes('x-www-form-urlencoded')) return redact(parseForm(text));
  const parsed = parseJson(text);
  return parsed.ok ? redact(parsed.value) : undefined;
}

export class EmulatorServer {
  readonly server: https.Server;
  readonly requests: RequestRecord[] = [];
  readonly stats: EmulatorStats = { tlsConnections: 0, requests: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly connectionIds = new WeakMap<object, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private connectionSeq = 0;
  private closing = false;

  constructor(private readonly options: ServerOptions) {
    this.server = https.createServer({ key: options.key, cert: options.cert }, (req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', (tlsSocket: TLSSocket) => {
      this.connectionIds.set(tlsSocket, ++this.connectionSeq);
      this.stats.tlsConnections++;
    });
    this.server.on('tlsClientError', () => undefined);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => this.process(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private process(req: IncomingMessage, res: ServerResponse, bodyText: string): void {
    const { state, faults } = this.options;
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const method = (req.method ?? 'GET').toUpperCase();
    const kind = classify(url.pathname);
    const record: RequestRecord = {
      seq: ++this.seq,
      time: new Date(),
      method,
      path: url.pathname,
      query,
      kind,
      authScheme: authScheme(req),
      status: 0,
      connectionId: this.connectionIds.get(req.socket) ?? 0,
    };
    const body = recordBody(kind, String(req.headers['content-type'] ?? ''), bodyText);
    if (body !== undefined) record.body = body;
    this.requests.push(record);
    this.stats.requests++;
    const emuReq: EmuRequest = { method, path: url.pathname, query, headers: req.headers, bodyText, record };

    const fault = faults.take(kind, method, url.pathname);
    let response: EmuResponse | undefined;
    let drop = false;
    if (fault) {
      record.fault = fault.type;
      if (fault.type === 'hang') return;
      if (fault.type === 'reset') drop = true;
      else if (fault.type === 'resetAfterCommit') {
        this.dispatch(emuReq, kind);
        drop = true;
      } else response = faultResponse(state, emuReq, kind, fault);
    } else {
      response = this.dispatch(emuReq, kind);
    }
    const deliver = (): void => {
      if (drop || !response) {
        resetSocket(req.socket);
        return;
      }
      record.status = response.status;
      res.writeHead(response.status, { 'x-emulator': 'pat-lifecycle', ...response.headers });
      res.end(response.body);
    };
    const delay = this.options.latencyMs();
    if (delay <= 0) deliver();
    else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closing) deliver();
      }, delay);
      this.timers.add(timer);
    }
  }

  private dispatch(req: EmuRequest, kind: RequestKind): EmuResponse {
    const { state } = this.options;
    try {
      if (kind === 'pats' || kind === 'variablegroups') {
        const limited = this.options.rateLimiter.check(state.policy.rateLimit);
        if (limited) return limited;
      }
      switch (kind) {
        case 'token':
        case 'devicecode':
        case 'authorize':
        case 'discovery':
          return handleEntra(state, req);
        case 'pats':
          return handlePats(state, req, patsOrg(req.path) ?? '');
        case 'variablegroups':
          return handleVariableGroups(state, req);
        default:
          return other(state, req);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return typedError(500, 'VssServiceException', `Emulator internal error: ${message}`);
    }
  }
}

function other(state: State, req: EmuRequest): EmuResponse {
  const lower = req.path.toLowerCase();
  if (lower === '/devicelogin') return deviceLoginPage();
  if (lower === '/_signin') return htmlResponse(200, signInPage(state.baseUrl));
  if (lower === '/' || lower === '/_emulator') {
    return jsonResponse(200, { emulator: 'pat-lifecycle', url: state.baseUrl, userAgent: header(req, 'user-agent') ?? null });
  }
  return typedError(404, 'VssResourceNotFoundException', `The emulator has no resource at ${req.path}.`);
}

/** Drop the connection without an answer; a TCP reset where the platform allows it. */
function resetSocket(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  try {
    if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    else s.destroy();
  } catch {
    s.destroy();
  }
}
