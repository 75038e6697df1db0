// Gates (a test control): hold matching requests until the test releases them, to play interleavings of
// overlapping runs and to kill a client at a chosen point. A held request does not block any other request.
import { faultMatches } from './faults';
import type { FaultMatch, GateHandle, GateOptions, RequestKind, RequestRecord } from './types';

export type GatePhase = 'before' | 'afterCommit';

/** What the server gives a gate for one request: how to let it go on, how to drop it, and its connection's end. */
interface HeldConnection {
  /** Goes on: performs the request ('before') or sends the answer ('afterCommit'). */
  go(): void;
  /** Closes the connection without an answer. */
  drop(): void;
  /** Whether the client's connection is already gone. */
  closed(): boolean;
  /** Calls back once when the client's connection closes. */
  onClose(callback: () => void): void;
}

interface Held {
  record: RequestRecord;
  connection: HeldConnection;
  done: boolean;
}

interface ActiveGate {
  match: FaultMatch;
  when: GatePhase;
  remaining: number;
  hits: number;
  held: Held[];
  arrivals: RequestRecord[];
  waiting: Map<number, Array<(record: RequestRecord) => void>>;
}

export class GateList {
  private active: ActiveGate[] = [];
  /** Every request held now, by any gate (also gates already used up or removed from the list). */
  private readonly holding = new Set<Held>();

  add(match: FaultMatch, options: GateOptions = {}): GateHandle {
    const gate: ActiveGate = {
      match: { ...match },
      when: options.when ?? 'before',
      remaining: options.times ?? 1,
      hits: 0,
      held: [],
      arrivals: [],
      waiting: new Map(),
    };
    if (gate.remaining > 0) this.active.push(gate);
    const arrival = (n: number): Promise<RequestRecord> => {
      if (!Number.isInteger(n) || n < 1) return Promise.reject(new Error(`arrival(n) takes n = 1, 2, ...; got ${n}`));
      const seen = gate.arrivals[n - 1];
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const list = gate.waiting.get(n) ?? [];
        list.push(resolve);
        gate.waiting.set(n, list);
      });
    };
    const release = (): void => {
      for (const h of gate.held.splice(0)) this.finish(h, 'released');
    };
    return {
      arrived: arrival(1),
      arrival,
      release,
      get hits() {
        return gate.hits;
      },
      get holding() {
        return gate.held.length;
      },
      remove: () => {
        this.active = this.active.filter((g) => g !== gate);
        release();
      },
    };
  }

  /** Holds the request when a gate of this phase matches it (and returns true); else returns false. */
  hold(phase: GatePhase, kind: RequestKind, method: string, path: string, record: RequestRecord, connection: HeldConnection): boolean {
    const gate = this.active.find((g) => g.when === phase && faultMatches(g.match, kind, method, path));
    if (!gate) return false;
    gate.hits++;
    gate.remaining--;
    if (gate.remaining <= 0) this.active = this.active.filter((g) => g !== gate);
    const held: Held = { record, connection, done: false };
    record.gate = 'held';
    gate.arrivals.push(record);
    for (const resolve of gate.waiting.get(gate.arrivals.length) ?? []) resolve(record);
    gate.waiting.delete(gate.arrivals.length);
    if (connection.closed()) {
      this.finish(held, 'dropped');
      return true;
    }
    gate.held.push(held);
    this.holding.add(held);
    connection.onClose(() => {
      gate.held = gate.held.filter((h) => h !== held);
      this.finish(held, 'dropped');
    });
    return true;
  }

  /** Removes every gate and drops every held request (closes its connection; a request held before it was performed never is). */
  clear(): void {
    this.active = [];
    for (const h of [...this.holding]) {
      this.finish(h, 'dropped');
      h.connection.drop();
    }
  }

  private finish(held: Held, outcome: 'released' | 'dropped'): void {
    if (held.done) return;
    held.done = true;
    this.holding.delete(held);
    held.record.gate = outcome;
    if (outcome === 'released') held.connection.go();
  }
}
