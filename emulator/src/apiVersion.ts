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

export function requestedVersion(req: EmuRequest): string | undefined {
  const q = queryParam(req, 'api-version');
  if (q !== undefined) return q.trim();
  const accept = header(req, 'accept');
  const m = accept ? /api-version=([^;,\s]+)/i.exec(accept) : null;
  return m ? m[1] : undefined;
}

export function parseVersion(text: string): ApiVersion | undefined {
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

export function missingVersion(req: EmuRequest): EmuResponse {
  return typedError(
    400,
    'VssVersionNotSpecifiedException',
    `No api-version was given for the ${req.method} request. Pass it in the query (for example ?api-version=7.1-preview.1) or in the Accept header.`,
  );
}

export function badVersion(text: string, why: string): EmuResponse {
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
  const text = requestedVersion(req);
  if (text === undefined || text === '') return missingVersion(req);
  const v = parseVersion(text);
  if (!v) return badVersion(text, 'expected a form like 7.1 or 7.1-preview.1.');
  const n = versionNumber(v);
  if (n < 41 || n > 72 || (n === 72 && !v.preview)) return versionOutOfRange(text, '4.1 to 7.1, or 7.2-preview');
  return undefined;
}
