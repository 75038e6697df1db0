/**
 * The one HTTP layer of the task: Entra (through MSAL's network client) and every Azure DevOps API go through
 * here. typed-rest-client carries the agent's proxy (with credentials and bypass list), CA and client
 * certificate, keep-alive and a per-request timeout; this module adds bounded retries that honour
 * `Retry-After`, refuses to send credentials to any host but the configured ones, and never follows redirects.
 */
import { loc } from './messages.generated';
import { HttpClient, type HttpClientResponse } from 'typed-rest-client/HttpClient';
import type { IRequestHandler, IRequestOptions } from 'typed-rest-client/Interfaces';
import { TaskError, TransportError } from './errors';
import { clip } from './sanitize';
import { withTimeout } from './timeout';

export interface ProxySettings {
  proxyUrl: string;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyBypassHosts?: string[];
}

export interface CertSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No retry starts after this much time has passed since the first attempt. */
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, maxElapsedMs: 180_000, baseDelayMs: 500, maxDelayMs: 10_000 };

export interface HttpSettings {
  timeoutMs: number;
  userAgent: string;
  maxSockets: number;
  proxy?: ProxySettings | null;
  cert?: CertSettings | null;
  retry?: Partial<RetryPolicy>;
  /** Origins (`https://host:port`) that may receive credentials. */
  trustedOrigins: readonly string[];
  debug: (message: string) => void;
  /** Called when the service throttles (429, or 503 with Retry-After): bulk work backs off (pool.ts). */
  onThrottle?: () => void;
  /** Called by dispose (e.g. to remove files written for the certificates). */
  onDispose?: () => void;
}

/**
 * - `idempotent`: GET, PUT, DELETE and token redemptions: retried on throttling, 5xx, resets and timeouts.
 * - `unprocessed-only`: POSTs that create something: retried only when the service said it did nothing
 *   (429, 503, connection refused); any other failure throws a TransportError with `maybeCommitted`.
 */
