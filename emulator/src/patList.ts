// List PATs: filter, sort, and page. The continuation token is a row offset (variant displayNameOffset, the
// Server 2022 code: rows shift when PATs are created or revoked between pages) or an opaque keyset token.
import { createHash } from 'crypto';
import { EmuRequest, EmuResponse, jsonResponse, queryParam, typedError } from './http';
import { PatInternal, patStatus, toApiPat, visibleIn } from './patStore';
import { OrgRecord, State } from './state';
import type { PatStatus } from './types';

type Filter = 'active' | 'revoked' | 'expired' | 'all';
type SortBy = 'displayName' | 'displayDate' | 'status';
type Key = [string | number, number, string];

const DEFAULT_TOP = 20;
const MAX_TOP = 100;
/** Default order: sortByOption=displayDate (validFrom), isSortAscending=false, i.e. newest first. */
const DEFAULT_ASCENDING = false;

const FILTERS: Filter[] = ['active', 'revoked', 'expired', 'all'];
const SORTS: SortBy[] = ['displayName', 'displayDate', 'status'];
const STATUS_RANK: Record<PatStatus, number> = { active: 0, expired: 1, revoked: 2 };

function badArgument(message: string): EmuResponse {
  return typedError(400, 'InvalidArgumentValueException', message, { namespace: 'Microsoft.VisualStudio.Services.Common' });
}

function enumParam<T extends string>(req: EmuRequest, name: string, values: T[], fallback: T): T | EmuResponse {
  const raw = queryParam(req, name);
  if (raw === undefined || raw === '') return fallback;
  const found = values.find((v) => v.toLowerCase() === raw.toLowerCase());
  return found ?? badArgument(`The value '${raw}' is not valid for ${name}. Valid values: ${values.join(', ')}.`);
}

function keyOf(pat: PatInternal, sortBy: SortBy, nowMs: number): Key {
  const primary = sortBy === 'displayName' ? pat.displayName.toLowerCase() : sortBy === 'status' ? STATUS_RANK[patStatus(pat, nowMs)] : pat.validFromMs;
  return [primary, pat.validFromMs, pat.authorizationId];
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < 3; i++) {
    const x = a[i];
    const y = b[i];
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function optionsHash(userId: string, org: OrgRecord, filter: Filter, sortBy: SortBy, asc: boolean): string {
  return createHash('sha256').update(`${userId}|${org.accountId}|${filter}|${sortBy}|${asc}`).digest('base64url').slice(0, 16);
}

function encodeToken(hash: string, key: Key): string {
  return Buffer.from(JSON.stringify({ v: 1, h: hash, k: key })).toString('base64url');
}

function decodeToken(token: string): { h: string; k: Key } | undefined {
  try {
    const obj = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof obj !== 'object' || obj === null) return undefined;
    const { v, h, k } = obj as { v?: unknown; h?: unknown; k?: unknown };
    if (v !== 1 || typeof h !== 'string' || !Array.isArray(k) || k.length !== 3) return undefined;
    const [a, b, c] = k as unknown[];
    if ((typeof a !== 'string' && typeof a !== 'number') || typeof b !== 'number' || typeof c !== 'string') return undefined;
    return { h, k: [a, b, c] };
  } catch {
    return undefined;
  }
}

