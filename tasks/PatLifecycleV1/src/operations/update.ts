/** update: new scopes, expiry or name for a PAT, keeping what is not given; never asks to keep a PAT global. */
import { neutralize } from '../sanitize';
import type { Context, OperationResult } from './context';
import { describe, selectOne, shortenedWarning } from './select';
import { loc } from '../messages.generated';

export async function update(ctx: Context): Promise<OperationResult> {
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