export type RetryMode = 'idempotent' | 'unprocessed-only';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  retry: RetryMode;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const UNPROCESSED_STATUS = new Set([429, 503]);
const UNPROCESSED_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const TLS_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class HttpLayer {
  private readonly client: HttpClient;
  private readonly retry: RetryPolicy;
  private readonly trusted: Set<string>;
  /** Requests sent, retries included. */
  requestCount = 0;
  /** Service clock minus agent clock, by origin, from the latest answer's `Date` header. */
  private readonly clockOffsets = new Map<string, number>();

  constructor(private readonly settings: HttpSettings) {
    this.retry = { ...DEFAULT_RETRY, ...settings.retry };
    this.trusted = new Set(settings.trustedOrigins.map((o) => new URL(o).origin));
    const options: IRequestOptions = {
      socketTimeout: settings.timeoutMs,
      keepAlive: true,
      maxSockets: settings.maxSockets,
      allowRedirects: false,
      allowRetries: false,
      proxy: settings.proxy ?? undefined,
      cert: settings.cert ?? undefined,
      // Never ignoreSslError: a proxy does not make an untrusted certificate acceptable.
      ignoreSslError: false,
    };
    // typed-rest-client prepares a request synchronously inside `request()`: this handler gives it the abort signal
    // of the attempt being started, so that a timed-out attempt can destroy its request and with it the connection.
    const signalHandler: IRequestHandler = {
      prepareRequest: (requestOptions) => {
        if (this.nextSignal) requestOptions.signal = this.nextSignal;
      },
      canHandleAuthentication: () => false,
      handleAuthentication: () => Promise.reject(new Error('not supported')),
    };
    this.client = new HttpClient(settings.userAgent, [signalHandler], options);
  }

  private nextSignal?: AbortSignal;

  trust(origin: string): void {
    this.trusted.add(new URL(origin).origin);
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const headers = request.headers ?? {};
    if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization') && !this.trusted.has(url.origin)) {
      throw new TaskError(loc('UntrustedHost', url.origin));
    }
    const started = Date.now();
    const label = `${request.method} ${url.origin}${url.pathname}`;
    for (let attempt = 1; ; attempt++) {
      let waitMs: number;
      let failure: string;
      try {
        const response = await this.once(request, headers);
        this.settings.debug(`${label} -> ${response.status} (${Date.now() - started} ms, attempt ${attempt})`);
        const retryable = request.retry === 'idempotent' ? TRANSIENT_STATUS.has(response.status) : UNPROCESSED_STATUS.has(response.status);
        if (!retryable) {
          if (request.retry === 'unprocessed-only' && response.status >= 500) {
            throw new TransportError(loc('AnswerLost', label, `HTTP ${response.status}`), true);
          }
          return response;
        }
        const hinted = retryAfterMs(response.headers, Date.now());
        if (response.status === 429 || hinted !== undefined) this.settings.onThrottle?.();
        waitMs = hinted ?? this.backoff(attempt);
        failure = response.status === 429 ? loc('Throttled', label) : loc('Unavailable', label, response.status);
        if (hinted !== undefined && hinted > this.retry.maxElapsedMs) {
          throw new TransportError(loc('ThrottledTooLong', label, Math.ceil(hinted / 1000)), false);
        }
      } catch (err) {
        if (err instanceof TaskError) throw err;
        const code = errorCode(err);
        const message = String((err as Error)?.message ?? err);
        if (code !== undefined && TLS_ERRORS.has(code)) throw new TransportError(loc('TlsUntrusted', label, code), false);
        if (/statusCode=407/.test(message)) throw new TransportError(loc('ProxyAuth', label), false);
        if (/tunneling socket/i.test(message)) throw new TransportError(loc('ProxyFailed', label, clip(message, 120)), false);
        const timedOut = /timeout/i.test(String((err as Error)?.message)) || code === 'ETIMEDOUT';
        this.settings.debug(`${label} -> ${code ?? 'error'}${timedOut ? ' (timed out)' : ''} (attempt ${attempt})`);
        const unprocessed = code !== undefined && UNPROCESSED_ERRORS.has(code);
        const what = timedOut
          ? loc('TimedOut', label, Math.round(this.settings.timeoutMs / 1000))
          : loc('NetworkError', label, code ?? String((err as Error)?.message ?? err));
        if (request.retry === 'unprocessed-only' && !unprocessed) throw new TransportError(loc('AnswerLost', label, what), true);
        waitMs = this.backoff(attempt);
        failure = what;
      }
      const elapsed = Date.now() - started;
      if (attempt >= this.retry.maxAttempts || elapsed + waitMs > this.retry.maxElapsedMs) {
        throw new TransportError(loc('GaveUp', failure, attempt, Math.round((elapsed + 999) / 1000)), false);
      }
      this.settings.debug(`${label}: retrying in ${waitMs} ms`);
      await sleep(waitMs);
    }
  }

  /**
   * One attempt, bounded as a whole (connect, TLS, headers and body) by the request timeout. A timed-out attempt
   * destroys its request, and so its connection, whatever state it is in: otherwise the connection stays busy and,
   * with few sockets allowed (`parallelRequests: 1`), the retries queue behind it until the task gives up.
   */
  /** Attempts on the wire now, by method: a cancelled run must know whether a write may still land. */
  readonly onTheWire = { PUT: 0, POST: 0, DELETE: 0, GET: 0, PATCH: 0 };

  private async once(request: HttpRequest, headers: Record<string, string>): Promise<HttpResponse> {
    this.onTheWire[request.method]++;
    try {
      return await this.attempt(request, headers);
    } finally {
      this.onTheWire[request.method]--;
    }
  }

  private async attempt(request: HttpRequest, headers: Record<string, string>): Promise<HttpResponse> {
    this.requestCount++;
    const controller = new AbortController();
    let pending: Promise<HttpClientResponse>;
    this.nextSignal = controller.signal;
    try {
      pending = this.client.request(request.method, request.url, request.body ?? '', headers);
    } finally {
      this.nextSignal = undefined;
    }
    let abandon = (): void => {};
    const attempt = (async () => {
      const response = await pending;
      abandon = () => response.message.destroy();
      return { response, body: await response.readBody() };
    })();
    const { response, body } = await withTimeout(attempt, this.settings.timeoutMs, () => {
      controller.abort();
      abandon();
      throw Object.assign(new Error('Response body timeout'), { code: 'ETIMEDOUT' });
    });
    const status = response.message.statusCode ?? 0;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.message.headers)) {
      if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const serviceDate = Date.parse(out.date ?? '');
    if (!Number.isNaN(serviceDate)) this.clockOffsets.set(new URL(request.url).origin, serviceDate - Date.now());
    return { status, headers: out, body };
  }

  /**
   * The service's clock as its `Date` headers show it (to the second): what its timestamps (a PAT's validFrom)
   * must be compared with, since the agent's clock may be off. The agent's clock until the origin has answered.
   */
  serviceNow(origin: string): Date {
    return new Date(Date.now() + (this.clockOffsets.get(new URL(origin).origin) ?? 0));
  }

  /** Exponential backoff with jitter: between half and all of the doubled delay. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }

  dispose(): void {
    this.client.dispose();
    this.settings.onDispose?.();
  }
}

/** `Retry-After` (seconds or HTTP date), else `X-RateLimit-Reset` (Unix seconds); undefined when neither. */
export function retryAfterMs(headers: Record<string, string>, nowMs: number): number | undefined {
  const ra = headers['retry-after'];
  if (ra !== undefined && ra.trim() !== '') {
    const seconds = Number(ra);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return undefined;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
