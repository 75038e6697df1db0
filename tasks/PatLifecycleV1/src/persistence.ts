/**
 * Keeps a pipeline unattended: stores the refresh token Entra just returned (and, for create and rotate, the
 * new PAT) in a variable group, with the job's own access token.
 *
 * A PAT goes in with a non-secret companion variable, `<tokenVariable>.AuthorizationId`, written in the same
 * update: reading it says which PAT the group holds without reading the secret. Every PAT write is checked by
 * reading the group back; a write whose answer was lost is decided the same way, never assumed.
 */
import { loc } from './messages.generated';
import { TaskError } from './errors';
import type { VariableGroup, VariableGroupsApi } from './variableGroupsApi';

/** The companion variable that names the delivered PAT: `<tokenVariable>.AuthorizationId`. */
export function companionName(tokenVariable: string): string {
  return `${tokenVariable}.AuthorizationId`;
}

/**
 * A PAT write that did not certainly land. `notDelivered`: the group was read back and does not hold the PAT (it
 * holds `holds`). `superseded`: it holds a PAT another run wrote after this one. `unknown`: the group could not be
 * read back.
 */
export class DeliveryError extends TaskError {
  constructor(
    message: string,
    readonly outcome: 'notDelivered' | 'superseded' | 'unknown',
    readonly holds?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The PAT id a group's companion variable names, counted only beside its secret (a group that lost the secret holds no PAT). */
function companionOf(group: VariableGroup, tokenVariable: string): string | undefined {
  const variable = (name: string) => Object.entries(group.variables ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  const value = variable(companionName(tokenVariable))?.value;
  if (!variable(tokenVariable)?.isSecret) return undefined;
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : undefined;
}

/** A new PAT on its way to a delivery target. */
export interface NewPat {
  token: string;
  authorizationId: string;
  validTo: string;
}

/**
 * The one rule for every delivery target: write, then read back which PAT the target names. Ours: delivered. The
 * one named before the write: not delivered. Another: a PAT another run wrote after this one (superseded). No
 * answer to the read: nobody can tell (unknown). A write whose answer was lost is decided by the read, not assumed.
 */
export async function writeAndReadBack(step: {
  label: string;
  id: string;
  heldBefore: string | undefined;
  write: () => Promise<unknown>;
  read: () => Promise<string | undefined>;
  didNotStick: (holds: string | undefined) => string;
}): Promise<void> {
  let writeError: unknown;
  try {
    await step.write();
  } catch (err) {
    writeError = err; // the write may have landed although its answer was lost: look
  }
  let holds: string | undefined;
  try {
    holds = await step.read();
  } catch (readError) {
    const why = writeError instanceof Error ? loc('WriteFailed', writeError.message) : loc('WriteAnsweredOk');
    throw new DeliveryError(loc('TargetUnknown', step.label, step.id, why), 'unknown', undefined, { cause: readError });
  }
  const id = step.id.toLowerCase();
  if (holds === id) return;
  if (holds !== undefined && holds !== step.heldBefore) {
    throw new DeliveryError(loc('TargetSuperseded', step.label, holds, step.id), 'superseded', holds);
  }
  throw new DeliveryError(writeError instanceof Error ? writeError.message : step.didNotStick(holds), 'notDelivered', holds, { cause: writeError });
}

export class SecretPersistence {
  private group?: VariableGroup;
  /** When the refresh token was last stored by this run. */
  refreshTokenStoredAt?: Date;
  /** When this run's PAT was stored (and read back). */
  patStoredAt?: Date;

  constructor(
    private readonly api: VariableGroupsApi,
    private readonly groupRef: string,
    private readonly refreshTokenVariable: string,
    readonly tokenVariable: string | undefined,
    /** The refresh token to store; undefined when Entra returned none. */
    private readonly refreshToken: string | undefined,
  ) {}

  get groupName(): string {
    return this.group?.name ?? this.groupRef;
  }

  get label(): string {
    return loc('VariableGroupLabel', this.groupName);
  }

  /** The id of the PAT the group holds now (its companion variable), read fresh; undefined when it names none. */
  async deliveredId(): Promise<string | undefined> {
    if (!this.tokenVariable) return undefined;
    this.group = await this.api.find(this.groupRef);
    return companionOf(this.group, this.tokenVariable);
  }

  /**
   * Stores the new PAT and its id (when a token variable is set) together with the refresh token, in one update,
   * then reads the group back. Resolves only when the group is seen to hold this PAT; otherwise a DeliveryError
   * says whether it certainly does not (`notDelivered`) or nobody can tell (`unknown`).
   */
  async storePat(pat: NewPat): Promise<void> {
    const values: Record<string, { value: string; isSecret: boolean }> = {};
    if (this.refreshToken) values[this.refreshTokenVariable] = { value: this.refreshToken, isSecret: true };
    if (!this.tokenVariable) {
      await this.store(values);
      return;
    }
    const tokenVariable = this.tokenVariable;
    values[tokenVariable] = { value: pat.token, isSecret: true };
    values[companionName(tokenVariable)] = { value: pat.authorizationId, isSecret: false };
    this.group ??= await this.api.find(this.groupRef);
    await writeAndReadBack({
      label: this.label,
      id: pat.authorizationId,
      heldBefore: companionOf(this.group, tokenVariable),
      write: () => this.store(values),
      read: () => this.deliveredId(),
      didNotStick: (holds) => loc('DeliveryDidNotStick', this.groupName, tokenVariable, holds ?? loc('Nothing')),
    });
    this.patStoredAt = new Date();
    if (this.refreshToken) this.refreshTokenStoredAt ??= this.patStoredAt;
  }

  /** Where and when this run stored the refresh token, for the log and the summary; undefined when it did not. */
  refreshTokenNote(): string | undefined {
    const at = this.refreshTokenStoredAt;
    return at ? loc('RefreshTokenStored', this.refreshTokenVariable, this.groupName, at.toISOString()) : undefined;
  }

  /** Stores the refresh token unless this run already did. */
  async storeRefreshToken(): Promise<void> {
    if (!this.refreshToken || this.refreshTokenStoredAt) return;
    await this.store({ [this.refreshTokenVariable]: { value: this.refreshToken, isSecret: true } });
  }

  private async store(values: Record<string, { value: string; isSecret: boolean }>): Promise<void> {
    if (Object.keys(values).length === 0) return;
    this.group ??= await this.api.find(this.groupRef);
    this.group = await this.api.setVariables(this.group, values);
    if (this.refreshToken && values[this.refreshTokenVariable]?.value === this.refreshToken) this.refreshTokenStoredAt = new Date();
  }
}
