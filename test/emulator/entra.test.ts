import * as assert from 'assert';
import { createHash } from 'crypto';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { ADO, call, decodeJwt, HttpResult } from './helpers';

const SCOPE = `${ADO}/.default openid profile offline_access`;

describe('emulator: Entra endpoints', function () {
  let emu: Emulator;
  let tenantId: string;
  let clientId: string;
  let userId: string;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    tenantId = emu.addTenant().id;
    clientId = emu.addApp({ tenantId }).clientId;
    userId = emu.addUser({ tenantId, name: 'Ada', upn: 'ada@contoso.example' }).id;
  });

  function token(form: Record<string, string>, tenant = tenantId): Promise<HttpResult> {
    return call(emu, 'POST', `/${tenant}/oauth2/v2.0/token`, { form });
  }
  function refresh(rt: string, extra: Record<string, string> = {}): Promise<HttpResult> {
    return token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: rt, scope: SCOPE, client_info: '1', ...extra });
  }
  function assertAadError(res: HttpResult, status: number, error: string, code: number): Record<string, unknown> {
    assert.strictEqual(res.status, status, res.text);
    const body = res.json();
    assert.strictEqual(body.error, error);
    assert.deepStrictEqual(body.error_codes, [code]);
    assert.match(String(body.error_description), new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: .+\\r\\nCorrelation ID: .+\\r\\nTimestamp: `));
    for (const k of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) assert.ok(body[k], k);
    return body;
  }

  it('redeems a refresh token: new refresh token, id_token, client_info, access token for Azure DevOps', async () => {
    const rt = emu.issueRefreshToken({ tenantId, clientId, userId });
    const res = await refresh(rt);
    assert.strictEqual(res.status, 200, res.text);
    const body = res.json();
    assert.strictEqual(body.token_type, 'Bearer');
    assert.strictEqual(body.expires_in, 3599);
    assert.strictEqual(body.ext_expires_in, 3599);
    assert.ok(typeof body.refresh_token === 'string' && body.refresh_token !== rt);
    assert.match(String(body.refresh_token), /^[01]\./);
    assert.match(String(body.scope), new RegExp(`${ADO}/vso.pats`));
    const id = decodeJwt(String(body.id_token));
    assert.strictEqual(id.aud, clientId);
    assert.strictEqual(id.iss, `${emu.url}/${tenantId}/v2.0`);
    assert.strictEqual(id.oid, userId);
    assert.strictEqual(id.tid, tenantId);
    assert.strictEqual(id.preferred_username, 'ada@contoso.example');
    assert.strictEqual(id.ver, '2.0');
    const info = JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString('utf8')) as Record<string, string>;
    assert.deepStrictEqual(info, { uid: userId, utid: tenantId });
    const at = decodeJwt(String(body.access_token));
    assert.strictEqual(at.aud, ADO);
    assert.strictEqual(at.scp, 'vso.pats vso.pats_manage');
    assert.strictEqual(at.idtyp, 'user');
    assert.strictEqual(at.appid, clientId);
    // The old refresh token keeps working, as in Entra.
    assert.strictEqual((await refresh(rt)).status, 200);
    // The request record carries no secret.
    const rec = emu.requests.find((r) => r.kind === 'token');
    assert.ok(rec);
    assert.strictEqual((rec.body as Record<string, string>).refresh_token, undefined);
    assert.strictEqual((rec.body as Record<string, string>).grant_type, 'refresh_token');
  });

  it('rejects bad tenants, apps and clients with Entra error codes', async () => {
    const rt = emu.issueRefreshToken({ tenantId, clientId, userId });
    assertAadError(
      await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: rt, scope: SCOPE }, 'a0a0a0a0-0000-0000-0000-000000000000'),
      400,
      'invalid_request',
      90002,
    );
    assertAadError(await refresh(rt, { client_id: '11111111-2222-3333-4444-555555555555' }), 400, 'unauthorized_client', 700016);
    assertAadError(await refresh(rt, { client_secret: 'x' }), 401, 'invalid_client', 700025);
    const conf = emu.addApp({ tenantId, clientSecret: 's3cret' }).clientId;
    const crt = emu.issueRefreshToken({ tenantId, clientId: conf, userId });
    const confRefresh = (extra: Record<string, string>): Promise<HttpResult> =>
      token({ grant_type: 'refresh_token', client_id: conf, refresh_token: crt, scope: SCOPE, ...extra });
    assertAadError(await confRefresh({}), 401, 'invalid_client', 7000218);
    assertAadError(await confRefresh({ client_secret: 'wrong' }), 401, 'invalid_client', 7000215);
    assert.strictEqual((await confRefresh({ client_secret: 's3cret' })).status, 200);
    emu.setAppOption(conf, { secretExpired: true });
    assertAadError(await confRefresh({ client_secret: 's3cret' }), 401, 'invalid_client', 7000222);
    emu.setAppOption(clientId, { allowPublicClient: false });
    assertAadError(await refresh(rt), 401, 'invalid_client', 7000218);
  });

  it('rejects unknown, foreign, expired and revoked refresh tokens', async () => {
    assertAadError(await refresh('1.Anonsense'), 400, 'invalid_grant', 9002313);
    const other = emu.addApp({ tenantId }).clientId;
    assertAadError(await refresh(emu.issueRefreshToken({ tenantId, clientId: other, userId })), 400, 'invalid_grant', 70000);
    const expired = assertAadError(await refresh(emu.issueRefreshToken({ tenantId, clientId, userId, expired: true })), 400, 'invalid_grant', 700082);
    assert.match(String(expired.error_description), /expired due to inactivity/);
    assertAadError(await refresh(emu.issueRefreshToken({ tenantId, clientId, userId, revoked: true })), 400, 'invalid_grant', 50173);
    const live = emu.issueRefreshToken({ tenantId, clientId, userId });
    assert.ok(emu.revokeRefreshTokens(userId) >= 1);
    assertAadError(await refresh(live), 400, 'invalid_grant', 50173);
  });

  it('plays a sign-in frequency end (70043) and a confirmation interrupt (50199) on redemption', async () => {
    const frequency = assertAadError(
      await refresh(emu.issueRefreshToken({ tenantId, clientId, userId, refusal: 'signInFrequency' })),
      400,
      'invalid_grant',
      70043,
    );
    assert.match(String(frequency.error_description), /sign-in frequency/);
    assertAadError(await refresh(emu.issueRefreshToken({ tenantId, clientId, userId, refusal: 'userConfirmation' })), 400, 'interaction_required', 50199);
  });

  it('answers consent_required, MFA and scope errors', async () => {
    const rt = emu.issueRefreshToken({ tenantId, clientId, userId });
    emu.setAppOption(clientId, { consented: false });
    const consent = assertAadError(await refresh(rt), 400, 'invalid_grant', 65001);
    assert.strictEqual(consent.suberror, 'consent_required');
    emu.setAppOption(clientId, { consented: true, mfaRequired: true });
    assertAadError(await refresh(rt), 400, 'interaction_required', 50076);
    emu.setAppOption(clientId, { mfaRequired: false });
    assertAadError(await refresh(rt, { scope: 'https://graph.microsoft.com/.default' }), 400, 'invalid_scope', 70011);
    assertAadError(await refresh(rt, { scope: `${ADO}/vso.code_write offline_access` }), 400, 'invalid_grant', 65001);
    const named = await refresh(rt, { scope: `${ADO}/vso.pats openid` });
    assert.strictEqual(named.status, 200);
    assert.strictEqual(decodeJwt(String(named.json().access_token)).scp, 'vso.pats');
  });

  it('client_credentials gives an app-only token without refresh token, for confidential apps only', async () => {
    const conf = emu.addApp({ tenantId, clientSecret: 'pw' }).clientId;
    const ok = await token({ grant_type: 'client_credentials', client_id: conf, client_secret: 'pw', scope: `${ADO}/.default` });
    assert.strictEqual(ok.status, 200, ok.text);
    const body = ok.json();
    assert.strictEqual(body.refresh_token, undefined);
    const claims = decodeJwt(String(body.access_token));
    assert.strictEqual(claims.idtyp, 'app');
    assert.deepStrictEqual(claims.roles, []);
    assert.strictEqual(claims.scp, undefined);
    assertAadError(await token({ grant_type: 'client_credentials', client_id: clientId, scope: `${ADO}/.default` }), 401, 'invalid_client', 7000218);
  });

  it('runs the device code flow: pending, approval, success; declined, expired and blocked', async () => {
    const start = await call(emu, 'POST', `/${tenantId}/oauth2/v2.0/devicecode`, { form: { client_id: clientId, scope: SCOPE } });
    assert.strictEqual(start.status, 200, start.text);
    const dc = start.json<{ device_code: string; user_code: string; verification_uri: string; expires_in: number; interval: number; message: string }>();
    assert.strictEqual(dc.verification_uri, `${emu.url}/devicelogin`);
    assert.strictEqual(dc.expires_in, 900);
    assert.strictEqual(dc.interval, 1);
    assert.ok(dc.message.includes(dc.user_code));
    const poll = (): Promise<HttpResult> =>
      token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: dc.device_code });
    assertAadError(await poll(), 400, 'authorization_pending', 70016);
    emu.approveDeviceCode(dc.user_code);
    const ok = await poll();
    assert.strictEqual(ok.status, 200, ok.text);
    assert.ok(ok.json().refresh_token);
    assert.strictEqual(decodeJwt(String(ok.json().access_token)).oid, userId);

    const second = (await call(emu, 'POST', `/${tenantId}/oauth2/v2.0/devicecode`, { form: { client_id: clientId, scope: SCOPE } })).json<{
      device_code: string;
      user_code: string;
    }>();
    emu.declineDeviceCode(second.user_code);
    assertAadError(
      await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: second.device_code }),
      400,
      'authorization_declined',
      65004,
    );

    const third = (await call(emu, 'POST', `/${tenantId}/oauth2/v2.0/devicecode`, { form: { client_id: clientId, scope: SCOPE } })).json<{
      device_code: string;
    }>();
    emu.advanceTime(901_000);
    assertAadError(
      await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: third.device_code }),
      400,
      'expired_token',
      70019, // CodeExpired in Entra's error code reference
    );
    emu.setNow(null);

    emu.setAppOption(clientId, { deviceCodeBlocked: true });
    const fourth = (await call(emu, 'POST', `/${tenantId}/oauth2/v2.0/devicecode`, { form: { client_id: clientId, scope: SCOPE } })).json<{
      device_code: string;
    }>();
    assertAadError(
      await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: fourth.device_code }),
      400,
      'invalid_grant',
      53003,
    );
  });

  it('authorize redirects to the loopback with a code that redeems with PKCE', async () => {
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = 'http://localhost:5151/cb';
    const q = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: SCOPE,
      state: 'st8',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      nonce: 'n0nce',
    });
    const res = await call(emu, 'GET', `/${tenantId}/oauth2/v2.0/authorize?${q.toString()}`);
    assert.strictEqual(res.status, 302);
    const loc = new URL(String(res.headers.location));
    assert.strictEqual(`${loc.origin}${loc.pathname}`, redirect);
    assert.strictEqual(loc.searchParams.get('state'), 'st8');
    const code = String(loc.searchParams.get('code'));
    const redeem = (v: string): Promise<HttpResult> =>
      token({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirect, code_verifier: v, scope: SCOPE });
    assertAadError(await redeem('wrong'), 400, 'invalid_grant', 501481);
    const ok = await redeem(verifier);
    assert.strictEqual(ok.status, 200, ok.text);
    assert.strictEqual(decodeJwt(String(ok.json().id_token)).nonce, 'n0nce');
    assert.ok(ok.json().refresh_token);
    assertAadError(await redeem(verifier), 400, 'invalid_grant', 54005);

    emu.setAppOption(clientId, { consented: false });
    const denied = await call(emu, 'GET', `/${tenantId}/oauth2/v2.0/authorize?${q.toString()}`);
    const deniedLoc = new URL(String(denied.headers.location));
    assert.strictEqual(deniedLoc.searchParams.get('error'), 'consent_required');
    assert.match(String(deniedLoc.searchParams.get('error_description')), /^AADSTS65001/);
    const bad = new URLSearchParams(q);
    bad.set('redirect_uri', 'https://evil.example/cb');
    assert.strictEqual((await call(emu, 'GET', `/${tenantId}/oauth2/v2.0/authorize?${bad.toString()}`)).status, 400);
  });

  it('serves discovery documents, recorded as kind discovery', async () => {
    const meta = emu.authorityMetadata(tenantId);
    assert.strictEqual(meta.token_endpoint, `${emu.url}/${tenantId}/oauth2/v2.0/token`);
    assert.strictEqual(meta.issuer, `${emu.url}/${tenantId}/v2.0`);
    const doc = await call(emu, 'GET', `/${tenantId}/v2.0/.well-known/openid-configuration`);
    assert.deepStrictEqual(doc.json(), meta);
    const inst = await call(emu, 'GET', '/common/discovery/instance?api-version=1.1');
    assert.strictEqual(inst.status, 200);
    assert.deepStrictEqual(
      emu.requests.map((r) => r.kind),
      ['discovery', 'discovery'],
    );
  });
});
