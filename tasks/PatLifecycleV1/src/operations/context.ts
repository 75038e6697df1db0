/** What every operation receives (the clients, the parameters, where results go) and what it returns. */
import type { TaskParameters } from '../params';
import type { NewPat } from '../persistence';
import type { PatsClient, PatToken } from '../patsApi';
import type { AdaptivePool } from '../pool';

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
