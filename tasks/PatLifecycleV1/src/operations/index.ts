/**
 * The operations on PATs, one file each, as plain functions of a Context (clients, parameters, outputs, log). They
 * know nothing of the agent or of HTTP: tests drive them with a fake client. signIn is not among them: it works on
 * no PAT, and main.ts runs it (firstSignIn.ts).
 */
import type { Context, OperationResult } from './context';
import { create } from './create';
import { get } from './get';
import { list } from './list';
import { revoke } from './revoke';
import { rotate } from './rotate';
import { update } from './update';

export type { Context, DeliveryTarget, Logger, OperationResult, OutputSink, SummaryRow } from './context';
export { IN_FLIGHT_MS, usableSecret } from './delivery';
export { describe, globMatch, listAll, MAX_PAGES, nameMatcher, statusOf } from './select';

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
