/**
 * A cancelled job (the agent sends SIGINT, then SIGTERM: azure-pipelines-agent ProcessInvoker) must not leave a PAT
 * active that nobody has. main.ts makes this the clean-up of the running operation (agent.ts, cancellable).
 */
import type { DeliveryTarget } from './operations';
import { loc } from './messages.generated';
import type { PatsApi } from './patsApi';
import { withTimeout } from './timeout';

/**
 * A cancelled job (the agent signals the task) must not leave a PAT active that nobody has: each PAT this run
 * created and did not deliver is revoked. A PAT the variable group may hold is not: a write still on its way is
 * waited for, and the group is read to see which PAT it holds. Bounded, since the agent kills the task soon after.
 */
export async function revokeUndelivered(
  api: PatsApi,
  pending: ReadonlySet<string>,
  targets: readonly DeliveryTarget[],
  writeOnTheWire: () => boolean,
): Promise<string> {
  const ids = [...pending];
  if (ids.length === 0) return loc('CancelledNothingPending');
  const bounded = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
    withTimeout<T | undefined>(
      p.catch(() => undefined),
      ms,
      () => undefined,
    );
  const holds = new Set<string>();
  let unknown = false;
  if (targets.length > 0) {
    // A write between its retries cannot land any more once the task ends; one on the wire still may.
    for (const until = Date.now() + CANCEL_WRITE_WAIT_MS; writeOnTheWire() && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    unknown = writeOnTheWire();
    if (!unknown) {
      const reads = await Promise.all(
        targets.map((t) =>
          bounded(
            t.deliveredId().then((id) => ({ id })),
            CANCEL_READ_MS,
          ),
        ),
      );
      for (const read of reads) {
        if (!read)
          unknown = true; // a target that cannot be read may hold the new PAT
        else if (read.id) holds.add(read.id);
      }
    }
  }
  const lines: string[] = [];
  for (const id of ids) {
    if (holds.has(id.toLowerCase())) lines.push(loc('CancelledDelivered', id));
    else if (unknown) lines.push(loc('CancelledUnknown', id));
    else {
      const done = await bounded(
        api.revoke(id).then(() => true),
        CANCEL_REVOKE_MS,
      );
      lines.push(done ? loc('CancelledRevoked', id) : loc('CancelledNotRevoked', id));
    }
  }
  return lines.join('\n');
}

const CANCEL_WRITE_WAIT_MS = 2000;
const CANCEL_READ_MS = 1500;
const CANCEL_REVOKE_MS = 2500;
