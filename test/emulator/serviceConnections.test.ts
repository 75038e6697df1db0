// The service-connection side of the emulator over HTTPS: connectionData (does a PAT work), service endpoints with
// write-only secrets, Key Vault secrets, the agent's OIDC token request and Entra's client-assertion grant (with real
// MSAL), and the agent runner's ENDPOINT_* variables.
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as https from 'https';
import * as path from 'node:path';
import { ConfidentialClientApplication, INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { endpointEnvironment, endpointSecrets } from '../../scripts/lib/agentRunner';
import { repoRoot } from '../support/paths';
import { bearer, call, decodeJwt } from './helpers';

let ORG = 'contoso';
let orgSeq = 0;
const PROJECT = 'Rotation';
const V = 'api-version=7.1';
const KV = 'api-version=7.4';

function basic(pat: string, user = ''): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${pat}`).toString('base64')}` };
}

function networkClient(ca: string): INetworkModule {
  const send = <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers: options?.headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          try {
            resolve({ headers, status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      });
      req.on('error', reject);
      req.end(options?.body);
    });
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('GET', url, options),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
  };
}

describe('emulator: service connections, Key Vault and workload identity federation', function () {
  let emu: Emulator;
  let tenantId: string;
  let userId: string;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    // Service connections and vaults outlive reset() (like variable groups): a fresh organization per test.
    ORG = `contoso${++orgSeq}`;
    tenantId = emu.addTenant().id;
    userId = emu.addUser({ tenantId, upn: 'ada@contoso.example' }).id;
    emu.addOrg(ORG, tenantId);
  });

  describe('connectionData', () => {
    it('answers 200 with the PAT owner for an active PAT (any user name, any or no api-version)', async () => {
      const [pat] = emu.seedPats(userId, ORG, [{ displayName: 'new' }]);
      for (const [headers, q] of [
        [basic(pat.token), ''],
        [basic(pat.token, 'anything'), '?api-version=7.1-preview'],
      ] as const) {
        const res = await call(emu, 'GET', `/${ORG}/_apis/connectionData${q}`, { headers });
        assert.strictEqual(res.status, 200, res.text);
        const body = res.json<{ authenticatedUser: Record<string, unknown>; authorizedUser: { id: string }; instanceId: string; deploymentType: string }>();
        assert.strictEqual(body.authenticatedUser.id, userId);
        assert.strictEqual(body.authenticatedUser.isActive, true);
        assert.strictEqual(body.authorizedUser.id, userId);
        assert.strictEqual(body.instanceId, emu.orgAccountId(ORG));
        assert.strictEqual(body.deploymentType, 'hosted');
        assert.ok('locationServiceData' in body && 'deploymentId' in body);
      }
      assert.strictEqual(emu.requests.at(-1)?.kind, 'connectiondata');
    });

    it('refuses a revoked, expired, unknown or other-organization PAT with 401', async () => {
      const [revoked, expired, elsewhere] = [
        emu.seedPats(userId, ORG, [{ displayName: 'r', revoked: true }])[0],
        emu.seedPats(userId, ORG, [{ displayName: 'e', validFrom: '2020-01-01T00:00:00Z', validTo: '2020-02-01T00:00:00Z' }])[0],
        emu.seedPats(userId, 'other-org', [{ displayName: 'o' }])[0],
      ];
      for (const token of [revoked.token, expired.token, elsewhere.token, 'x'.repeat(52)]) {
        const res = await call(emu, 'GET', `/${ORG}/_apis/connectionData`, { headers: basic(token) });
        assert.strictEqual(res.status, 401, res.text);
        assert.strictEqual(res.json().typeKey, 'UnauthorizedRequestException');
      }
    });
  });

  describe('service endpoints', () => {
    function npm(administrators?: 'jobToken' | 'none'): string {
      return emu.addServiceEndpoint({
        org: ORG,
        project: PROJECT,
        name: 'npm-feed',
        type: 'externalnpmregistry',
        scheme: 'Token',
        parameters: { apitoken: 'old-pat' },
        administrators,
      }).id;
    }

    it('GET answers with confidential parameters as null and the list by names leaves them out', async () => {
      const id = npm();
      emu.addServiceEndpoint({ org: ORG, project: PROJECT, name: 'nuget', type: 'externalnugetfeed', scheme: 'None', parameters: { nugetkey: 'k' } });
      const job = emu.issueJobToken(ORG);
      const one = await call(emu, 'GET', `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${id}?${V}`, { headers: bearer(job) });
      assert.strictEqual(one.status, 200, one.text);
      assert.deepStrictEqual(one.json<{ authorization: unknown }>().authorization, { parameters: { apitoken: null }, scheme: 'Token' });
      const list = await call(emu, 'GET', `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?endpointNames=npm-feed,nuget&${V}`, { headers: bearer(job) });
      const value = list.json<{ count: number; value: Array<{ name: string; authorization: { parameters: object } }> }>().value;
      assert.deepStrictEqual(value.map((e) => [e.name, e.authorization.parameters]).sort(), [
        ['npm-feed', {}],
        ['nuget', {}],
      ]);
      assert.ok(!list.text.includes('old-pat') && !one.text.includes('old-pat'));
      assert.strictEqual(emu.requests.at(-1)?.kind, 'serviceendpoints');
    });

    function putBody(id: string, parameters: Record<string, string | null>, refs = true): Record<string, unknown> {
      return {
        id,
        name: 'npm-feed',
        type: 'externalnpmregistry',
        url: 'https://registry.npmjs.org/',
        data: {},
        authorization: { scheme: 'Token', parameters },
        ...(refs ? { serviceEndpointProjectReferences: [{ projectReference: { id: emu.projectId(ORG, PROJECT), name: PROJECT }, name: 'npm-feed' }] } : {}),
      };
    }

    it('PUT sets a secret sent as a string, keeps one sent as null, and answers it as null', async () => {
      const id = npm();
      const job = emu.issueJobToken(ORG);
      const put = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
        headers: bearer(job),
        json: putBody(id, { apitoken: 'new-pat' }),
      });
      assert.strictEqual(put.status, 200, put.text);
      assert.deepStrictEqual(put.json<{ authorization: { parameters: object } }>().authorization.parameters, { apitoken: null });
      assert.strictEqual(emu.getServiceEndpoint(ORG, 'npm-feed')?.parameters.apitoken, 'new-pat');
      const again = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
        headers: bearer(job),
        json: putBody(id, { apitoken: null }),
      });
      assert.strictEqual(again.status, 200, again.text);
      assert.strictEqual(emu.getServiceEndpoint(ORG, id)?.parameters.apitoken, 'new-pat', 'null keeps the stored secret');
      assert.strictEqual(emu.getServiceEndpoint(ORG, id)?.updates, 2);
      const recorded = emu.requests.filter((r) => r.method === 'PUT');
      assert.ok(!JSON.stringify(recorded).includes('new-pat'), 'the secret is not recorded');
    });

    it('PUT with the secret left out keeps it or wipes it as the variant says', async () => {
      for (const [mode, expected] of [
        ['keeps', 'old-pat'],
        ['wipes', undefined],
      ] as const) {
        emu.setVariant({ endpointSecretOmitted: mode });
        const id = emu.addServiceEndpoint({
          org: ORG,
          project: PROJECT,
          name: `npm-${mode}`,
          type: 'externalnpmregistry',
          scheme: 'Token',
          parameters: { apitoken: 'old-pat' },
        }).id;
        const res = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
          headers: bearer(emu.issueJobToken(ORG)),
          json: { ...putBody(id, {}), name: `npm-${mode}` },
        });
        assert.strictEqual(res.status, 200, res.text);
        assert.strictEqual(emu.getServiceEndpoint(ORG, id)?.parameters.apitoken, expected, mode);
      }
    });

    it('refuses a PUT without the project reference (400), from a build identity without the Administrator role (403), without the manage scope (401)', async () => {
      const id = npm();
      const noRefs = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
        headers: bearer(emu.issueJobToken(ORG)),
        json: putBody(id, { apitoken: 'x' }, false),
      });
      assert.strictEqual(noRefs.status, 400, noRefs.text);
      const locked = emu.addServiceEndpoint({
        org: ORG,
        project: PROJECT,
        name: 'locked',
        type: 'generic',
        scheme: 'UsernamePassword',
        parameters: { username: 'u', password: 'p' },
        administrators: 'none',
      }).id;
      const refused = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${locked}?${V}`, {
        headers: bearer(emu.issueJobToken(ORG)),
        json: {
          ...putBody(locked, { username: 'u', password: 'new' }),
          name: 'locked',
          type: 'generic',
          authorization: { scheme: 'UsernamePassword', parameters: { username: 'u', password: 'new' } },
        },
      });
      assert.strictEqual(refused.status, 403, refused.text);
      assert.match(refused.json<{ message: string }>().message, /Project Collection Build Service \(contoso\d+\).*Administrator role/);
      assert.strictEqual(emu.getServiceEndpoint(ORG, locked)?.parameters.password, 'p');
      const readable = await call(emu, 'GET', `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${locked}?${V}`, { headers: bearer(emu.issueJobToken(ORG)) });
      assert.strictEqual(readable.status, 200, 'the job token may still read it');
      const clientId = emu.addApp({ tenantId, scopes: 'vso.serviceendpoint' }).clientId;
      const reader = emu.issueAccessToken({ tenantId, clientId, userId });
      const noScope = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
        headers: bearer(reader),
        json: putBody(id, { apitoken: 'x' }),
      });
      assert.strictEqual(noScope.status, 401, noScope.text);
      const manager = emu.issueAccessToken({ tenantId, clientId: emu.addApp({ tenantId, scopes: 'vso.serviceendpoint_manage' }).clientId, userId });
      const ok = await call(emu, 'PUT', `/${ORG}/_apis/serviceendpoint/endpoints/${id}?${V}`, {
        headers: bearer(manager),
        json: putBody(id, { apitoken: 'by-user' }),
      });
      assert.strictEqual(ok.status, 200, ok.text);
      assert.strictEqual(emu.getServiceEndpoint(ORG, id)?.parameters.apitoken, 'by-user');
    });

    it('treats as confidential exactly what ListEndpointTypes.json marks confidential, for the types the task serves', async () => {
      const file = path.join(repoRoot, 'test', 'data', 'specs', 'serviceEndpoint', '7.1', 'httpExamples', 'ListEndpointTypes.json');
      const types = (JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { responses: { 200: { body: { value: EndpointType[] } } } })
        .responses[200].body.value;
      interface EndpointType {
        name: string;
        authenticationSchemes: Array<{ scheme: string; inputDescriptors: Array<{ id: string; isConfidential: boolean }> }>;
      }
      let n = 0;
      for (const t of types.filter((x) =>
        ['externaltfs', 'git', 'externalnpmregistry', 'externalnugetfeed', 'generic', 'dockerregistry', 'azurerm'].includes(x.name),
      )) {
        for (const s of t.authenticationSchemes) {
          const parameters = Object.fromEntries(s.inputDescriptors.map((d) => [d.id, `v-${d.id}`]));
          const id = emu.addServiceEndpoint({ org: ORG, project: PROJECT, name: `${t.name}-${s.scheme}`, type: t.name, scheme: s.scheme, parameters }).id;
          const res = await call(emu, 'GET', `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${id}?${V}`, { headers: bearer(emu.issueJobToken(ORG)) });
          const got = res.json<{ authorization: { parameters: Record<string, string | null> } }>().authorization.parameters;
          for (const d of s.inputDescriptors) assert.strictEqual(got[d.id] === null, d.isConfidential, `${t.name} ${s.scheme} ${d.id}`);
          n++;
        }
      }
      assert.ok(n >= 12, `checked ${n} type/scheme pairs`);
    });
  });

  describe('Key Vault, OIDC tokens and the client-assertion grant', () => {
    const VAULT_SCOPE = 'https://vault.azure.net/.default';

    async function oidcToken(connectionId: string, job = emu.issueJobToken(ORG)): Promise<{ status: number; token?: string; text: string }> {
      const uri = new URL(emu.oidcRequestUri(ORG, PROJECT));
      assert.strictEqual(uri.search, '', 'System.OidcRequestUri has no query');
      const res = await call(emu, 'POST', `${uri.pathname}?api-version=7.1-preview.1&serviceConnectionId=${connectionId}`, { headers: bearer(job), json: {} });
      return { status: res.status, token: res.status === 200 ? res.json<{ oidcToken: string }>().oidcToken : undefined, text: res.text };
    }

    async function assertionGrant(clientId: string, assertion: string, scope = VAULT_SCOPE) {
      return call(emu, 'POST', `/${tenantId}/oauth2/v2.0/token`, {
        form: {
          grant_type: 'client_credentials',
          client_id: clientId,
          scope,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        },
      });
    }

    it('issues an OIDC token for a WIF connection (iss, sub, aud as the federated credential), only to the job token', async () => {
      const sc = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'kv-conn', tenantId, scheme: 'WorkloadIdentityFederation' });
      assert.strictEqual(sc.endpoint.scheme, 'WorkloadIdentityFederation');
      assert.deepStrictEqual(Object.keys(sc.endpoint.parameters).sort(), [
        'serviceprincipalid',
        'tenantid',
        'workloadIdentityFederationIssuer',
        'workloadIdentityFederationSubject',
      ]);
      const got = await oidcToken(sc.id);
      assert.strictEqual(got.status, 200, got.text);
      const claims = decodeJwt(got.token!);
      assert.strictEqual(claims.iss, `https://vstoken.dev.azure.com/${emu.orgAccountId(ORG)}`);
      assert.strictEqual(claims.sub, `sc://${ORG}/${PROJECT}/kv-conn`);
      assert.strictEqual(claims.aud, 'api://AzureADTokenExchange');
      assert.strictEqual(emu.requests.at(-1)?.kind, 'oidc');
      const [pat] = emu.seedPats(userId, ORG, [{ displayName: 'p' }]);
      const byPat = await call(emu, 'POST', `${new URL(emu.oidcRequestUri(ORG, PROJECT)).pathname}?api-version=7.1-preview.1&serviceConnectionId=${sc.id}`, {
        headers: basic(pat.token),
      });
      assert.strictEqual(byPat.status, 401);
      const secretBased = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'spn', tenantId, scheme: 'ServicePrincipal' });
      assert.strictEqual((await oidcToken(secretBased.id)).status, 400);
      assert.strictEqual((await oidcToken('00000000-0000-0000-0000-000000000000')).status, 404);
    });

    it('exchanges the OIDC token for a Key Vault token, then sets, gets and lists secret versions', async () => {
      const sc = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'kv-conn', tenantId, scheme: 'WorkloadIdentityFederation' });
      const { url } = emu.addKeyVault({ name: `pat-vault${orgSeq}`, tenantId, access: { [sc.clientId]: 'officer' } });
      assert.strictEqual(url, `${emu.url}/keyvault/pat-vault${orgSeq}`);
      const grant = await assertionGrant(sc.clientId, (await oidcToken(sc.id)).token!);
      assert.strictEqual(grant.status, 200, grant.text);
      const access = grant.json<{ access_token: string }>().access_token;
      assert.strictEqual(decodeJwt(access).aud, 'https://vault.azure.net');
      const exp = Math.floor(Date.now() / 1000) + 86400;
      const base = new URL(url).pathname;
      for (const value of ['first-pat', 'second-pat']) {
        const set = await call(emu, 'PUT', `${base}/secrets/ado-pat?${KV}`, {
          headers: bearer(access),
          json: { value, attributes: { exp, enabled: true }, tags: { authorizationId: `auth-${value.length}-${value[0]}` }, contentType: 'PAT' },
        });
        assert.strictEqual(set.status, 200, set.text);
        const b = set.json<{ value: string; id: string; attributes: Record<string, unknown>; tags: object }>();
        assert.strictEqual(b.value, value);
        assert.match(b.id, new RegExp(`^${url}/secrets/ado-pat/[0-9a-f]{32}$`));
        assert.strictEqual(b.attributes.exp, exp);
        assert.strictEqual(b.attributes.recoveryLevel, 'Recoverable+Purgeable');
      }
      assert.deepStrictEqual(emu.getKeyVaultSecret(`pat-vault${orgSeq}`, 'ado-pat'), {
        value: 'second-pat',
        tags: { authorizationId: 'auth-10-s' },
        exp,
        contentType: 'PAT',
        enabled: true,
        versions: 2,
      });
      const latest = await call(emu, 'GET', `${base}/secrets/ado-pat?${KV}`, { headers: bearer(access) });
      assert.strictEqual(latest.json().value, 'second-pat');
      const versions = await call(emu, 'GET', `${base}/secrets/ado-pat/versions?${KV}`, { headers: bearer(access) });
      const items = versions.json<{ value: Array<Record<string, unknown>> }>().value;
      assert.strictEqual(items.length, 2);
      assert.ok(
        items.every((i) => !('value' in i)),
        'versions are listed without values',
      );
      const first = await call(emu, 'GET', `${new URL(String(items[0].id)).pathname}?${KV}`, { headers: bearer(access) });
      assert.strictEqual(first.json().value, 'first-pat');
      assert.strictEqual(emu.requests.at(-1)?.kind, 'keyvault');
      assert.ok(!JSON.stringify(emu.requests).includes('second-pat'), 'secret values are not recorded');
      assert.ok(emu.issuedSecrets().some((s) => s.value === 'second-pat' && s.kind === 'Key Vault secret'));
    });

    it('Key Vault refusals: 401 challenge without a token, 403 ForbiddenByRbac for a reader setting or a stranger, 404 for an unknown secret', async () => {
      const sc = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'reader', tenantId, scheme: 'ServicePrincipal' });
      const { url } = emu.addKeyVault({ name: `kv2-${orgSeq}`, tenantId, access: { [sc.clientId]: 'user' } });
      const base = new URL(url).pathname;
      const none = await call(emu, 'PUT', `${base}/secrets/s?${KV}`, { json: { value: 'v' } });
      assert.strictEqual(none.status, 401);
      assert.strictEqual(none.headers['www-authenticate'], `Bearer authorization="${emu.url}/${tenantId}", resource="https://vault.azure.net"`);
      const grant = await call(emu, 'POST', `/${tenantId}/oauth2/v2.0/token`, {
        form: { grant_type: 'client_credentials', client_id: sc.clientId, client_secret: sc.clientSecret!, scope: VAULT_SCOPE },
      });
      assert.strictEqual(grant.status, 200, grant.text);
      const token = grant.json<{ access_token: string }>().access_token;
      const set = await call(emu, 'PUT', `${base}/secrets/s?${KV}`, { headers: bearer(token), json: { value: 'v' } });
      assert.strictEqual(set.status, 403);
      assert.deepStrictEqual(set.json<{ error: { code: string; innerError: unknown } }>().error.code, 'Forbidden');
      assert.deepStrictEqual(set.json<{ error: { innerError: unknown } }>().error.innerError, { code: 'ForbiddenByRbac' });
      const missing = await call(emu, 'GET', `${base}/secrets/s?${KV}`, { headers: bearer(token) });
      assert.strictEqual(missing.status, 404);
      assert.strictEqual(missing.json<{ error: { code: string } }>().error.code, 'SecretNotFound');
      emu.setKeyVaultAccess(`kv2-${orgSeq}`, sc.clientId, 'none');
      assert.strictEqual((await call(emu, 'GET', `${base}/secrets/s?${KV}`, { headers: bearer(token) })).status, 403);
      const adoToken = emu.issueAccessToken({ tenantId, clientId: emu.addApp({ tenantId }).clientId, userId });
      assert.strictEqual(
        (await call(emu, 'GET', `${base}/secrets/s?${KV}`, { headers: bearer(adoToken) })).status,
        401,
        'an Azure DevOps token is not a Key Vault token',
      );
      const vaultTokenOnAdo = await call(emu, 'GET', `/${ORG}/_apis/connectionData`, { headers: bearer(token) });
      assert.strictEqual(vaultTokenOnAdo.status, 401, 'a Key Vault token is not an Azure DevOps token');
    });

    it('refuses assertions whose issuer, subject or audience does not match, that expired, or that the emulator did not sign', async () => {
      const sc = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'kv-conn', tenantId, scheme: 'WorkloadIdentityFederation' });
      const token = (await oidcToken(sc.id)).token!;
      const cases: Array<[string, Parameters<Emulator['addArmServiceConnection']>[0]['federatedCredential'], number]> = [
        ['issuer', { issuer: 'https://vstoken.dev.azure.com/00000000-0000-0000-0000-000000000000' }, 700211],
        ['subject', { subject: `sc://${ORG}/${PROJECT}/other` }, 700213],
        ['audience', { audience: 'api://Other', subject: `sc://${ORG}/${PROJECT}/kv-conn` }, 700212],
      ];
      for (const [what, fc, code] of cases) {
        const other = emu.addArmServiceConnection({
          org: ORG,
          project: PROJECT,
          name: `wrong-${what}`,
          tenantId,
          scheme: 'WorkloadIdentityFederation',
          federatedCredential: fc,
        });
        const res = await assertionGrant(other.clientId, token);
        assert.strictEqual(res.status, 400, res.text);
        assert.deepStrictEqual(res.json<{ error_codes: number[] }>().error_codes, [code], what);
      }
      const [h, p] = token.split('.');
      const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
      assert.deepStrictEqual((await assertionGrant(sc.clientId, forged)).json<{ error_codes: number[] }>().error_codes, [700027]);
      emu.advanceTime(11 * 60 * 1000);
      const late = await assertionGrant(sc.clientId, token);
      assert.strictEqual(late.status, 401, late.text);
      assert.deepStrictEqual(late.json<{ error_codes: number[] }>().error_codes, [700024]);
    });

    it('real MSAL ConfidentialClientApplication with clientAssertion gets a Key Vault token', async () => {
      const sc = emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: 'msal-conn', tenantId, scheme: 'WorkloadIdentityFederation' });
      const assertion = (await oidcToken(sc.id)).token!;
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: sc.clientId,
          clientAssertion: assertion,
          authority: emu.authority(tenantId),
          knownAuthorities: [emu.authorityHost],
          authorityMetadata: JSON.stringify(emu.authorityMetadata(tenantId)),
        },
        system: { networkClient: networkClient(emu.caCertPem) },
      });
      const result = await cca.acquireTokenByClientCredential({ scopes: [VAULT_SCOPE] });
      assert.ok(result?.accessToken);
      assert.strictEqual(decodeJwt(result.accessToken).appid, sc.clientId);
      const form = emu.requests.find((r) => r.kind === 'token')?.body as Record<string, string>;
      assert.strictEqual(form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assert.ok(!('client_assertion' in form), 'the assertion is not recorded');
    });
  });

  describe('agent runner: service connection variables', () => {
    it('sets ENDPOINT_* as the agent does and masks secret parameters only', () => {
      const id = '4f9c1d2e-0000-4000-8000-000000000001';
      const endpoints = {
        [id]: {
          url: 'https://management.azure.com/',
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 't', serviceprincipalid: 'sp', authenticationType: 'spnKey', serviceprincipalkey: 'key' },
          data: { environment: 'AzureCloud', 'sub.Id': 's' },
        },
      };
      const env = endpointEnvironment(endpoints);
      assert.strictEqual(env[`ENDPOINT_URL_${id}`], 'https://management.azure.com/');
      assert.deepStrictEqual(JSON.parse(env[`ENDPOINT_AUTH_${id}`]), { parameters: endpoints[id].parameters, scheme: 'ServicePrincipal' });
      assert.strictEqual(env[`ENDPOINT_AUTH_SCHEME_${id}`], 'ServicePrincipal');
      assert.strictEqual(env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`], 'key');
      assert.strictEqual(env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`], 'spnKey');
      assert.strictEqual(env[`ENDPOINT_DATA_${id}_ENVIRONMENT`], 'AzureCloud');
      assert.strictEqual(env[`ENDPOINT_DATA_${id}_SUB_ID`], 's');
      assert.deepStrictEqual(JSON.parse(env[`ENDPOINT_DATA_${id}`]), endpoints[id].data);
      assert.deepStrictEqual(endpointSecrets(endpoints).sort(), ['key', 'sp']);
    });
  });
});
