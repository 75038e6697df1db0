// Azure Key Vault secrets (REST API 7.4): Set Secret, Get Secret (latest or a version), Get Secret Versions, at
// {emulator}/keyvault/{vaultName}. Bearer tokens for https://vault.azure.net from the emulator's Entra; RBAC roles
// per client id (Key Vault Secrets Officer / Secrets User).
import { EmuRequest, EmuResponse, header, isObject, jsonResponse, parseJson, queryParam } from './http';
import { newSecretVersion, SecretVersion, VaultInternal } from './keyVaultStore';
import { State } from './state';

const VAULT_RE = /^\/keyvault\/([^/]+)(\/.*)?$/i;
const SECRET_RE = /^\/secrets\/([^/]+)(?:\/([^/]*))?\/?$/i;
const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;

export function isKeyVaultPath(path: string): boolean {
  return VAULT_RE.test(path);
}

export function vaultUrl(baseUrl: string, name: string): string {
  return `${baseUrl}/keyvault/${name}`;
}

function kvError(status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}): EmuResponse {
  const error: Record<string, unknown> = { code, message };
  if (inner) error.innerError = { code: inner };
  return jsonResponse(status, { error }, headers);
}

/** 401 with Key Vault's challenge: where to get a token (the vault's tenant) and for which resource. */
function challenge(state: State, vault: VaultInternal, message: string): EmuResponse {
  return kvError(401, 'Unauthorized', message, undefined, {
    'www-authenticate': `Bearer authorization="${state.baseUrl}/${vault.tenantId}", resource="https://vault.azure.net"`,
  });
}

function checkVersion(req: EmuRequest): EmuResponse | undefined {
  const v = queryParam(req, 'api-version');
  if (v === undefined || v === '') return kvError(400, 'BadParameter', 'The api-version query parameter is missing.');
  if (!/^7\.[0-6](-preview)?$/.test(v) && !/^20\d\d-\d\d-\d\d(-preview)?$/.test(v)) {
    return kvError(400, 'BadParameter', `The specified version (${v}) is not recognized. Consider using the latest supported version (7.4).`);
  }
  return undefined;
}

type Action = 'setSecret' | 'getSecret' | 'readMetadata';

const ACTION_TEXT: Record<Action, string> = {
  setSecret: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  getSecret: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
};

