// Key Vault storage: vaults, role assignments per client id, secrets and their versions.
import { randomBytes } from 'crypto';
import type { KeyVaultRole, KeyVaultSecretRecord } from './types';

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  exp?: number;
  nbf?: number;
  created: number;
  updated: number;
}

export interface VaultInternal {
  name: string;
  tenantId: string;
  access: Map<string, KeyVaultRole>;
  /** By lower-cased secret name; versions oldest first. */
  secrets: Map<string, { name: string; versions: SecretVersion[] }>;
}

export class KeyVaultStore {
  private readonly vaults = new Map<string, VaultInternal>();

  add(name: string, tenantId: string, access: Record<string, KeyVaultRole>): VaultInternal {
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(name)) throw new Error(`Key Vault names are 3-24 letters, digits and hyphens: ${name}`);
    const v: VaultInternal = { name, tenantId: tenantId.toLowerCase(), access: new Map(), secrets: new Map() };
    for (const [clientId, role] of Object.entries(access)) v.access.set(clientId.toLowerCase(), role);
    this.vaults.set(name.toLowerCase(), v);
    return v;
  }

  get(name: string): VaultInternal | undefined {
    return this.vaults.get(name.toLowerCase());
  }

  all(): IterableIterator<VaultInternal> {
    return this.vaults.values();
  }
}

/** A secret version id: 32 lower-case hex digits. */
export function newSecretVersion(): string {
  return randomBytes(16).toString('hex');
}

export function toSecretRecord(secret: { versions: SecretVersion[] }): KeyVaultSecretRecord {
  const last = secret.versions[secret.versions.length - 1];
  return {
    value: last.value,
    tags: { ...last.tags },
    exp: last.exp,
    contentType: last.contentType,
    enabled: last.enabled,
    versions: secret.versions.length,
  };
}
