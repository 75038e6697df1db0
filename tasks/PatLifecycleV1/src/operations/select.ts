/**
 * Finding PATs: every page of a list, a PAT by id with its real status, the one PAT a selector names, name
 * patterns; and revoking, with each failure checked against the active list. Shared by every operation.
 */
import { ApiError, TaskError } from '../errors';
import { decodeHtmlEntities, isNotFound, type DisplayFilter, type PatsClient, type PatToken } from '../patsApi';
import { neutralize } from '../sanitize';
import { daysLeft } from '../time';
import type { Context } from './context';
import { loc } from '../messages.generated';

/**
 * Revokes each PAT. A failed DELETE is not taken at its word: the service refuses to revoke a PAT that is already
 * revoked, so a DELETE retried after a lost answer fails although the PAT is gone. Before reporting a failure, the
 * active list says whether the PAT is still there.
 */
export async function revokeAll(
  ctx: Context,
  pats: readonly PatToken[],
  quiet = false,
): Promise<{ revoked: PatToken[]; failed: { pat: PatToken; reason: string }[] }> {
  const outcomes = await ctx.pool.run(pats, (pat) => ctx.api.revoke(pat.authorizationId));
  const revoked: PatToken[] = [];
  let failed: { pat: PatToken; reason: string }[] = [];
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') {
      revoked.push(pats[i]);
      if (!quiet) ctx.log.info(loc('Revoked', neutralize(pats[i].displayName), pats[i].authorizationId));
    } else failed.push({ pat: pats[i], reason: errorText(o.reason) });
  });
  const now = ctx.now();
  if (failed.some((f) => statusOf(f.pat, now) === 'active')) {
    const active = await listAll(ctx.api, 'active').then(
      (list) => new Set(list.map((p) => p.authorizationId.toLowerCase())),
      () => undefined, // the failures stand as reported
    );
    if (active) {
      const gone = failed.filter((f) => statusOf(f.pat, now) === 'active' && !active.has(f.pat.authorizationId.toLowerCase()));
      for (const { pat } of gone) {
        revoked.push(pat);
        ctx.log.info(loc('RevokeConfirmed', neutralize(pat.displayName), pat.authorizationId));
      }
      failed = failed.filter((f) => !gone.includes(f));
    }
  }
  return { revoked, failed };
}

/** Revokes one PAT; undefined when done, else a message that names it as still active. */
export async function revokeQuietly(ctx: Context, id: string): Promise<string | undefined> {
  const { failed } = await revokeAll(ctx, [{ authorizationId: id, displayName: '', scope: '', validFrom: '', validTo: '', targetAccounts: [] }], true);
  return failed.length > 0 ? loc('UndeliveredNotRevoked', id, failed[0].reason) : undefined;
}

/** Pages read at most: 100,000 PATs, far beyond any real account. */
export const MAX_PAGES = 1000;

/**
 * Every page, following `continuationToken` to the end. PATs are de-duplicated by id: the service pages by row
 * offset, so a PAT created or revoked between two pages shifts the rows and one can come twice. A token seen
 * before, a page with a token but nothing new, or more than MAX_PAGES pages end the listing with an error.
 */
export async function listAll(api: PatsClient, filter: DisplayFilter): Promise<PatToken[]> {
  const byId = new Map<string, PatToken>();
  const tokens = new Set<string>();
  let token: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await api.listPage({ displayFilterOption: filter }, token);
    const before = byId.size;
    for (const pat of page.patTokens) if (!byId.has(pat.authorizationId.toLowerCase())) byId.set(pat.authorizationId.toLowerCase(), pat);
    token = page.continuationToken || undefined;
    if (token === undefined) return [...byId.values()];
    if (tokens.has(token) || byId.size === before) throw new ApiError(loc('ApiPagingLoop', pages));
    if (pages >= MAX_PAGES) throw new ApiError(loc('ApiPagingTooLong', MAX_PAGES, byId.size));
    tokens.add(token);
  }
}