/** The caller's token and role. 401 (with the challenge) or 403 (ForbiddenByRbac) when it may not do `action`. */
function authorize(state: State, req: EmuRequest, vault: VaultInternal, action: Action): EmuResponse | undefined {
  const auth = header(req, 'authorization');
  if (!auth) return challenge(state, vault, 'AKV10000: Request is missing a Bearer or PoP token.');
  const m = /^bearer\s+(.+)$/i.exec(auth.trim());
  if (!m) return challenge(state, vault, 'AKV10000: Request is missing a Bearer or PoP token.');
  const token = m[1].trim();
  const grant = state.vaultTokens.get(token);
  if (!grant) {
    if (state.accessTokens.has(token)) return challenge(state, vault, 'AKV10022: Invalid audience. Expected https://vault.azure.net.');
    return challenge(state, vault, 'AKV10013: Invalid JWT. The token was not issued by this cloud.');
  }
  if (grant.expMs <= state.clock.nowMs()) return challenge(state, vault, 'AKV10032: The token is expired.');
  if (grant.tenantId !== vault.tenantId) {
    return challenge(state, vault, `AKV10032: Invalid issuer. Expected one of ${state.baseUrl}/${vault.tenantId}/, found ${state.baseUrl}/${grant.tenantId}/.`);
  }
  const role = vault.access.get(grant.clientId) ?? 'none';
  const allowed = role === 'officer' || (role === 'user' && action !== 'setSecret');
  if (allowed) return undefined;
  return kvError(
    403,
    'Forbidden',
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n` +
      `Caller: appid=${grant.clientId};oid=${grant.oid};iss=${state.baseUrl}/${grant.tenantId}/\r\nAction: '${ACTION_TEXT[action]}'\r\n` +
      `Resource: '/keyvaults/${vault.name.toLowerCase()}'\r\nAssignment: (not found)\r\nVault: ${vault.name};location=emulator\r\n`,
    'ForbiddenByRbac',
  );
}

function secretId(state: State, vault: VaultInternal, name: string, version: string): string {
  return `${vaultUrl(state.baseUrl, vault.name)}/secrets/${name}/${version}`;
}

function attributes(v: SecretVersion): Record<string, unknown> {
  const a: Record<string, unknown> = { enabled: v.enabled };
  if (v.nbf !== undefined) a.nbf = v.nbf;
  if (v.exp !== undefined) a.exp = v.exp;
  a.created = v.created;
  a.updated = v.updated;
  a.recoveryLevel = 'Recoverable+Purgeable';
  a.recoverableDays = 90;
  return a;
}

function bundle(state: State, vault: VaultInternal, name: string, v: SecretVersion, withValue: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (withValue) out.value = v.value;
  if (v.contentType !== undefined) out.contentType = v.contentType;
  out.id = secretId(state, vault, name, v.version);
  out.attributes = attributes(v);
  if (v.tags !== undefined) out.tags = { ...v.tags };
  return out;
}

function notFound(name: string, version?: string): EmuResponse {
  return kvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

export function handleKeyVault(state: State, req: EmuRequest): EmuResponse {
  const vm = VAULT_RE.exec(req.path);
  const vault = vm ? state.vaults.get(decodeURIComponent(vm[1])) : undefined;
  // An unknown vault has no DNS name: played as a 404 (a real client would fail to resolve the host).
  if (!vm || !vault) return kvError(404, 'VaultNotFound', 'No vault by that name exists in this emulator.');
  const sm = SECRET_RE.exec(vm[2] ?? '');
  if (!sm) return kvError(404, 'NotFound', `The emulator plays only the secrets API of Key Vault (${vm[2] ?? '/'}).`);
  const name = decodeURIComponent(sm[1]);
  const second = sm[2] === undefined ? undefined : decodeURIComponent(sm[2]);
  const versionError = checkVersion(req);
  if (versionError) return versionError;
  if (req.method === 'PUT' && second === undefined) {
    const denied = authorize(state, req, vault, 'setSecret');
    if (denied) return denied;
    return setSecret(state, req, vault, name);
  }
  if (req.method !== 'GET') return kvError(405, 'MethodNotAllowed', `The ${req.method} method is not supported here by this emulator.`);
  const listing = second !== undefined && second.toLowerCase() === 'versions';
  const denied = authorize(state, req, vault, listing ? 'readMetadata' : 'getSecret');
  if (denied) return denied;
  if (!NAME_RE.test(name)) return kvError(400, 'BadParameter', `The secret name '${name}' is not valid: use 1 to 127 letters, digits and hyphens.`);
  const secret = vault.secrets.get(name.toLowerCase());
  if (listing) {
    if (!secret) return jsonResponse(200, { value: [], nextLink: null });
    return jsonResponse(200, { value: secret.versions.map((v) => bundle(state, vault, secret.name, v, false)), nextLink: null });
  }
  if (!secret) return notFound(name, second || undefined);
  const v = second ? secret.versions.find((x) => x.version === second.toLowerCase()) : secret.versions[secret.versions.length - 1];
  if (!v) return notFound(name, second);
  if (!v.enabled) return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  return jsonResponse(200, bundle(state, vault, secret.name, v, true));
}

function setSecret(state: State, req: EmuRequest, vault: VaultInternal, name: string): EmuResponse {
  if (!NAME_RE.test(name)) return kvError(400, 'BadParameter', `The secret name '${name}' is not valid: use 1 to 127 letters, digits and hyphens.`);
  const parsed = parseJson(req.bodyText);
  if (!parsed.ok || !isObject(parsed.value)) return kvError(400, 'BadParameter', 'The request body must be a JSON object.');
  const body = parsed.value;
  if (typeof body.value !== 'string') return kvError(400, 'BadParameter', 'Property value is required and must be a string.');
  if (body.contentType !== undefined && typeof body.contentType !== 'string') return kvError(400, 'BadParameter', 'contentType must be a string.');
  let tags: Record<string, string> | undefined;
  if (body.tags !== undefined && body.tags !== null) {
    if (!isObject(body.tags) || Object.values(body.tags).some((t) => typeof t !== 'string'))
      return kvError(400, 'BadParameter', 'tags must be an object of strings.');
    if (Object.keys(body.tags).length > 15) return kvError(400, 'BadParameter', 'A secret can have at most 15 tags.');
    tags = body.tags as Record<string, string>;
  }
  const attrs = body.attributes ?? {};
  if (!isObject(attrs)) return kvError(400, 'BadParameter', 'attributes must be an object.');
  for (const k of ['exp', 'nbf'] as const) {
    if (attrs[k] !== undefined && attrs[k] !== null && (typeof attrs[k] !== 'number' || !Number.isInteger(attrs[k]))) {
      return kvError(400, 'BadParameter', `attributes.${k} must be a whole number of seconds since 1970-01-01 (unix time).`);
    }
  }
  if (attrs.enabled !== undefined && attrs.enabled !== null && typeof attrs.enabled !== 'boolean')
    return kvError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
  const nowS = Math.floor(state.clock.nowMs() / 1000);
  const v: SecretVersion = {
    version: newSecretVersion(),
    value: body.value,
    contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
    tags,
    enabled: attrs.enabled !== false,
    exp: typeof attrs.exp === 'number' ? attrs.exp : undefined,
    nbf: typeof attrs.nbf === 'number' ? attrs.nbf : undefined,
    created: nowS,
    updated: nowS,
  };
  let secret = vault.secrets.get(name.toLowerCase());
  if (!secret) {
    secret = { name, versions: [] };
    vault.secrets.set(name.toLowerCase(), secret);
  }
  secret.versions.push(v);
  return jsonResponse(200, bundle(state, vault, secret.name, v, true));
}
