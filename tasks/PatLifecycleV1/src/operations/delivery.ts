/**
 * Making a new PAT and getting it where it is used, the steps every creating operation shares: the create request
 * (with its marker), the lost-answer recovery, the check that the PAT works, the delivery to every target with its
 * read-back, and which of a name's PATs is the one in use (deliveryView) and which were abandoned.
 */
import { ApiError, TaskError, TransportError } from '../errors';
import { DeliveryError } from '../persistence';
import { sameScopes, type PatCreateRequest, type PatToken } from '../patsApi';
import { neutralize } from '../sanitize';
import type { Context, DeliveryTarget, SummaryRow } from './context';
import { describe, errorText, listAll, revokeAll, revokeQuietly, shortenedWarning } from './select';
import { loc } from '../messages.generated';

/** How long a PAT may take from its create to its delivery: younger undelivered PATs may be another run's. */
export const IN_FLIGHT_MS = 15 * 60_000;

/**
 * Which of the active PATs of a name is the one in use, and what the others are.
 *
 * - With a variable group and a token variable, the group's companion variable names the delivered PAT: that is
 *   the current one. Newer PATs of the name were never delivered: those created less than IN_FLIGHT_MS ago may be
 *   another run's that is about to deliver (`inFlight`: left alone), older ones were abandoned (a cancelled or
 *   killed run: `abandoned`, revoked). When the group names no active PAT of this name, it holds a dead or unknown
 *   PAT: the rotation is due whatever the window says.
 * - Without one, the newest PAT is the current one (as before), and PATs created less than IN_FLIGHT_MS ago are
 *   never revoked by this run (another run may have just delivered one).
 *
 * `lineage`: the current PAT and the older ones, newest first: what keepPrevious counts and rotation retires.
 */
export interface DeliveryView {
  current?: PatToken;
  deliveredId?: string;
  lineage: PatToken[];
  abandoned: PatToken[];
  inFlight: PatToken[];
  mustRotate: boolean;
}

export async function deliveryView(ctx: Context, siblings: readonly PatToken[], issues: string[]): Promise<DeliveryView> {
  const youngFrom = ctx.api.serviceNow().getTime() - IN_FLIGHT_MS;
  const young = (p: PatToken): boolean => Date.parse(p.validFrom) >= youngFrom;
  const targets = ctx.targets ?? [];
  const named = await Promise.all(targets.map((t) => t.deliveredId()));
  const deliveredId = named[0];
  const view: DeliveryView = { deliveredId, lineage: [], abandoned: [], inFlight: [], mustRotate: false };
  // Every target must hold the same PAT; one that holds another (or none: a target added since) gets the next one.
  const behind = targets.filter((_, i) => named[i] !== deliveredId);
  if (behind.length > 0 && !ctx.params.authorizationId) {
    issues.push(loc('TargetsDisagree', behind.map((t) => t.label).join(', '), deliveredId ?? loc('Nothing')));
    view.mustRotate = true;
  }
  const delivered = deliveredId ? siblings.find((p) => p.authorizationId.toLowerCase() === deliveredId) : undefined;
  if (!delivered && deliveredId && !ctx.params.authorizationId) {
    issues.push(loc('DeliveredNotActive', targets[0]?.label ?? '', deliveredId));
    view.mustRotate = true;
  }
  // The current PAT: the delivered one, else (no companion yet, or no target) the newest. Only PATs of its exact
  // name are its lineage, older undelivered copies or another run's: a pattern's other matches are left alone.
  const current = delivered ?? siblings[0];
  if (!current) return view;
  view.current = current;
  for (const p of siblings.filter((s) => s.displayName === current.displayName)) {
    if (p === current || Date.parse(p.validFrom) < Date.parse(current.validFrom)) view.lineage.push(p);
    else if (young(p)) view.inFlight.push(p);
    // Newer and undelivered: abandoned, when the target says which one is delivered; else the newest is current.
    else view.abandoned.push(p);
  }
  // Without a target that names the delivered PAT, a young older copy may be another run's just-delivered one.
  if (!delivered) {
    const young_ = view.lineage.filter((p) => p !== current && young(p));
    view.lineage = view.lineage.filter((p) => !young_.includes(p));
    view.inFlight.push(...young_);
  }
  if (view.inFlight.length > 0) {
    issues.push(loc('OverlapDetected', view.inFlight.map((p) => `${p.authorizationId} (${p.validFrom})`).join(', ')));
  }
  return view;
}

/**
 * Undelivered PATs abandoned by an earlier run (cancelled or killed before delivery): nobody can use them. With
 * `excess`, also the PATs before the delivered one beyond keepPrevious (left by runs that overlapped): the group
 * says which PAT is in use, so these are in no one's hands either.
 */
