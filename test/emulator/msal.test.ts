// Real @azure/msal-node against the emulator: proves the Entra side is good enough for MSAL, with no discovery.
import * as assert from 'assert';
import * as https from 'https';
import { ConfidentialClientApplication, INetworkModule, NetworkRequestOptions, NetworkResponse, PublicClientApplication } from '@azure/msal-node';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { ADO, decodeJwt } from './helpers';

/** Minimal MSAL network client that trusts the emulator's CA. */
function networkClient(ca: string): INetworkModule {
  const send = <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers: options?.headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ headers, status: res.statusCode ?? 0, body: JSON.parse(text) as T });
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

describe('emulator: with real MSAL', function () {
  let emu: Emulator;
  let tenantId: string;
  let userId: string;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    tenantId = emu.addTenant().id;
    userId = emu.addUser({ tenantId }).id;
  });

  function authConfig(clientId: string, clientSecret?: string) {
    return {
      auth: {
        clientId,
        clientSecret,
        authority: emu.authority(tenantId),
        knownAuthorities: [emu.authorityHost],
        authorityMetadata: JSON.stringify(emu.authorityMetadata(tenantId)),
      },
      system: { networkClient: networkClient(emu.caCertPem) },
    };
  }

  it('acquireTokenByRefreshToken: one POST, no discovery, rotated refresh token in the cache', async () => {
    const clientId = emu.addApp({ tenantId }).clientId;
    const rt = emu.issueRefreshToken({ tenantId, clientId, userId });
    const pca = new PublicClientApplication(authConfig(clientId));
    const result = await pca.acquireTokenByRefreshToken({ refreshToken: rt, scopes: [`${ADO}/.default`], forceCache: true });
    assert.ok(result);
    assert.strictEqual(decodeJwt(result.accessToken).oid, userId);
    assert.strictEqual(result.account?.homeAccountId, `${userId}.${tenantId}`);
    assert.deepStrictEqual(
      emu.requests.map((r) => `${r.method} ${r.kind} ${r.status}`),
      ['POST token 200'],
    );
    const cache = JSON.parse(pca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const secrets = Object.values(cache.RefreshToken).map((e) => e.secret);
    assert.strictEqual(secrets.length, 1);
    assert.notStrictEqual(secrets[0], rt);
  });

  it('surfaces Entra errors with their codes', async () => {
    const clientId = emu.addApp({ tenantId }).clientId;
    const pca = new PublicClientApplication(authConfig(clientId));
    const expired = emu.issueRefreshToken({ tenantId, clientId, userId, expired: true });
    await assert.rejects(
      pca.acquireTokenByRefreshToken({ refreshToken: expired, scopes: [`${ADO}/.default`] }),
      (e: { errorCode?: string; errorMessage?: string }) => {
        assert.strictEqual(e.errorCode, 'invalid_grant');
        assert.match(String(e.errorMessage), /AADSTS700082/);
        return true;
      },
    );
  });

  it('device code flow and client credentials', async () => {
    const clientId = emu.addApp({ tenantId }).clientId;
    const pca = new PublicClientApplication(authConfig(clientId));
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [`${ADO}/.default`],
      deviceCodeCallback: (r) => emu.approveDeviceCode(r.userCode),
    });
    assert.strictEqual(result && decodeJwt(result.accessToken).oid, userId);
    const conf = emu.addApp({ tenantId, clientSecret: 'pw' }).clientId;
    const cca = new ConfidentialClientApplication(authConfig(conf, 'pw'));
    const app = await cca.acquireTokenByClientCredential({ scopes: [`${ADO}/.default`] });
    assert.strictEqual(app && decodeJwt(app.accessToken).idtyp, 'app');
    assert.strictEqual(emu.requests.filter((r) => r.kind === 'discovery').length, 0);
  });
});
