/**
 * A small client for Azure Key Vault secrets (REST 7.4): set a new version of a secret, read the current one's
 * attributes and tags. The value is sent once and never read back.
 */
import { loc } from './messages.generated';
import { ApiError } from './errors';
import type { HttpLayer } from './http';
import { clip, neutralize } from './sanitize';

export interface SecretBundle {
  id?: string;
  attributes?: { enabled?: boolean; exp?: number; created?: number; updated?: number };
  tags?: Record<string, string>;
  contentType?: string;
}

const API_VERSION = '7.4';

export class KeyVaultApi {
  private readonly base: string;

  constructor(
    private readonly http: HttpLayer,
    vaultUrl: string,
    private readonly accessToken: () => Promise<string>,
  ) {
    this.base = vaultUrl.replace(/\/+$/, '');
    http.trust(vaultUrl);
  }

  /** The resource Entra issues Key Vault tokens for, by the vault's cloud. */
  static resourceFor(vaultUrl: string): string {
    const host = new URL(vaultUrl).hostname.toLowerCase();
    for (const suffix of ['vault.azure.cn', 'vault.usgovcloudapi.net', 'vault.microsoftazure.de']) if (host.endsWith(`.${suffix}`)) return `https://${suffix}`;
    return 'https://vault.azure.net';
  }

  async setSecret(name: string, value: string, options: { expires: Date; tags: Record<string, string>; contentType: string }): Promise<SecretBundle> {
    const body = {
      value,
      contentType: options.contentType,
      attributes: { enabled: true, exp: Math.floor(options.expires.getTime() / 1000) },
      tags: options.tags,
    };
    return this.call('PUT', name, body);
  }

  /** The current version's attributes and tags (its value is ignored). */
  async getSecret(name: string): Promise<SecretBundle> {
    const bundle = await this.call('GET', name);
    return { id: bundle.id, attributes: bundle.attributes, tags: bundle.tags, contentType: bundle.contentType };
  }

  private async call(method: 'GET' | 'PUT', name: string, body?: unknown): Promise<SecretBundle> {
    const url = `${this.base}/secrets/${encodeURIComponent(name)}?api-version=${API_VERSION}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.accessToken()}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.http.send({ method, url, headers, body: body === undefined ? undefined : JSON.stringify(body), retry: 'idempotent' });
    let json: SecretBundle | undefined;
    try {
      json = response.body.trim() === '' ? undefined : (JSON.parse(response.body) as SecretBundle);
    } catch {
      json = undefined;
    }
    if (response.status >= 200 && response.status < 300 && json && typeof json === 'object') return json;
    const error = (json as { error?: { code?: string; message?: string; innerError?: { code?: string } } } | undefined)?.error;
    const detail = clip(neutralize([error?.code, error?.innerError?.code, error?.message].filter((x) => x).join(': ') || `HTTP ${response.status}`), 300);
    if (response.status === 401 || response.status === 403) throw new ApiError(loc('KeyVaultForbidden', this.base, name, detail), response.status);
    if (response.status === 404) throw new ApiError(loc('KeyVaultNotFound', this.base, name, detail), 404);
    throw new ApiError(loc('KeyVaultFailed', this.base, name, response.status, detail), response.status);
  }
}
