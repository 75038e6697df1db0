/**
 * rotate: replace the PAT in use with a new one of the same name and scopes, deliver it, and only then revoke the old
 * one(s). Which PAT is in use, and which others are abandoned or another run's, comes from deliveryView.
 */
import { TaskError } from '../errors';
import type { PatToken } from '../patsApi';
import { neutralize } from '../sanitize';
import type { Context, OperationResult, SummaryRow } from './context';
import { createAndDeliver, createRequest, deliveryView, revokeAbandoned, Superseded } from './delivery';
import { describe, existing, listAll, nameMatcher, revokeAll } from './select';
import { daysLeft } from '../time';
import { loc } from '../messages.generated';

export async function rotate(ctx: Context): Promise<OperationResult> {
  const { params, api, log, out } = ctx;
  const issues: string[] = [];
  let siblings: PatToken[];
  if (params.authorizationId) siblings = [(await existing(ctx, params.authorizationId, 'rotate')).pat];
  else siblings = (await listAll(api, 'active')).filter(nameMatcher(params.displayName as string));
  siblings.sort((a, b) => Date.parse(b.validFrom) - Date.parse(a.validFrom));
  const view = await deliveryView(ctx, siblings, issues);
  const current = view.current;

  if (!current) {
    const name = params.displayName as string;
    // An expired PAT of that name is replaced with its name and scope: forgetting to rotate in time is common.
    const expired = (await listAll(api, 'expired')).filter(nameMatcher(name)).sort((a, b) => Date.parse(b.validFrom) - Date.parse(a.validFrom))[0];
    if (expired) {
      log.info(loc('RotateExpired', neutralize(expired.displayName), expired.authorizationId, expired.validTo));
      const request = createRequest(ctx, expired.displayName, params.scope ?? expired.scope);
      const pat = await createAndDeliver(ctx, request, new Set([expired.authorizationId, ...siblings.map((p) => p.authorizationId)]), issues);
      out.rotated(true);
      const cleaned = await revokeAbandoned(ctx, view, issues);
      return {
        issues,
        message: loc('RotateCreated', neutralize(pat.displayName), pat.authorizationId),
        rows: [{ pat, status: 'created' }, { pat: expired, status: 'expired' }, ...cleaned],
      };
    }
    if (!params.createIfMissing) throw new TaskError(loc('RotateNoMatch', neutralize(name)));
    if (name.includes('*')) throw new TaskError(loc('RotateNoMatchWildcard', neutralize(name)));
    if (!params.scope) throw new TaskError(loc('RotateCreateNeedsScope', neutralize(name)));
    log.info(loc('RotateCreatingMissing', neutralize(name)));
    const pat = await createAndDeliver(ctx, createRequest(ctx, name, params.scope), new Set(), issues);
    out.rotated(true);
    return { issues, message: loc('RotateCreated', neutralize(pat.displayName), pat.authorizationId), rows: [{ pat, status: 'created' }] };
  }

  const now = ctx.now();
  if (params.rotateWhenExpiringWithinDays !== undefined && !view.mustRotate) {
    const left = daysLeft(current.validTo, now);
    if (left > params.rotateWhenExpiringWithinDays) {
      const message = loc('RotateNotDue', neutralize(current.displayName), current.authorizationId, left, params.rotateWhenExpiringWithinDays);
      log.info(message);
      out.pat(current);
      out.rotated(false);
      const cleaned = await revokeAbandoned(ctx, view, issues, true);
      return { issues, message, rows: [{ pat: current, status: 'not due' }, ...cleaned] };
    }
  }

  if (current.targetAccounts === null) issues.push(loc('RotateGlobalToOrg', neutralize(current.displayName), params.organization));
  log.info(loc('RotateStart', describe(current, now)));
  const request = createRequest(ctx, current.displayName, params.scope ?? current.scope);
  const known = new Set([...siblings.map((p) => p.authorizationId), ...(view.deliveredId ? [view.deliveredId] : [])]);
  let fresh: PatToken & { token: string };
  try {
    fresh = await createAndDeliver(ctx, request, known, issues);
  } catch (err) {
    if (!(err instanceof Superseded)) throw err;
    out.rotated(false);
    return { issues: [...issues, err.message], message: err.message, rows: [{ pat: current, status: 'replaced by another run' }] };
  }
  out.rotated(true);

  // Only now, with the new PAT delivered, do the old ones go: the replaced PAT and the ones before it (less the
  // kept ones), and abandoned undelivered PATs. Never a PAT another run may be delivering right now.
  const lineage = view.lineage.filter((p) => p.authorizationId !== fresh.authorizationId && p.displayName === current.displayName);
  const keep = lineage.slice(0, params.keepPrevious);
  const retire = [...lineage.slice(params.keepPrevious), ...view.abandoned];
  for (const pat of keep) log.info(loc('RotateKept', neutralize(pat.displayName), pat.authorizationId, pat.validTo));
  const { revoked, failed } = await revokeAll(ctx, retire);
  for (const { pat, reason } of failed) issues.push(loc('RotateRevokeFailed', pat.authorizationId, neutralize(pat.displayName), reason, pat.authorizationId));
  const rows: SummaryRow[] = [
    { pat: fresh, status: 'created' },
    ...keep.map((pat) => ({ pat, status: 'kept' })),
    ...revoked.map((pat) => ({ pat, status: view.abandoned.includes(pat) ? 'revoked (never delivered)' : 'revoked' })),
    ...failed.map(({ pat }) => ({ pat, status: 'revoke failed' })),
    ...view.inFlight.map((pat) => ({ pat, status: 'left active (another run?)' })),
  ];
  return { issues, message: loc('RotateDone', neutralize(fresh.displayName), fresh.authorizationId, fresh.validTo, revoked.length), rows };
}
