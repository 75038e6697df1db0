/** get: one PAT, by id (with its real status) or by a name that selects exactly one. */
import { neutralize } from '../sanitize';
import type { Context, OperationResult } from './context';
import { describe, selectOne, statusOf } from './select';
import { loc } from '../messages.generated';

export async function get(ctx: Context): Promise<OperationResult> {
  const pat = await selectOne(ctx);
  ctx.log.info(`  ${describe(pat, ctx.now())}`);
  ctx.out.pat(pat);
  return { issues: [], message: loc('GetDone', neutralize(pat.displayName), pat.authorizationId), rows: [{ pat, status: statusOf(pat, ctx.now()) }] };
}
