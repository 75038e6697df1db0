// api-version handling for Azure DevOps routes: from the query, or from the Accept header as the service allows.
import { EmuRequest, EmuResponse, header, queryParam, typedError } from './http';

export interface ApiVersion {
  major: number;
  minor: number;
  preview: boolean;
  /** Resource version after "-preview." (undefined when absent). */
  resourceVersion?: number;
  text: string;
}

const VERSION_RE = /^(\d+)\.(\d+)(-preview(?:\.(\d+))?)?$/i;

function requestedVersion(req: EmuRequest): string | undefined {
  const q = queryParam(req, 'api-version');
  if (q !== undefined) return q.trim();
  const accept = header(req, 'accept');
  const m = accept ? /api-version=([^;,\s]+)/i.exec(accept) : null;
  return m ? m[1] : undefined;
}

function parseVersion(text: string): ApiVersion | undefined {
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    preview: m[3] !== undefined,
    resourceVersion: m[4] !== undefined ? Number(m[4]) : undefined,
    text,
  };
}

export function versionNumber(v: ApiVersion): number {
  return v.major * 10 + v.minor;
}

/** The api-version the request asks for, or the answer to a missing or malformed one (`form`: what a good one looks like). */
export function readVersion(req: EmuRequest, form: string): ApiVersion | EmuResponse {
  const text = requestedVersion(req);
  if (text === undefined || text === '') return missingVersion(req);
  return parseVersion(text) ?? badVersion(text, `expected a form like ${form}.`);
}

function missingVersion(req: EmuRequest): EmuResponse {
  return typedError(
    400,
    'VssVersionNotSpecifiedException',
    `No api-version was given for the ${req.method} request. Pass it in the query (for example ?api-version=7.1-preview.1) or in the Accept header.`,
  );
}

function badVersion(text: string, why: string): EmuResponse {
  return typedError(400, 'VssInvalidApiVersionException', `The api-version '${text}' is not valid here: ${why}`);
}

export function versionOutOfRange(text: string, range: string): EmuResponse {
  return typedError(400, 'VssVersionOutOfRangeException', `The api-version '${text}' is outside the range this resource supports (${range}).`);
}

/**
 * The api-version check of the released distributedTask / serviceEndpoint routes: 4.1 (the recorded examples were
 * made with 4.1-preview.1 and 6.0-preview.4 and answered 200) to 7.1, or 7.2 as a preview.
 */
export function checkReleasedVersion(req: EmuRequest): EmuResponse | undefined {
  const v = readVersion(req, '7.1 or 7.1-preview.1');
  if ('status' in v) return v;
  const n = versionNumber(v);
  if (n < 41 || n > 72 || (n === 72 && !v.preview)) return versionOutOfRange(v.text, '4.1 to 7.1, or 7.2-preview');
  return undefined;
}
