/**
 * The six operations, as plain functions of (client, parameters, outputs, log). They know nothing of the
 * agent or of HTTP: tests drive them with a fake client. Rotation is ordered so that a failure never loses
 * the only valid PAT: create, deliver, then revoke the old one(s).
 */
import { loc } from './messages.generated';
import { ApiError, TaskError, TransportError } from './errors';
import { DeliveryError, type NewPat } from './persistence';
import { DEFAULT_REVOKE_LIMIT, type TaskParameters } from './params';
import { decodeHtmlEntities, isNotFound, sameScopes, type DisplayFilterOption, type PatCreateRequest, type PatsClient, type PatToken } from './patsApi';
import { AdaptivePool } from './pool';
import { daysLeft } from './time';
import { neutralize } from './sanitize';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Where results go: output variables and the run summary (see outputs.ts). */
export interface OutputSink {
  /** Registers a value as secret with the agent, before anything could print it. */
  secret(value: string): void;
  /** Sets the new PAT's secret output. */
  token(secret: string): void;
  pat(pat: PatToken): void;
  tokens(pats: readonly PatToken[]): void;
  rotated(value: boolean): void;
}

/** A lasting place a new PAT is delivered to (the variable group), that can say which PAT it holds. */
export interface DeliveryTarget {
  /** For messages: e.g. "variable group 'pat-rotation'". */
  readonly label: string;
  /** The id of the PAT the target holds now, read fresh; undefined when it names none (or keeps no ids). */
  deliveredId(): Promise<string | undefined>;
  /** Writes the PAT and reads it back; throws a DeliveryError unless the target is seen to hold it. */
  storePat(pat: NewPat): Promise<void>;
}

export interface Context {
  api: PatsClient;
  params: TaskParameters;
  out: OutputSink;
  log: Logger;
  now: () => Date;
  pool: AdaptivePool;
  /** Where a new PAT is delivered before the outputs, in order; the first one's marker names the PAT in use. */
  targets?: readonly DeliveryTarget[];
  /** Uses a new PAT once against Azure DevOps; throws when it is refused ('unavailable': the check could not be made). */
  verify?: (token: string) => Promise<'accepted' | 'unavailable'>;
  /** PATs created by this run and not yet delivered: what a cancelled run revokes. */
  pending?: Set<string>;
  /** Where this run delivered a new PAT, one line a target (for the log and the summary). */
  deliveries?: string[];
}

export interface SummaryRow {
  pat: PatToken;
  status: string;
}

export interface OperationResult {
  /** Problems that did not stop the operation: the result is SucceededWithIssues. */
  issues: string[];
  /** One line for the log's last word. */
  message: string;
  /** PATs seen or touched, for the run summary. */
  rows: SummaryRow[];
  /** Set when the operation did its work but the run must fail (a monitoring threshold): the summary is still written. */
  failure?: string;
}

/** PATs listed one per line in the log; the outputs carry them all. */
const MAX_LOGGED = 500;

export async function runOperation(ctx: Context): Promise<OperationResult> {
  switch (ctx.params.operation) {
    case 'list':
      return list(ctx);
    case 'get':
      return get(ctx);
    case 'create':
      return create(ctx);
    case 'update':
      return update(ctx);
    case 'revoke':
      return revoke(ctx);
    case 'rotate':
      return rotate(ctx);
    case 'signIn': // no PAT to work on: main.ts runs it (firstSignIn.ts) before any refresh token is redeemed
      throw new Error('signIn is not an operation on PATs');
  }
}