export async function revokeAbandoned(ctx: Context, view: DeliveryView, issues: string[], excess = false): Promise<SummaryRow[]> {
  const extra = excess && view.deliveredId && view.current ? view.lineage.slice(1 + ctx.params.keepPrevious) : [];
  if (view.abandoned.length === 0 && extra.length === 0) return [];
  const { revoked, failed } = await revokeAll(ctx, [...view.abandoned, ...extra]);
  for (const pat of revoked)
    if (view.abandoned.includes(pat)) ctx.log.warn(loc('AbandonedRevoked', neutralize(pat.displayName), pat.authorizationId, pat.validFrom));
  for (const { pat, reason } of failed) issues.push(loc('RotateRevokeFailed', pat.authorizationId, neutralize(pat.displayName), reason, pat.authorizationId));
  return [
    ...revoked.map((pat) => ({ pat, status: view.abandoned.includes(pat) ? 'revoked (never delivered)' : 'revoked' })),
    ...failed.map(({ pat }) => ({ pat, status: 'revoke failed' })),
  ];
}

/**
 * The create request. validTo carries a random part of a second: the service keeps it (to 1/300 s), so a PAT
 * this run made can be told from one another run made at the same moment when the create's answer is lost.
 */
export function createRequest(ctx: Context, displayName: string, scope: string): PatCreateRequest {
  const base = Math.floor(ctx.params.validTo.getTime() / 1000) * 1000;
  const marker = 1 + Math.floor(Math.random() * 299);
  return { displayName, scope, validTo: new Date(base + Math.round((marker * 1000) / 300)).toISOString(), allOrgs: false };
}

/**
 * Creates a PAT and delivers it: to the variable group when there is one (written, then read back), then to the
 * outputs. Until then the PAT is `pending`: a cancelled run revokes it (main.ts, agent.ts cancellable). A PAT that cannot be delivered
 * is revoked, unless nobody can tell whether the group holds it (then both it and the old one stay active, and
 * the message says so). When the create's answer is lost, the orphan is looked for and revoked (lostCreate).
 */
export async function createAndDeliver(
  ctx: Context,
  request: PatCreateRequest,
  known: ReadonlySet<string>,
  issues: string[],
): Promise<PatToken & { token: string }> {
  const { api, log, out } = ctx;
  for (let attempt = 1; ; attempt++) {
    const startedAgentMs = Date.now();
    let pat: PatToken;
    try {
      pat = await api.create(request);
    } catch (err) {
      if (!(err instanceof TransportError && err.maybeCommitted)) throw err;
      log.warn(loc('CreateAnswerLost', err.message));
      await lostCreate(ctx, request, known, startedAgentMs, err);
      if (attempt >= 2) throw new TaskError(loc('CreateFailedTwice', err.message), { cause: err });
      continue;
    }
    ctx.pending?.add(pat.authorizationId);
    const token = usableSecret(pat.token);
    if (token === undefined) {
      const notRevoked = await revokeQuietly(ctx, pat.authorizationId);
      ctx.pending?.delete(pat.authorizationId);
      throw new ApiError(`${loc('CreateNoUsableSecret', neutralize(pat.displayName), pat.authorizationId)}${notRevoked ? `\n${notRevoked}` : ''}`);
    }
    const delivered = { ...pat, token };
    out.secret(token);
    if (ctx.verify) {
      try {
        if ((await ctx.verify(token)) === 'accepted') log.info(loc('Verified', delivered.authorizationId));
        else log.warn(loc('VerifyUnavailable', delivered.authorizationId));
      } catch (err) {
        ctx.pending?.delete(delivered.authorizationId);
        const notRevoked = await revokeQuietly(ctx, delivered.authorizationId);
        throw new TaskError(
          `${loc('VerifyRefused', delivered.authorizationId, errorText(err))}\n${notRevoked ?? loc('UndeliveredRevoked', delivered.authorizationId)}`,
          { cause: err },
        );
      }
    }
    await deliver(ctx, delivered);
    out.token(delivered.token);
    out.pat(delivered);
    ctx.pending?.delete(delivered.authorizationId);
    issues.push(...shortenedWarning(request.validTo, delivered, true));
    log.info(loc('Created', describe(delivered, ctx.now())));
    return delivered;
  }
}

/** Another run delivered after this one: not a failure of this run, and nothing more for it to do. */
export class Superseded extends TaskError {}

/**
 * Delivers a new PAT to every target, each written and read back. All hold it: done. None holds it: it is revoked
 * (nobody can use it) and the old one stays everywhere. Some hold it: it must stay active (it is in use there), the
 * old one is not revoked (the others still hold it), and the run fails saying which target holds which PAT; the
 * next run finds the targets disagree and rotates again. A target that cannot be read back may hold either PAT:
 * then nothing is revoked.
 */