export function listPats(state: State, req: EmuRequest, org: OrgRecord, userId: string): EmuResponse {
  const offsetTokens = state.variant.listOrder === 'displayNameOffset';
  const filter = enumParam<Filter>(req, 'displayFilterOption', FILTERS, 'active');
  if (typeof filter !== 'string') return filter;
  const sortBy = enumParam<SortBy>(req, 'sortByOption', SORTS, offsetTokens ? 'displayName' : 'displayDate');
  if (typeof sortBy !== 'string') return sortBy;
  const ascRaw = queryParam(req, 'isSortAscending');
  let asc = offsetTokens ? true : DEFAULT_ASCENDING;
  if (ascRaw !== undefined && ascRaw !== '') {
    if (!/^(true|false)$/i.test(ascRaw)) return badArgument(`The value '${ascRaw}' is not valid for isSortAscending: use true or false.`);
    asc = ascRaw.toLowerCase() === 'true';
  }
  const topRaw = queryParam(req, '$top');
  let top = DEFAULT_TOP;
  if (topRaw !== undefined && topRaw !== '') {
    if (!/^\d+$/.test(topRaw) || Number(topRaw) < 1)
      return badArgument(`The value '${topRaw}' is not valid for $top: use a whole number from 1 to ${MAX_TOP}.`);
    top = Math.min(Number(topRaw), MAX_TOP);
  }
  const nowMs = state.clock.nowMs();
  const tokenRaw = queryParam(req, 'continuationToken');
  if (offsetTokens) return offsetPage(state, org, userId, { filter, sortBy, asc, top, nowMs }, tokenRaw);
  const hash = optionsHash(userId, org, filter, sortBy, asc);
  let after: Key | undefined;
  if (tokenRaw !== undefined && tokenRaw !== '') {
    const decoded = decodeToken(tokenRaw);
    if (!decoded) return badArgument('The continuation token is not valid.');
    if (decoded.h !== hash) {
      return badArgument('The continuation token belongs to a different query: repeat the filter and sort options of the first page.');
    }
    after = decoded.k;
  }
  const dir = asc ? 1 : -1;
  const rows: Array<{ pat: PatInternal; key: Key }> = [];
  for (const pat of state.pats.forUser(userId)) {
    if (!visibleIn(pat, org.accountId)) continue;
    if (filter !== 'all' && patStatus(pat, nowMs) !== filter) continue;
    const key = keyOf(pat, sortBy, nowMs);
    if (after && dir * compareKeys(key, after) <= 0) continue;
    rows.push({ pat, key });
  }
  rows.sort((a, b) => dir * compareKeys(a.key, b.key));
  const page = rows.slice(0, top);
  const more = rows.length > top;
  return jsonResponse(200, {
    continuationToken: more ? encodeToken(hash, page[page.length - 1].key) : '',
    patTokens: page.map((r) => toApiPat(r.pat, false)),
  });
}

/** A page by row offset: the token is the number of rows already returned. */
function offsetPage(
  state: State,
  org: OrgRecord,
  userId: string,
  o: { filter: Filter; sortBy: SortBy; asc: boolean; top: number; nowMs: number },
  tokenRaw: string | undefined,
): EmuResponse {
  let start = 0;
  if (tokenRaw !== undefined && tokenRaw !== '') {
    if (!/^\d{1,9}$/.test(tokenRaw)) return badArgument('The continuation token is not valid.');
    start = Number(tokenRaw);
  }
  const dir = o.asc ? 1 : -1;
  const rows = state.pats
    .forUser(userId)
    .filter((pat) => visibleIn(pat, org.accountId) && (o.filter === 'all' || patStatus(pat, o.nowMs) === o.filter))
    .map((pat) => ({ pat, key: keyOf(pat, o.sortBy, o.nowMs) }))
    .sort((a, b) => dir * compareKeys(a.key, b.key));
  const page = rows.slice(start, start + o.top);
  const more = rows.length > start + o.top;
  return jsonResponse(200, { continuationToken: more ? String(start + o.top) : '', patTokens: page.map((r) => toApiPat(r.pat, false)) });
}

/**
 * A continuation token never given before (for the `endlessPages` fault), in the form the variant uses, so a client
 * that follows it once the fault is spent gets a real answer: a row offset past any listing (an empty last page),
 * or the first page's keyset token made unique (the listing goes on from about the end of the first page). Without
 * a first-page token to build on, a keyset token is random and is refused as not valid.
 */
export function freshContinuationToken(state: State, firstPageToken: unknown, n: number): string {
  if (state.variant.listOrder === 'displayNameOffset') return String(100_000_000 + n);
  const decoded = typeof firstPageToken === 'string' && firstPageToken !== '' ? decodeToken(firstPageToken) : undefined;
  if (!decoded) return Buffer.from(`endless-${n}-${Date.now()}`).toString('base64url');
  return encodeToken(decoded.h, [decoded.k[0], decoded.k[1], `${decoded.k[2]}~${n}`]);
}
