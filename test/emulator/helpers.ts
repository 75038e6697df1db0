// Small HTTPS client for the emulator's own tests: trusts only the emulator's CA.
import * as https from 'https';
import type { IncomingHttpHeaders } from 'http';
import type { Emulator } from '../../emulator/src/index';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** JSON body (objects are serialised). */
  json?: unknown;
  /** Form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  agent?: https.Agent;
  /** Abort after this many ms (rejects with code 'ETIMEDOUT_TEST'). */
  timeoutMs?: number;
  host?: string;
}

export function call(emu: Emulator, method: string, path: string, options: CallOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = typeof options.json === 'string' ? options.json : JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  } else if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: options.host ?? '127.0.0.1',
        port: emu.port,
        method,
        path,
        headers,
        ca: emu.caCertPem,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json<T>() {
              return JSON.parse(text) as T;
            },
          });
        });
      },
    );
    req.on('error', reject);
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => {
        const err = new Error('test timeout') as Error & { code: string };
        err.code = 'ETIMEDOUT_TEST';
        req.destroy(err);
      });
    }
    req.end(body);
  });
}

export const ADO = '499b84ac-1321-427f-aa17-267ca6975798';
export const V71 = 'api-version=7.1-preview.1';
export const V72 = 'api-version=7.2-preview.1';

export interface World {
  tenantId: string;
  clientId: string;
  userId: string;
  org: string;
  accessToken: string;
}

/** A tenant, public app, user and organization, plus a user access token for the PAT API. */
export function makeWorld(emu: Emulator, org = 'fabrikam'): World {
  const tenantId = emu.addTenant().id;
  const clientId = emu.addApp({ tenantId }).clientId;
  const userId = emu.addUser({ tenantId }).id;
  emu.addOrg(org, tenantId);
  const accessToken = emu.issueAccessToken({ tenantId, clientId, userId });
  return { tenantId, clientId, userId, org, accessToken };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function decodeJwt(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