// ---------------------------------------------------------------------------------------------- list
async function list(ctx: Context): Promise<OperationResult> {
  const { params, log, out } = ctx;
  const all = await listAll(ctx.api, params.displayFilterOption);
  const pats = params.displayName ? all.filter(nameMatcher(params.displayName)) : all;
  pats.sort((a, b) => Date.parse(a.validTo) - Date.parse(b.validTo));
  log.info(loc('ListFound', pats.length, params.displayFilterOption, params.displayName ? ` '${neutralize(params.displayName)}'` : ''));
  for (const pat of pats.slice(0, MAX_LOGGED)) log.info(`  ${describe(pat, ctx.now())}`);
  if (pats.length > MAX_LOGGED) log.info(loc('MoreNotShown', pats.length - MAX_LOGGED));
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

// ----------------------------------------------------------------------------------------------- get
async function get(ctx: Context): Promise<OperationResult> {
  const pat = await selectOne(ctx);
  ctx.log.info(`  ${describe(pat, ctx.now())}`);
  ctx.out.pat(pat);
  return { issues: [], message: loc('GetDone', neutralize(pat.displayName), pat.authorizationId), rows: [{ pat, status: statusOf(pat, ctx.now()) }] };
}

// -------------------------------------------------------------------------------------------- create
async function create(ctx: Context): Promise<OperationResult> {
  const { params } = ctx;
  const request = createRequest(ctx, params.displayName as string, params.scope as string);
  const issues: string[] = [];
  const pat = await createAndDeliver(ctx, request, new Set(), issues);
  return { issues, message: loc('CreateDone', neutralize(pat.displayName), pat.authorizationId, pat.validTo), rows: [{ pat, status: 'created' }] };
}

// -------------------------------------------------------------------------------------------- update
async function update(ctx: Context): Promise<OperationResult> {
  const { params, api, log, out } = ctx;
  const target = await selectOne(ctx);
  const renamed = params.authorizationId && params.displayName ? params.displayName : undefined;
  const request = {
    authorizationId: target.authorizationId,
    displayName: renamed ?? target.displayName,
    scope: params.scope ?? target.scope,
    validTo: params.expirySpecified ? params.validTo.toISOString() : target.validTo,
    // Never asks to keep a PAT global: the service refuses to make or regenerate global PATs since 2026-03-15.
    allOrgs: false as const,
  };
  const issues: string[] = [];
  if (target.targetAccounts === null) issues.push(loc('UpdateGlobalToOrg', neutralize(target.displayName), params.organization));
  const updated = await api.update(request);
  issues.push(...shortenedWarning(request.validTo, updated, params.expirySpecified));
  log.info(loc('Updated', describe(updated, ctx.now())));
  out.pat(updated);
  return { issues, message: loc('UpdateDone', neutralize(updated.displayName), updated.authorizationId), rows: [{ pat: updated, status: 'updated' }] };
}

// -------------------------------------------------------------------------------------------- revoke
async function revoke(ctx: Context): Promise<OperationResult> {
  const { params, api, log, out } = ctx;
  let targets: PatToken[];
  if (params.authorizationId) {
    const found = await findById(ctx, params.authorizationId);
    if (!found || found.status === 'revoked') {
      out.tokens([]);
      const issue = found
        ? loc('RevokeAlreadyRevoked', neutralize(found.pat.displayName), found.pat.authorizationId)
        : loc('RevokeNothingById', params.authorizationId);
      return { issues: [issue], message: issue, rows: found ? [{ pat: found.pat, status: 'revoked' }] : [] };
    }
    targets = [found.pat];
  } else {
    const active = await listAll(api, 'active');
    targets = active.filter(nameMatcher(params.displayName as string));
    // A pattern that reaches further than meant (`*`) must not revoke every PAT of the user by accident.
    const limit = params.revokeLimit ?? DEFAULT_REVOKE_LIMIT;
    if (!params.dryRun && targets.length > limit) {
      throw new TaskError(loc('RevokeTooMany', neutralize(params.displayName), targets.length, limit, targets.length));
    }
    if (!params.dryRun && params.revokeLimit === undefined && targets.length > 1 && targets.length === active.length) {
      throw new TaskError(loc('RevokeEveryPat', neutralize(params.displayName), targets.length, targets.length));
    }
  }
  if (targets.length === 0) {
    out.tokens([]);
    const issue = loc('RevokeNothingByName', neutralize(params.displayName));
    return { issues: [issue], message: issue, rows: [] };
  }
  if (params.dryRun) {
    for (const pat of targets) log.info(loc('WouldRevoke', describe(pat, ctx.now())));
    out.tokens(targets);
    return { issues: [], message: loc('DryRunDone', targets.length), rows: targets.map((pat) => ({ pat, status: 'would be revoked' })) };
  }
  const { revoked, failed } = await revokeAll(ctx, targets);
  out.tokens(revoked);
  const rows = [...revoked.map((pat) => ({ pat, status: 'revoked' })), ...failed.map(({ pat }) => ({ pat, status: 'revoke failed' }))];
  if (failed.length > 0) {
    throw new TaskError(loc('RevokeFailed', failed.length, targets.length, failed.map((f) => `${f.pat.authorizationId}: ${f.reason}`).join('; ')));
  }
  return { issues: [], message: loc('RevokeDone', revoked.length), rows };
}

// -------------------------------------------------------------------------------------------- rotate
async function rotate(ctx: Context): Promise<OperationResult> {
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
interface DeliveryView {
  current?: PatToken;
  deliveredId?: string;
  lineage: PatToken[];
  abandoned: PatToken[];
  inFlight: PatToken[];
  mustRotate: boolean;
}

async function deliveryView(ctx: Context, siblings: readonly PatToken[], issues: string[]): Promise<DeliveryView> {
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
async function revokeAbandoned(ctx: Context, view: DeliveryView, issues: string[], excess = false): Promise<SummaryRow[]> {
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
function createRequest(ctx: Context, displayName: string, scope: string): PatCreateRequest {
  const base = Math.floor(ctx.params.validTo.getTime() / 1000) * 1000;
  const marker = 1 + Math.floor(Math.random() * 299);
  return { displayName, scope, validTo: new Date(base + Math.round((marker * 1000) / 300)).toISOString(), allOrgs: false };
}

// ------------------------------------------------------------------------------------------- helpers

/**
 * Creates a PAT and delivers it: to the variable group when there is one (written, then read back), then to the
 * outputs. Until then the PAT is `pending`: a cancelled run revokes it (main.ts). A PAT that cannot be delivered
 * is revoked, unless nobody can tell whether the group holds it (then both it and the old one stay active, and
 * the message says so). When the create's answer is lost, the orphan is looked for and revoked (lostCreate).
 */
async function createAndDeliver(ctx: Context, request: PatCreateRequest, known: ReadonlySet<string>, issues: string[]): Promise<PatToken & { token: string }> {
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
      if (attempt >= 2) throw new TaskError(loc('CreateFailedTwice', err.message));
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
class Superseded extends TaskError {}

/**
 * Delivers a new PAT to every target, each written and read back. All hold it: done. None holds it: it is revoked
 * (nobody can use it) and the old one stays everywhere. Some hold it: it must stay active (it is in use there), the
 * old one is not revoked (the others still hold it), and the run fails saying which target holds which PAT; the
 * next run finds the targets disagree and rotates again. A target that cannot be read back may hold either PAT:
 * then nothing is revoked.
 */
async function deliver(ctx: Context, pat: PatToken & { token: string }): Promise<void> {
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

/** Revokes one PAT; undefined when done, else a message that names it as still active. */
async function revokeQuietly(ctx: Context, id: string): Promise<string | undefined> {
  const { failed } = await revokeAll(ctx, [{ authorizationId: id, displayName: '', scope: '', validFrom: '', validTo: '', targetAccounts: [] }], true);
  return failed.length > 0 ? loc('UndeliveredNotRevoked', id, failed[0].reason) : undefined;
}

/** Tolerance when comparing the service's timestamps: its Date header has whole seconds. */
const CLOCK_TOLERANCE_MS = 2000;

/**
 * A create whose answer was lost may have made a PAT nobody has the secret of. Only a PAT this run's request made
 * is treated as its orphan: the same name and scopes (as a set), not one seen before the request or the delivered
 * one, created since the request started by the service's own clock, and, when the service kept it, the exact
 * validTo this run asked for (createRequest). Two candidates that cannot be told apart are left alone.
 */
async function lostCreate(ctx: Context, request: PatCreateRequest, known: ReadonlySet<string>, startedAgentMs: number, cause: Error): Promise<void> {
  const when = new Date(startedAgentMs).toISOString();
  let active: PatToken[];
  try {
    active = await listAll(ctx.api, 'active');
  } catch (err) {
    throw new TaskError(loc('PossibleOrphan', neutralize(request.displayName), when, cause.message, errorText(err)));
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

/**
 * Revokes each PAT. A failed DELETE is not taken at its word: the service refuses to revoke a PAT that is already
 * revoked, so a DELETE retried after a lost answer fails although the PAT is gone. Before reporting a failure, the
 * active list says whether the PAT is still there.
 */
async function revokeAll(
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

/** Pages read at most: 100,000 PATs, far beyond any real account. */
export const MAX_PAGES = 1000;

/**
 * Every page, following `continuationToken` to the end. PATs are de-duplicated by id: the service pages by row
 * offset, so a PAT created or revoked between two pages shifts the rows and one can come twice. A token seen
 * before, a page with a token but nothing new, or more than MAX_PAGES pages end the listing with an error.
 */
export async function listAll(api: PatsClient, filter: DisplayFilterOption): Promise<PatToken[]> {
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
async function findById(ctx: Context, id: string): Promise<{ pat: PatToken; status: 'active' | 'expired' | 'revoked' } | undefined> {
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
async function existing(ctx: Context, id: string, operation: string): Promise<{ pat: PatToken; status: 'active' | 'expired' }> {
  const found = await findById(ctx, id);
  if (!found) throw new TaskError(loc('PatNotFoundById', id));
  if (found.status === 'revoked') throw new TaskError(loc('PatRevokedById', neutralize(found.pat.displayName), id, operation));
  return { pat: found.pat, status: found.status };
}

async function selectOne(ctx: Context): Promise<PatToken> {
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

function shortenedWarning(requested: string, granted: PatToken, explicit: boolean): string[] {
  const asked = Date.parse(requested);
  const got = Date.parse(granted.validTo);
  return explicit && got < asked - 60_000 ? [loc('ValidToShortened', granted.validTo, requested)] : [];
}

export function describe(pat: PatToken, now: Date): string {
  const days = daysLeft(pat.validTo, now);
  const where = loc(pat.targetAccounts === null ? 'AllOrganizations' : 'ThisOrganization');
  return loc('PatLine', neutralize(pat.displayName), pat.authorizationId, neutralize(pat.scope), pat.validTo, days, where);
}

function names(pats: readonly PatToken[]): string {
  return pats.map((p) => `${neutralize(p.displayName)} (${p.validTo})`).join(', ');
}

function errorText(err: unknown): string {
  return err instanceof TaskError ? err.message : neutralize((err as Error)?.message ?? err);
}
