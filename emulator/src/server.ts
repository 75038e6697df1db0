// The HTTPS server: connection tracking, request recording, gates, faults, latency, routing, the Date header.
import 'tls';
import * as https from 'https';
import type { IncomingMessage, ServerResponse } from 'http';
import type { Socket } from 'net';
import type { TLSSocket } from 'tls';
import { deviceLoginPage, entraKind, handleEntra } from './entra';
import { faultResponse, FaultList, firstPageRequest, repeatRows, withContinuationToken, withoutToken, withoutVariables } from './faults';
import { GateList, type GatePhase } from './gates';
import { EmuRequest, EmuResponse, header, htmlResponse, isObject, jsonResponse, parseForm, parseJson, redact, signInPage, typedError } from './http';
import { freshContinuationToken } from './patList';
import { handlePats, patsOrg } from './pats';
import { RateLimiter } from './rateLimit';
import { State } from './state';
import type { EmulatorStats, Fault, RequestKind, RequestRecord } from './types';
import { handleVariableGroups, isVariableGroupPath } from './variableGroups';
import { connectionDataOrg, handleConnectionData } from './connectionData';
import { handleKeyVault, isKeyVaultPath } from './keyVault';
import { handleOidc, isOidcPath } from './oidc';
import { handleServiceEndpoints, isServiceEndpointPath } from './serviceEndpoints';

interface ServerOptions {
  key: string;
  cert: string;
  state: State;
  faults: FaultList;
  gates: GateList;
  rateLimiter: RateLimiter;
  latencyMs: () => number;
}

function classify(path: string): RequestKind {
  const entra = entraKind(path);
  if (entra) return entra;
  if (patsOrg(path) !== undefined) return 'pats';
  if (isVariableGroupPath(path)) return 'variablegroups';
  if (connectionDataOrg(path) !== undefined) return 'connectiondata';
  if (isServiceEndpointPath(path)) return 'serviceendpoints';
  if (isOidcPath(path)) return 'oidc';
  if (isKeyVaultPath(path)) return 'keyvault';
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
  if (!parsed.ok) return undefined;
  const body = redact(parsed.value);
  // A Key Vault secret's value is the secret itself.
  if (kind === 'keyvault' && isObject(body)) delete body.value;
  return body;
}

export class EmulatorServer {
  readonly server: https.Server;
  readonly requests: RequestRecord[] = [];
  readonly stats: EmulatorStats = { tlsConnections: 0, requests: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly connectionIds = new WeakMap<object, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private endlessSeq = 0;
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
    this.throughGate('before', kind, emuReq, req, res, () => this.perform(emuReq, kind, req, res));
  }

  /** Runs `next` now, or when a gate of this phase holds the request, once the test releases it. */
  private throughGate(phase: GatePhase, kind: RequestKind, emuReq: EmuRequest, req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const held = this.options.gates.hold(phase, kind, emuReq.method, emuReq.path, emuReq.record, {
      go: () => {
        if (!this.closing) next();
      },
      drop: () => resetSocket(req.socket),
      closed: () => req.socket.destroyed || res.writableEnded,
      onClose: (callback) => res.once('close', callback),
    });
    if (!held) next();
  }

  /** Performs the request (faults applied), then answers it, possibly after an `afterCommit` gate and the latency. */
  private perform(emuReq: EmuRequest, kind: RequestKind, req: IncomingMessage, res: ServerResponse): void {
    const { state, faults } = this.options;
    const record = emuReq.record;
    const fault = faults.take(kind, emuReq.method, emuReq.path);
    if (fault) record.fault = fault.type;
    if (fault?.type === 'hang') return;
    let response: EmuResponse | undefined;
    try {
      response = fault ? this.withFault(emuReq, kind, fault) : this.dispatch(emuReq, kind);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      response = typedError(500, 'VssServiceException', `Emulator internal error: ${message}`);
    }
    const deliver = (): void => {
      if (!response) {
        resetSocket(req.socket);
        return;
      }
      record.status = response.status;
      // The Date header comes from the emulator clock, so a test can set the service's time apart from the client's.
      res.writeHead(response.status, { date: state.clock.now().toUTCString(), 'x-emulator': 'pat-lifecycle', ...response.headers });
      res.end(response.body);
    };
    this.throughGate('afterCommit', kind, emuReq, req, res, () => {
      const delay = this.options.latencyMs();
      if (delay <= 0) deliver();
      else {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!this.closing) deliver();
        }, delay);
        this.timers.add(timer);
      }
    });
  }

  /** The answer under a fault; undefined: no answer, the connection is reset. */
  private withFault(emuReq: EmuRequest, kind: RequestKind, fault: Fault): EmuResponse | undefined {
    const { state } = this.options;
    switch (fault.type) {
      case 'reset':
        return undefined;
      case 'resetAfterCommit':
        this.dispatch(emuReq, kind);
        return undefined;
      case 'commitThenStatus':
        this.dispatch(emuReq, kind);
        return faultResponse(state, emuReq, kind, { ...fault, type: 'status', status: fault.status ?? 504 });
      case 'commitWithoutToken':
        return withoutToken(this.dispatch(emuReq, kind), fault.answerTokenAs ?? 'missing');
      case 'ignoreWrite': {
        const restore = state.groups.snapshot();
        try {
          return this.dispatch(emuReq, kind);
        } finally {
          restore();
        }
      }
      case 'dropVariables':
        return this.dispatch(withoutVariables(emuReq, fault.variables ?? []), kind);
      case 'repeatRows': {
        const page = this.dispatch(emuReq, kind);
        return repeatRows(page, this.dispatch(firstPageRequest(emuReq), kind, false), fault.count ?? 3);
      }
      case 'endlessPages': {
        const first = this.dispatch(firstPageRequest(emuReq), kind);
        const parsed = parseJson(first.body);
        const realToken = parsed.ok && isObject(parsed.value) ? parsed.value.continuationToken : undefined;
        return withContinuationToken(first, freshContinuationToken(state, realToken, ++this.endlessSeq));
      }
      default:
        return faultResponse(state, emuReq, kind, fault);
    }
  }

  /** Performs the request. `counted`: whether it counts against the rate limit (not for the extra reads of faults). */
  private dispatch(req: EmuRequest, kind: RequestKind, counted = true): EmuResponse {
    const { state } = this.options;
    try {
      if (counted && (kind === 'pats' || kind === 'variablegroups')) {
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
        case 'connectiondata':
          return handleConnectionData(state, req);
        case 'serviceendpoints':
          return handleServiceEndpoints(state, req);
        case 'oidc':
          return handleOidc(state, req);
        case 'keyvault':
          return handleKeyVault(state, req);
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
  if (lower === '/devicelogin') return deviceLoginPage(state, req);
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
