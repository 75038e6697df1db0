// Request/response shapes shared by the handlers, and helpers that build common answers.
import type { IncomingHttpHeaders } from 'http';
import type { RequestRecord } from './types';

export interface EmuRequest {
  method: string;
  path: string;
  /** Query as sent (last value wins). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  bodyText: string;
  record: RequestRecord;
}

export interface EmuResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Query parameter lookup ignoring case, as ASP.NET model binding does. */
export function queryParam(req: EmuRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  let found: string | undefined;
  for (const [k, v] of Object.entries(req.query)) if (k.toLowerCase() === lower) found = v;
  return found;
}

export function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): EmuResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function htmlResponse(status: number, html: string, headers: Record<string, string> = {}): EmuResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body: html };
}

interface TypedErrorOptions {
  namespace?: string;
  assembly?: string;
  headers?: Record<string, string>;
}

/** Azure DevOps' typed error body: {$id, innerException, message, typeName, typeKey, errorCode, eventId}. */
export function typedError(status: number, typeKey: string, message: string, options: TypedErrorOptions = {}): EmuResponse {
  const ns = options.namespace ?? 'Microsoft.VisualStudio.Services.WebApi';
  const asm = options.assembly ?? 'Microsoft.VisualStudio.Services.WebApi';
  return jsonResponse(
    status,
    {
      $id: '1',
      innerException: null,
      message,
      typeName: `${ns}.${typeKey}, ${asm}`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
    { 'x-tfs-processid': '00000000-0000-0000-0000-000000000000', ...options.headers },
  );
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page the service shows instead of data when the credential is of the wrong kind or missing. */
export function signInPage(baseUrl: string): string {
  const target = escapeHtml(`${baseUrl}/_signin`);
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<title>Azure DevOps Services | Sign In</title>\n</head>\n<body>\n' +
    '<h1>Sign in to continue</h1>\n' +
    `<p>This page needs you to sign in. <a href="${target}">Sign in</a></p>\n` +
    '<!-- pat-lifecycle emulator: sign-in page -->\n</body>\n</html>\n'
  );
}

export function signInRedirect(baseUrl: string, replyTo: string, location?: string): EmuResponse {
  const realm = new URL(baseUrl).host;
  const to = location ?? `${baseUrl}/_signin?realm=${encodeURIComponent(realm)}&reply_to=${encodeURIComponent(replyTo)}&redirect=1`;
  return htmlResponse(
    302,
    `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${escapeHtml(to)}">here</a>.</h2></body></html>\n`,
    { location: to },
  );
}

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

type JsonParse = { ok: true; value: unknown } | { ok: false };

export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) as unknown };
  } catch {
    return { ok: false };
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SECRET_KEYS = new Set(['refresh_token', 'client_secret', 'code', 'token', 'code_verifier', 'device_code', 'client_assertion', 'password', 'assertion']);
/** Keys secret in any case: service endpoint authorization parameters (ListEndpointTypes.json isConfidential), OIDC tokens. */
const SECRET_KEYS_ANY_CASE = new Set(['password', 'apitoken', 'accesstoken', 'nugetkey', 'serviceprincipalkey', 'serviceprincipalcertificate', 'oidctoken']);

/** Copy of a parsed body without secret values: secret field names and values of `isSecret` variables. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  const secretVariable = value.isSecret === true;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEYS.has(k) || SECRET_KEYS_ANY_CASE.has(k.toLowerCase())) continue;
    if (secretVariable && k === 'value') continue;
    out[k] = redact(v);
  }
  return out;
}