export async function deliver(ctx: Context, pat: PatToken & { token: string }): Promise<void> {
  const targets = ctx.targets ?? [];
  const outcomes: Array<{ target: DeliveryTarget; error?: unknown }> = [];
  for (const target of targets) {
    try {
      await target.storePat({ token: pat.token, authorizationId: pat.authorizationId, validTo: pat.validTo });
      outcomes.push({ target });
      const line = loc('DeliveredTo', target.label, pat.authorizationId);
      ctx.deliveries?.push(line);
      ctx.log.info(line);
    } catch (error) {
      outcomes.push({ target, error });
    }
  }
  const failed = outcomes.filter((o) => o.error !== undefined);
  if (failed.length === 0) return;
  ctx.pending?.delete(pat.authorizationId);
  const outcome = (e: unknown): string => (e instanceof DeliveryError ? e.outcome : 'notDelivered');
  const report = outcomes
    .map((o) => (o.error === undefined ? loc('TargetHoldsNew', o.target.label) : loc('TargetFailed', o.target.label, errorText(o.error))))
    .join('\n');
  if (failed.some((o) => outcome(o.error) === 'unknown')) {
    // A target may hold the new PAT or the old one: revoking either could break what uses it.
    throw new TaskError(`${report}\n${loc('DeliveryUnknownBothKept', pat.authorizationId)}`);
  }
  const held = outcomes.filter((o) => o.error === undefined);
  if (held.length > 0) throw new TaskError(`${report}\n${loc('DeliveryPartial', pat.authorizationId)}`);
  const notRevoked = await revokeQuietly(ctx, pat.authorizationId);
  if (failed.every((o) => outcome(o.error) === 'superseded')) {
    // Another run delivered its PAT after this one everywhere: ours is in no one's hands; theirs must stay.
    throw new Superseded(`${report}\n${notRevoked ?? loc('SupersededRevoked', pat.authorizationId)}`);
  }
  throw new TaskError(`${report}\n${notRevoked ?? loc('UndeliveredRevoked', pat.authorizationId)}`);
}

/** The secret as the agent can register and mask it: one line of printable characters, or undefined. */
export function usableSecret(token: unknown): string | undefined {
  return typeof token === 'string' && /^[\x21-\x7e]{8,1024}$/.test(token) ? token : undefined;
}

/** Tolerance when comparing the service's timestamps: its Date header has whole seconds. */
export const CLOCK_TOLERANCE_MS = 2000;

/**
 * A create whose answer was lost may have made a PAT nobody has the secret of. Only a PAT this run's request made
 * is treated as its orphan: the same name and scopes (as a set), not one seen before the request or the delivered
 * one, created since the request started by the service's own clock, and, when the service kept it, the exact
 * validTo this run asked for (createRequest). Two candidates that cannot be told apart are left alone.
 */
export async function lostCreate(ctx: Context, request: PatCreateRequest, known: ReadonlySet<string>, startedAgentMs: number, cause: Error): Promise<void> {
  const when = new Date(startedAgentMs).toISOString();
  let active: PatToken[];
  try {
    active = await listAll(ctx.api, 'active');
  } catch (err) {
    throw new TaskError(loc('PossibleOrphan', neutralize(request.displayName), when, cause.message, errorText(err)), { cause: err });
  }
  const delivered = await ctx.targets?.[0]?.deliveredId().catch(() => undefined);
  const startedServiceMs = startedAgentMs + (ctx.api.serviceNow().getTime() - Date.now()) - CLOCK_TOLERANCE_MS;
  const candidates = active.filter(
    (p) =>
      p.displayName === request.displayName &&
      sameScopes(p.scope, request.scope) &&
      !known.has(p.authorizationId) &&
      p.authorizationId.toLowerCase() !== delivered &&
      Date.parse(p.validFrom) >= startedServiceMs,
  );
  const exact = candidates.filter((p) => Math.abs(Date.parse(p.validTo) - Date.parse(request.validTo)) < 5);
  const orphans = exact.length > 0 ? exact : candidates;
  if (orphans.length === 0) return;
  if (orphans.length > 1) {
    throw new TaskError(loc('OrphansAmbiguous', neutralize(request.displayName), orphans.map((p) => `${p.authorizationId} (${p.validFrom})`).join(', ')));
  }
  const { failed } = await revokeAll(ctx, orphans, true);
  if (failed.length > 0) throw new TaskError(loc('OrphanNotRevoked', failed.map((f) => f.pat.authorizationId).join(', '), cause.message));
  ctx.log.warn(loc('OrphanRevoked', orphans[0].authorizationId));
}
