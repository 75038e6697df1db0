/**
 * Delivery targets besides the variable group (persistence.ts): Azure DevOps service connections and an Azure Key
 * Vault secret. Each names the PAT it holds by a non-secret marker written with the secret, so that every write can
 * be read back (writeAndReadBack) and a later run can tell which PAT is in use there.
 */
import { loc } from './messages.generated';
import { ApiError } from './errors';
import type { DeliveryTarget } from './operations';
import { armAccessToken, type ArmConnection } from './azureRm';
import type { HttpLayer } from './http';
import { KeyVaultApi } from './keyVaultApi';
import type { TaskParameters } from './params';
import { DeliveryError, SecretPersistence, writeAndReadBack, type NewPat } from './persistence';
import { VariableGroupsApi } from './variableGroupsApi';
import { neutralize } from './sanitize';
import { SECRET_FIELD, ServiceEndpointsApi, type ServiceEndpoint } from './serviceEndpointsApi';

/** The endpoint data key that names the PAT a service connection holds (an assumption: data keeps extra keys). */
export const ENDPOINT_MARKER = 'patLifecycleAuthorizationId';
/** The Key Vault secret tag that names the PAT a secret version holds. */
export const VAULT_TAG = 'authorizationId';

export class ServiceConnectionTarget implements DeliveryTarget {
  constructor(
    private readonly api: ServiceEndpointsApi,
    private readonly ref: string,
  ) {}

  get label(): string {
    return loc('ServiceConnectionLabel', neutralize(this.ref));
  }

  async deliveredId(): Promise<string | undefined> {
    return marker(await this.api.find(this.ref));
  }

  async storePat(pat: NewPat): Promise<void> {
    const endpoint = await this.api.find(this.ref);
    const scheme = endpoint.authorization?.scheme ?? '';
    const field = SECRET_FIELD[scheme.toLowerCase()];
    if (!field || (scheme.toLowerCase() === 'none' && endpoint.type.toLowerCase() !== 'externalnugetfeed')) {
      throw new DeliveryError(loc('ServiceConnectionScheme', neutralize(endpoint.name), neutralize(endpoint.type), neutralize(scheme)), 'notDelivered');
    }
    // Only the secret field and the marker change; confidential parameters the API returned as null go back as
    // null, which keeps their stored values.
    const updated: ServiceEndpoint = {
      ...endpoint,
      authorization: { ...endpoint.authorization, parameters: { ...(endpoint.authorization.parameters ?? {}), [field]: pat.token } },
      data: { ...(endpoint.data ?? {}), [ENDPOINT_MARKER]: pat.authorizationId },
    };
    await writeAndReadBack({
      label: this.label,
      id: pat.authorizationId,
      heldBefore: marker(endpoint),
      write: () => this.api.update(updated),
      read: () => this.deliveredId(),
      didNotStick: (holds) => loc('TargetDidNotStick', this.label, holds ?? loc('Nothing')),
    });
  }
}

function marker(endpoint: ServiceEndpoint): string | undefined {
  const value = endpoint.data?.[ENDPOINT_MARKER];
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : undefined;
}

export class KeyVaultTarget implements DeliveryTarget {
  constructor(
    private readonly api: KeyVaultApi,
    private readonly secretName: string,
    private readonly vaultUrl: string,
  ) {}

  get label(): string {
    return loc('KeyVaultLabel', this.secretName, this.vaultUrl);
  }

  async deliveredId(): Promise<string | undefined> {
    try {
      const tag = (await this.api.getSecret(this.secretName)).tags?.[VAULT_TAG];
      return typeof tag === 'string' && tag.trim() !== '' ? tag.trim().toLowerCase() : undefined;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined; // no version yet
      throw err;
    }
  }

  async storePat(pat: NewPat): Promise<void> {
    const heldBefore = await this.deliveredId().catch(() => undefined);
    await writeAndReadBack({
      label: this.label,
      id: pat.authorizationId,
      heldBefore,
      // The secret expires with the PAT; the tag names the PAT, so the version in use can be told without its value.
      write: () =>
        this.api.setSecret(this.secretName, pat.token, {
          expires: new Date(pat.validTo),
          tags: { [VAULT_TAG]: pat.authorizationId },
          contentType: 'Azure DevOps PAT',
        }),
      read: () => this.deliveredId(),
      didNotStick: (holds) => loc('TargetDidNotStick', this.label, holds ?? loc('Nothing')),
    });
  }
}

/**
 * Where a new PAT goes before the outputs, in order (the first one's marker names the PAT in use): the PAT's
 * variable group, the service connections, the Key Vault. `persistence` keeps the refresh token in variableGroup
 * (the same object as the PAT's group when one group holds both).
 */
export function deliveryTargets(
  params: TaskParameters,
  access: { collectionUrl: string; project: string; projectId?: string; jobToken: string } | undefined,
  arm: ArmConnection | undefined,
  http: HttpLayer,
  refreshToken: string | undefined,
  registerSecret: (value: string) => void,
  debug: (message: string) => void,
): { persistence?: SecretPersistence; targets: DeliveryTarget[] } {
  if (!access) return { targets: [] };
  const groups = new VariableGroupsApi(http, access.collectionUrl, access.project, access.jobToken, access.projectId);
  const shared = params.sharedGroup;
  const persistence = params.variableGroup
    ? new SecretPersistence(groups, params.variableGroup, params.refreshTokenVariable, shared ? params.tokenVariable : undefined, refreshToken)
    : undefined;
  const targets: DeliveryTarget[] = [];
  if (params.tokenVariableGroup && params.tokenVariable)
    targets.push(
      shared && persistence
        ? persistence
        : new SecretPersistence(groups, params.tokenVariableGroup, params.refreshTokenVariable, params.tokenVariable, undefined),
    );
  if (params.serviceConnections.length > 0) {
    const endpoints = new ServiceEndpointsApi(http, access.collectionUrl, access.project, access.jobToken);
    for (const ref of params.serviceConnections) targets.push(new ServiceConnectionTarget(endpoints, ref));
  }
  if (params.keyVault && arm) {
    const vault = params.keyVault;
    let token: Promise<string> | undefined;
    const accessToken = () => (token ??= armAccessToken(http, arm, KeyVaultApi.resourceFor(vault.url), access.jobToken, registerSecret, debug));
    targets.push(new KeyVaultTarget(new KeyVaultApi(http, vault.url, accessToken), vault.secretName, vault.url));
  }
  return { persistence, targets };
}
