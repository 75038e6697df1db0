/** list: every PAT of a filter (and a name pattern), sorted by expiry; expiry thresholds warn or fail, with the table. */
import type { PatToken } from '../patsApi';
import { neutralize } from '../sanitize';
import { daysLeft } from '../time';
import type { Context, OperationResult } from './context';
import { describe, listAll, nameMatcher, names, statusOf } from './select';
import { MAX_ROWS } from '../outputs';
import { loc } from '../messages.generated';

export async function list(ctx: Context): Promise<OperationResult> {
  const { params, log, out } = ctx;
  const all = await listAll(ctx.api, params.displayFilterOption);
  const pats = params.displayName ? all.filter(nameMatcher(params.displayName)) : all;
  pats.sort((a, b) => Date.parse(a.validTo) - Date.parse(b.validTo));
  log.info(loc('ListFound', pats.length, params.displayFilterOption, params.displayName ? ` '${neutralize(params.displayName)}'` : ''));
  for (const pat of pats.slice(0, MAX_ROWS)) log.info(`  ${describe(pat, ctx.now())}`);
  if (pats.length > MAX_ROWS) log.info(loc('MoreNotShown', pats.length - MAX_ROWS));
  out.tokens(pats);
  const issues: string[] = [];
  // The API does not say which PATs are revoked: with a filter other than active, ask for the active ones too.
  const activeIds =
    params.displayFilterOption === 'active'
      ? new Set(pats.map((p) => p.authorizationId))
      : params.displayFilterOption === 'revoked'
        ? new Set<string>()
        : new Set((await listAll(ctx.api, 'active')).map((p) => p.authorizationId));
  const status = (p: PatToken): string =>
    activeIds.has(p.authorizationId)
      ? 'active'
      : params.displayFilterOption === 'expired'
        ? 'expired'
        : statusOf(p, ctx.now()) === 'expired'
          ? 'expired'
          : 'revoked';
  const rows = pats.map((pat) => ({ pat, status: status(pat) }));
  const expiring = (days: number | undefined): PatToken[] =>
    days === undefined ? [] : pats.filter((p) => activeIds.has(p.authorizationId) && daysLeft(p.validTo, ctx.now()) <= days);
  const failing = expiring(params.failOnExpiringWithinDays);
  const warning = expiring(params.warnOnExpiringWithinDays);
  if (warning.length > 0) issues.push(loc('ExpiringWarn', warning.length, String(params.warnOnExpiringWithinDays), names(warning)));
  for (const row of rows) if (warning.includes(row.pat) || failing.includes(row.pat)) row.status = 'expiring';
  // A failing check still gets its table: the run you most want one for.
  const failure = failing.length > 0 ? loc('ExpiringFail', failing.length, String(params.failOnExpiringWithinDays), names(failing)) : undefined;
  return { issues, message: failure ?? loc('ListDone', pats.length), rows, failure };
}