/**
 * The PAT with this id and its real status. A GET does not say whether a PAT is revoked (the service answers a
 * revoked PAT like any other), so the active list decides; the GET is only asked for PATs not in it.
 * Undefined when the service has no such PAT (whichever way it says so).
 */
export async function findById(ctx: Context, id: string): Promise<{ pat: PatToken; status: 'active' | 'expired' | 'revoked' } | undefined> {
  const lower = id.toLowerCase();
  const active = (await listAll(ctx.api, 'active')).find((p) => p.authorizationId.toLowerCase() === lower);
  if (active) return { pat: active, status: 'active' };
  let pat: PatToken;
  try {
    pat = await ctx.api.get(id);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return { pat, status: statusOf(pat, ctx.now()) === 'expired' ? 'expired' : 'revoked' };
}

/** A PAT selected by id that must exist and not be revoked (get, update, rotate). */
export async function existing(ctx: Context, id: string, operation: string): Promise<{ pat: PatToken; status: 'active' | 'expired' }> {
  const found = await findById(ctx, id);
  if (!found) throw new TaskError(loc('PatNotFoundById', id));
  if (found.status === 'revoked') throw new TaskError(loc('PatRevokedById', neutralize(found.pat.displayName), id, operation));
  return { pat: found.pat, status: found.status };
}

export async function selectOne(ctx: Context): Promise<PatToken> {
  const { params, api } = ctx;
  if (params.authorizationId) return (await existing(ctx, params.authorizationId, params.operation)).pat;
  const pattern = params.displayName as string;
  const matches = (await listAll(api, 'active')).filter(nameMatcher(pattern));
  if (matches.length === 0) throw new TaskError(loc('NoMatch', neutralize(pattern)));
  if (matches.length > 1)
    throw new TaskError(
      loc('Ambiguous', matches.length, neutralize(pattern), matches.map((p) => `${neutralize(p.displayName)} (${p.authorizationId})`).join(', ')),
    );
  return matches[0];
}

/**
 * Exact name, or `*` as a wildcard for any run of characters. Case-sensitive, as Azure DevOps names are. Names
 * are compared decoded (patsApi decodes the service's HTML encoding); a pattern written with entities
 * (`build &amp; deploy`, as the service shows it) matches too.
 */
export function nameMatcher(pattern: string): (pat: PatToken) => boolean {
  const patterns = [...new Set([pattern, decodeHtmlEntities(pattern)])];
  return (pat) => patterns.some((p) => globMatch(p, pat.displayName));
}

/**
 * `*` globbing in linear time, without regular expressions (a pattern like `*a*a*a*a*b` makes a backtracking
 * matcher take exponential time). The first piece must start the name, the last must end it, and the pieces
 * between are found left to right: the leftmost match of each is always the best choice for `*` patterns.
 */
export function globMatch(pattern: string, name: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === name;
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (name.length < first.length + last.length || !name.startsWith(first) || !name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    if (piece === '') continue;
    const found = name.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

export function statusOf(pat: PatToken, now: Date): string {
  return Date.parse(pat.validTo) <= now.getTime() ? 'expired' : 'active';
}

export function shortenedWarning(requested: string, granted: PatToken, explicit: boolean): string[] {
  const asked = Date.parse(requested);
  const got = Date.parse(granted.validTo);
  return explicit && got < asked - 60_000 ? [loc('ValidToShortened', granted.validTo, requested)] : [];
}

export function describe(pat: PatToken, now: Date): string {
  const days = daysLeft(pat.validTo, now);
  const where = loc(pat.targetAccounts === null ? 'AllOrganizations' : 'ThisOrganization');
  return loc('PatLine', neutralize(pat.displayName), pat.authorizationId, neutralize(pat.scope), pat.validTo, days, where);
}

export function names(pats: readonly PatToken[]): string {
  return pats.map((p) => `${neutralize(p.displayName)} (${p.validTo})`).join(', ');
}

export function errorText(err: unknown): string {
  return err instanceof TaskError ? err.message : neutralize((err as Error)?.message ?? err);
}
