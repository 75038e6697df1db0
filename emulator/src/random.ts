// Random identifiers and secrets.
import { randomBytes, randomUUID } from 'crypto';

export function newGuid(): string {
  return randomUUID();
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID_RE.test(value);
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function randomBase64url(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `count` PAT secrets of 52 lowercase base32 characters, generated from one random buffer. */
export function newPatSecrets(count: number): string[] {
  const buf = randomBytes(count * 52);
  const out: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    let s = '';
    for (let j = 0; j < 52; j++) s += BASE32[buf[i * 52 + j] & 31];
    out[i] = s;
  }
  return out;
}

/** An opaque refresh token shaped like Entra's ("1." or "0." prefix, long). */
export function newRefreshToken(): string {
  const b = randomBytes(1)[0];
  return `${b & 1 ? '1' : '0'}.A${randomBase64url(420)}`;
}

const USER_CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function newUserCode(): string {
  const buf = randomBytes(9);
  let s = '';
  for (const b of buf) s += USER_CODE_CHARS[b & 31];
  return s;
}
