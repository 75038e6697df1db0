/**
 * Keeps a pipeline unattended: stores the refresh token Entra just returned (and, for create and rotate, the
 * new PAT) as secrets in a variable group, with the job's own access token.
 */
import type { VariableGroup, VariableGroupsApi } from './variableGroupsApi';

export class SecretPersistence {
  private group?: VariableGroup;
  /** When the refresh token was last stored by this run. */
  refreshTokenStoredAt?: Date;

  constructor(
    private readonly api: VariableGroupsApi,
    private readonly groupRef: string,
    private readonly refreshTokenVariable: string,
    private readonly tokenVariable: string | undefined,
    /** The refresh token to store; undefined when Entra returned none. */
    private readonly refreshToken: string | undefined,
  ) {}

  get groupName(): string {
    return this.group?.name ?? this.groupRef;
  }

  /** Stores the new PAT (when a token variable is set) together with the refresh token, in one update. */
  async storePat(token: string): Promise<void> {
    const values: Record<string, string> = {};
    if (this.tokenVariable) values[this.tokenVariable] = token;
    if (this.refreshToken) values[this.refreshTokenVariable] = this.refreshToken;
    await this.store(values);
  }

  /** Stores the refresh token unless this run already did. */
  async storeRefreshToken(): Promise<void> {
    if (!this.refreshToken || this.refreshTokenStoredAt) return;
    await this.store({ [this.refreshTokenVariable]: this.refreshToken });
  }

  private async store(values: Record<string, string>): Promise<void> {
    if (Object.keys(values).length === 0) return;
    this.group ??= await this.api.find(this.groupRef);
    this.group = await this.api.setSecrets(this.group, values);
    if (this.refreshToken && values[this.refreshTokenVariable] === this.refreshToken) this.refreshTokenStoredAt = new Date();
  }
}
