/** create: a new PAT, delivered. */
import { neutralize } from '../sanitize';
import type { Context, OperationResult } from './context';
import { createAndDeliver, createRequest } from './delivery';
import { loc } from '../messages.generated';

export async function create(ctx: Context): Promise<OperationResult> {
  const { params } = ctx;
  const request = createRequest(ctx, params.displayName as string, params.scope as string);
  const issues: string[] = [];
  const pat = await createAndDeliver(ctx, request, new Set(), issues);
  return { issues, message: loc('CreateDone', neutralize(pat.displayName), pat.authorizationId, pat.validTo), rows: [{ pat, status: 'created' }] };
}
