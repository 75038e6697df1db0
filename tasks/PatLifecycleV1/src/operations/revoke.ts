/** revoke: one PAT by id, or every active PAT a name pattern matches (within revokeLimit). */
import { TaskError } from '../errors';
import { DEFAULT_REVOKE_LIMIT } from '../params';
import type { PatToken } from '../patsApi';
import { neutralize } from '../sanitize';
import type { Context, OperationResult } from './context';
import { describe, findById, listAll, nameMatcher, revokeAll } from './select';
import { loc } from '../messages.generated';

export async function revoke(ctx: Context): Promise<OperationResult> {
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
