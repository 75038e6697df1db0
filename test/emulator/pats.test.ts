import * as assert from 'assert';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { bearer, call, CallOptions, HttpResult, makeWorld, V71, V72, World } from './helpers';

interface PatJson {
  authorizationId: string;
  displayName: string;
  scope: string;
  validFrom: string;
  validTo: string;
  targetAccounts: string[] | null;
  token: string | null;
}
interface Result {
  patToken: PatJson | null;
  patTokenError: string;
  patTokenErrorMessage?: string | null;
}
interface Page {
  continuationToken: string;
  patTokens: PatJson[];
}

describe('emulator: PAT lifecycle API', function () {
  let emu: Emulator;
  let w: World;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    emu.setNow('2026-06-01T12:00:00Z');
    w = makeWorld(emu);
  });

  const base = (): string => `/${w.org}/_apis/tokens/pats`;
  function pats(method: string, query: string, options: CallOptions = {}): Promise<HttpResult> {
    return call(emu, method, `${base()}?${query}`, { ...options, headers: { ...bearer(w.accessToken), ...options.headers } });
  }
  function create(body: Record<string, unknown>, version = V72): Promise<HttpResult> {
    return pats('POST', version, { json: { scope: 'vso.code', validTo: '2026-07-01T00:00:00Z', allOrgs: false, ...body } });
  }
  async function listAll(query: string): Promise<PatJson[]> {
    const out: PatJson[] = [];
    let ct = '';
    for (let i = 0; i < 1000; i++) {
      const res = await pats('GET', `${V72}&${query}${ct ? `&continuationToken=${encodeURIComponent(ct)}` : ''}`);
      assert.strictEqual(res.status, 200, res.text);
      const page = res.json<Page>();
      out.push(...page.patTokens);
      ct = page.continuationToken;
      if (ct === '') return out;
    }
    throw new Error('no end');
  }

  describe('authentication and versions', () => {
    it('answers each kind of wrong credential the way the service does', async () => {
      const none = await call(emu, 'GET', `${base()}?${V72}`);
      assert.strictEqual(none.status, 302);
      assert.match(String(none.headers.location), /\/_signin\?realm=.*reply_to=/);
      const basic = await call(emu, 'GET', `${base()}?${V72}`, { headers: { authorization: `Basic ${Buffer.from(':abc').toString('base64')}` } });
      assert.strictEqual(basic.status, 203);
      assert.match(String(basic.headers['content-type']), /text\/html/);
      const unknown = await call(emu, 'GET', `${base()}?${V72}`, { headers: bearer('eyJ.bogus.token') });
      assert.strictEqual(unknown.status, 401);
      assert.match(String(unknown.json().message), /^TF400813: The user '' is not authorized to access this resource\./);
      assert.match(String(unknown.headers['www-authenticate']), /^Bearer authorization_uri=/);
      const expired = emu.issueAccessToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, expired: true });
      assert.strictEqual((await call(emu, 'GET', `${base()}?${V72}`, { headers: bearer(expired) })).status, 401);
      const conf = emu.addApp({ tenantId: w.tenantId, clientSecret: 'pw' }).clientId;
      const tok = await call(emu, 'POST', `/${w.tenantId}/oauth2/v2.0/token`, {
        form: { grant_type: 'client_credentials', client_id: conf, client_secret: 'pw', scope: '499b84ac-1321-427f-aa17-267ca6975798/.default' },
      });
      const appToken = bearer(String(tok.json().access_token));
      const app = await call(emu, 'GET', `${base()}?${V72}`, { headers: appToken });
      assert.strictEqual(app.status, 302, 'server2022: a service principal is sent to sign in');
      assert.match(String(app.headers.location), /\/_signin\?/);
      emu.setVariant({ servicePrincipal: 'forbidden' });
      const forbidden = await call(emu, 'GET', `${base()}?${V72}`, { headers: appToken });
      assert.strictEqual(forbidden.status, 403);
      assert.strictEqual(forbidden.json().message, 'Service principals are not allowed to perform this action.');
      const broad = emu.issueAccessToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, scopes: 'user_impersonation' });
      assert.strictEqual((await call(emu, 'GET', `${base()}?${V72}`, { headers: bearer(broad) })).status, 401, 'user_impersonation no longer suffices');
      const job = await call(emu, 'GET', `${base()}?${V72}`, { headers: bearer(emu.issueJobToken(w.org)) });
      assert.strictEqual(job.status, 403, 'the build identity is not a user either');
      const readOnly = emu.issueAccessToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId, scopes: 'vso.pats' });
      assert.strictEqual((await call(emu, 'GET', `${base()}?${V72}`, { headers: bearer(readOnly) })).status, 200);
      assert.strictEqual((await call(emu, 'POST', `${base()}?${V72}`, { headers: bearer(readOnly), json: {} })).status, 401);
    });

    it('needs a preview api-version, from the query or the Accept header; path casing does not matter', async () => {
      const missing = await pats('GET', '');
      assert.strictEqual(missing.status, 400);
      assert.strictEqual(missing.json().typeKey, 'VssVersionNotSpecifiedException');
      for (const key of ['$id', 'innerException', 'message', 'typeName', 'typeKey', 'errorCode', 'eventId']) assert.ok(key in missing.json(), key);
      const released = await pats('GET', 'api-version=7.1');
      assert.strictEqual(released.status, 400);
      assert.strictEqual(released.json().typeKey, 'VssInvalidPreviewVersionException');
      assert.strictEqual((await pats('GET', 'api-version=5.0-preview.1')).status, 400);
      for (const v of ['6.1-preview', '7.0-preview.1', '7.1-preview', '7.2-preview.1'])
        assert.strictEqual((await pats('GET', `api-version=${v}`)).status, 200, v);
      const accept = await call(emu, 'GET', base(), { headers: { ...bearer(w.accessToken), accept: 'application/json;api-version=7.1-preview.1' } });
      assert.strictEqual(accept.status, 200);
      const caps = await call(emu, 'GET', `/${w.org}/_apis/Tokens/Pats?${V72}`, { headers: bearer(w.accessToken) });
      assert.strictEqual(caps.status, 200);
      assert.strictEqual(emu.requests[emu.requests.length - 1].kind, 'pats');
    });
  });

  describe('create, get, update, revoke', () => {
    it('creates a PAT; the secret appears only in the create answer', async () => {
      const res = await create({ displayName: 'build', validTo: '2026-06-20T10:00:00.319Z' });
      assert.strictEqual(res.status, 200, res.text);
      const body = res.json<Result>();
      assert.strictEqual(body.patTokenError, 'none');
      const pat = body.patToken;
      assert.ok(pat && pat.token && /^[a-z2-7]{52}$/.test(pat.token));
      assert.deepStrictEqual(pat.targetAccounts, [emu.orgAccountId(w.org)]);
      assert.strictEqual(pat.validFrom, '2026-06-01T12:00:00Z');
      assert.strictEqual(pat.validTo, '2026-06-20T10:00:00.32Z', 'stored with 1/300 s precision');
      const got = (await pats('GET', `${V72}&authorizationId=${pat.authorizationId}`)).json<Result>();
      assert.strictEqual(got.patTokenError, 'none');
      assert.strictEqual(got.patToken?.token, null);
      assert.strictEqual(emu.findPat(pat.authorizationId)?.token, pat.token);
      assert.strictEqual(emu.checkPat(pat.token, w.org), 'active');
      const global = (await create({ displayName: 'g', allOrgs: true })).json<Result>();
      assert.strictEqual(global.patTokenError, 'globalPATCreationBlocked', 'no global PAT after 2026-03-15');
    });

    it('validates create requests', async () => {
      const err = async (body: Record<string, unknown>): Promise<string> => (await create(body)).json<Result>().patTokenError;
      assert.strictEqual(await err({ displayName: '' }), 'displayNameRequired');
      assert.strictEqual(await err({ scope: 'vso.code' }), 'displayNameRequired');
      assert.strictEqual(await err({ displayName: 'x'.repeat(257) }), 'invalidDisplayName');
      assert.strictEqual(await err({ displayName: 'a', scope: '' }), 'invalidScope');
      assert.strictEqual(await err({ displayName: 'a', scope: 'vso.code vso.nope' }), 'invalidScope');
      assert.strictEqual(await err({ displayName: 'a', validTo: 'soon' }), 'invalidValidTo');
      assert.strictEqual(await err({ displayName: 'a', validTo: '2026-05-01T00:00:00Z' }), 'invalidValidTo');
      assert.strictEqual(await err({ displayName: 'a', validTo: undefined }), 'invalidValidTo');
      assert.strictEqual(await err({ displayName: 'a', scope: 'app_token vso.build_execute' }), 'none');
      assert.strictEqual((await pats('POST', V72, { json: 'not json' })).status, 400);
    });

    it('applies policies: lifespan clamp, global, full scope, creation disabled, global cut-off date', async () => {
      emu.setPolicy({ maxLifespanDays: 30 });
      const clamped = (await create({ displayName: 'long', validTo: '2027-06-01T00:00:00Z' })).json<Result>();
      assert.strictEqual(clamped.patTokenError, 'none');
      assert.strictEqual(clamped.patToken?.validTo, '2026-07-01T12:00:00Z');
      emu.setPolicy({ blockGlobalPats: true, blockFullScopePats: true });
      emu.setNow('2026-03-14T23:59:00Z');
      assert.strictEqual((await create({ displayName: 'g', allOrgs: true })).json<Result>().patTokenError, 'globalPatPolicyViolation');
      emu.setNow('2026-06-01T12:00:00Z');
      assert.strictEqual((await create({ displayName: 'f', scope: 'app_token' })).json<Result>().patTokenError, 'fullScopePatPolicyViolation');
      emu.setPolicy({ disablePatCreation: true });
      assert.strictEqual((await create({ displayName: 'd' })).json<Result>().patTokenError, 'disablePatCreationPolicyViolation');
      emu.reset();
      emu.setNow('2026-03-15T00:00:00Z');
      w = makeWorld(emu);
      const late = await create({ displayName: 'g', allOrgs: true, validTo: '2026-05-01T00:00:00Z' });
      assert.strictEqual(late.json<Result>().patTokenError, 'globalPATCreationBlocked');
      emu.setNow('2026-03-14T00:00:00Z');
      const [before] = emu.seedPats(w.userId, w.org, [{ displayName: 'old-global', allOrgs: true, validTo: '2027-01-01T00:00:00Z' }]);
      assert.strictEqual(emu.checkPat(before.token, w.org), 'active');
      emu.setNow('2026-12-01T00:00:00Z');
      w = { ...w, accessToken: emu.issueAccessToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId }) };
      assert.strictEqual(emu.checkPat(before.token, w.org), 'retired', 'global PATs stop working on 2026-12-01');
      const listed = (await pats('GET', V72)).json<Page>().patTokens.map((p) => p.displayName);
      assert.ok(listed.includes('old-global'), 'still listed');
    });

    it('switches error style and adds patTokenErrorMessage only from 7.2', async () => {
      const ok200 = await create({ displayName: '' });
      assert.strictEqual(ok200.status, 200);
      assert.deepStrictEqual(Object.keys(ok200.json()), ['patToken', 'patTokenError', 'patTokenErrorMessage']);
      assert.strictEqual(ok200.json<Result>().patToken, null);
      const old = await create({ displayName: '' }, V71);
      assert.deepStrictEqual(Object.keys(old.json()), ['patToken', 'patTokenError']);
      emu.setVariant({ errorStyle: 'http400' });
      const http400 = await create({ displayName: '' });
      assert.strictEqual(http400.status, 400);
      assert.strictEqual(http400.json<Result>().patTokenError, 'displayNameRequired');
    });

    it('updates, refuses expired and revoked PATs, and revokes idempotently', async () => {
      const pat = (await create({ displayName: 'u' })).json<Result>().patToken;
      assert.ok(pat);
      const upd = await pats('PUT', V72, { json: { authorizationId: pat.authorizationId, displayName: 'renamed', validTo: '2026-08-01T00:00:00Z' } });
      const updated = upd.json<Result>().patToken;
      assert.strictEqual(updated?.displayName, 'renamed');
      assert.strictEqual(updated?.validTo, '2026-08-01T00:00:00Z');
      assert.strictEqual(updated?.token, null);
      assert.strictEqual(updated?.scope, 'vso.code');
      const bad = await pats('PUT', V72, { json: { authorizationId: pat.authorizationId, scope: 'vso.bogus' } });
      assert.strictEqual(bad.json<Result>().patTokenError, 'invalidScope');
      const [expired] = emu.seedPats(w.userId, w.org, [{ displayName: 'old', validFrom: '2026-01-01T00:00:00Z', validTo: '2026-02-01T00:00:00Z' }]);
      const ext = await pats('PUT', V72, { json: { authorizationId: expired.authorizationId, validTo: '2026-09-01T00:00:00Z' } });
      assert.strictEqual(ext.json<Result>().patTokenError, 'expiredPatCannotBeExtended');
      const unknownId = '0f0f0f0f-0000-4000-8000-000000000000';
      const unknown = await pats('PUT', V72, { json: { authorizationId: unknownId, displayName: 'x' } });
      assert.strictEqual(unknown.json<Result>().patTokenError, 'tokenNotFound');

      const del = await pats('DELETE', `${V72}&authorizationId=${pat.authorizationId}`);
      assert.strictEqual(del.status, 204);
      assert.strictEqual(del.text, '');
      assert.strictEqual((await pats('DELETE', `${V72}&authorizationId=${pat.authorizationId}`)).status, 404, 'server2022: revoking a revoked PAT is an error');
      assert.strictEqual((await pats('DELETE', `${V72}&authorizationId=${unknownId}`)).status, 404);
      assert.strictEqual((await pats('DELETE', `${V72}&authorizationId=nope`)).status, 400);
      const revokedGet = (await pats('GET', `${V72}&authorizationId=${pat.authorizationId}`)).json<Result>();
      assert.strictEqual(revokedGet.patTokenError, 'none', 'server2022: a revoked PAT is returned');
      assert.strictEqual(revokedGet.patToken?.authorizationId, pat.authorizationId);
      assert.deepStrictEqual(
        Object.keys(revokedGet.patToken ?? {}).sort(),
        ['authorizationId', 'displayName', 'scope', 'targetAccounts', 'token', 'validFrom', 'validTo'],
        'nothing marks it revoked',
      );
      assert.strictEqual((await pats('GET', `${V72}&authorizationId=not-a-guid`)).status, 400);
      const again = await pats('PUT', V72, { json: { authorizationId: pat.authorizationId, displayName: 'zombie' } });
      assert.strictEqual(again.json<Result>().patTokenError, 'tokenNotFound', 'only valid, unrevoked PATs can be updated');
      assert.strictEqual(emu.findPat(pat.authorizationId)?.revoked, true);

      emu.useProfile('alternative');
      assert.strictEqual((await pats('DELETE', `${V72}&authorizationId=${pat.authorizationId}`)).status, 204, 'alternative: revoke is idempotent');
      const alt = await pats('GET', `${V72}&authorizationId=${pat.authorizationId}`);
      assert.strictEqual(alt.status, 400, 'alternative: patTokenError in an HTTP 400');
      assert.strictEqual(alt.json<Result>().patTokenError, 'authorizationNotFound');
      emu.useProfile('mixed');
      const mixed = await pats('GET', `${V72}&authorizationId=${unknownId}`);
      assert.strictEqual(mixed.status, 404, 'mixed: an unknown id is a 404');
      assert.strictEqual(mixed.json().typeKey, 'SessionTokenNotFoundException');
    });

    it('server2022 stores scopes lower-cased and sorted and display names HTML-encoded; other profiles as sent', async () => {
      const made = (await create({ displayName: 'build & <deploy> "x" \'y\' é', scope: 'vso.Work vso.code' })).json<Result>().patToken;
      assert.strictEqual(made?.displayName, 'build &amp; &lt;deploy&gt; &quot;x&quot; &#39;y&#39; &#233;');
      assert.strictEqual(made?.scope, 'vso.code vso.work');
      emu.useProfile('alternative');
      const plain = (await create({ displayName: 'build & deploy', scope: 'vso.Work vso.code' })).json<Result>().patToken;
      assert.strictEqual(plain?.displayName, 'build & deploy');
      assert.strictEqual(plain?.scope, 'vso.Work vso.code');
    });

    it("does not show another user's PATs", async () => {
      const other = emu.addUser({ tenantId: w.tenantId }).id;
      const [theirs] = emu.seedPats(other, w.org, [{ displayName: 'theirs' }]);
      assert.strictEqual((await pats('GET', `${V72}&authorizationId=${theirs.authorizationId}`)).json<Result>().patTokenError, 'tokenNotFound');
      assert.strictEqual((await pats('GET', `${V72}&displayFilterOption=all`)).json<Page>().patTokens.length, 0);
    });
  });

  describe('list', () => {
    it('displayNameOffset (server2022): by name with row-offset tokens, so rows shift when a PAT goes between pages', async () => {
      emu.seedPats(
        w.userId,
        w.org,
        Array.from({ length: 150 }, (_, i) => ({ displayName: `p${String(i).padStart(3, '0')}` })),
      );
      const first = (await pats('GET', `${V72}&$top=100`)).json<Page>();
      assert.strictEqual(first.patTokens[0].displayName, 'p000');
      assert.strictEqual(first.continuationToken, '100');
      await pats('DELETE', `${V72}&authorizationId=${first.patTokens[0].authorizationId}`);
      const second = (await pats('GET', `${V72}&$top=100&continuationToken=100`)).json<Page>();
      assert.strictEqual(second.patTokens.length, 49);
      assert.strictEqual(second.patTokens[0].displayName, 'p101', 'p100 moved to the first page and is missed');
      assert.strictEqual(second.continuationToken, '');
      assert.strictEqual((await pats('GET', `${V72}&continuationToken=garbage!!`)).status, 400);
    });

    it('seeds 10,000 PATs fast and pages through all of them exactly once', async () => {
      const t0 = Date.now();
      const seeded = emu.seedPats(
        w.userId,
        w.org,
        Array.from({ length: 10_000 }, (_, i) => ({ displayName: `pat-${i}`, revoked: i % 10 === 0 })),
      );
      assert.ok(Date.now() - t0 < 1000, `seeding took ${Date.now() - t0} ms`);
      assert.strictEqual(seeded.length, 10_000);
      const all = await listAll('displayFilterOption=all&$top=1000');
      assert.strictEqual(all.length, 10_000);
      assert.strictEqual(new Set(all.map((p) => p.authorizationId)).size, 10_000);
      assert.ok(all.every((p) => p.token === null));
    });

    it('newestFirstKeyset: defaults to 20 active PATs newest first, clamps $top to 100 and pages with opaque tokens', async () => {
      emu.setVariant({ listOrder: 'newestFirstKeyset' });
      emu.seedPats(
        w.userId,
        w.org,
        Array.from({ length: 150 }, (_, i) => ({ displayName: `p${String(i).padStart(3, '0')}` })),
      );
      const first = (await pats('GET', V72)).json<Page>();
      assert.strictEqual(first.patTokens.length, 20);
      assert.strictEqual(first.patTokens[0].displayName, 'p149');
      assert.notStrictEqual(first.continuationToken, '');
      const big = (await pats('GET', `${V72}&$top=1000`)).json<Page>();
      assert.strictEqual(big.patTokens.length, 100);
      const rest = (await pats('GET', `${V72}&$top=1000&continuationToken=${encodeURIComponent(big.continuationToken)}`)).json<Page>();
      assert.strictEqual(rest.patTokens.length, 50);
      assert.strictEqual(rest.continuationToken, '');
      const mismatch = await pats('GET', `${V72}&isSortAscending=true&continuationToken=${encodeURIComponent(big.continuationToken)}`);
      assert.strictEqual(mismatch.status, 400);
      assert.strictEqual((await pats('GET', `${V72}&continuationToken=garbage!!`)).status, 400);
      assert.strictEqual((await pats('GET', `${V72}&$top=0`)).status, 400);
      assert.strictEqual((await pats('GET', `${V72}&displayFilterOption=bogus`)).status, 400);
    });

    it('filters by status and sorts by name, date or status', async () => {
      emu.seedPats(w.userId, w.org, [
        { displayName: 'Bravo', validFrom: '2026-05-01T00:00:00Z', validTo: '2026-07-01T00:00:00Z' },
        { displayName: 'alpha', validFrom: '2026-05-02T00:00:00Z', validTo: '2026-05-03T00:00:00Z' },
        { displayName: 'charlie', validFrom: '2026-05-03T00:00:00Z', revoked: true },
        { displayName: 'delta', validFrom: '2026-05-04T00:00:00Z', validTo: '2026-09-01T00:00:00Z' },
      ]);
      const names = async (q: string): Promise<string[]> => (await listAll(q)).map((p) => p.displayName);
      assert.deepStrictEqual(await names(''), ['Bravo', 'delta'], 'server2022: by name, ascending');
      emu.setVariant({ listOrder: 'newestFirstKeyset' });
      assert.deepStrictEqual(await names(''), ['delta', 'Bravo']);
      assert.deepStrictEqual(await names('displayFilterOption=EXPIRED'), ['alpha']);
      assert.deepStrictEqual(await names('displayFilterOption=revoked'), ['charlie']);
      assert.deepStrictEqual(await names('displayFilterOption=all&sortByOption=displayName&isSortAscending=true'), ['alpha', 'Bravo', 'charlie', 'delta']);
      assert.deepStrictEqual(await names('displayFilterOption=all&sortByOption=displayDate&isSortAscending=true'), ['Bravo', 'alpha', 'charlie', 'delta']);
      assert.deepStrictEqual(await names('displayFilterOption=all&sortByOption=status&isSortAscending=true'), ['Bravo', 'delta', 'alpha', 'charlie']);
      assert.deepStrictEqual(await names('displayFilterOption=all&sortByOption=displayName&$top=1'), ['delta', 'charlie', 'Bravo', 'alpha']);
    });
  });

  it('rate limits with 429, Retry-After and X-RateLimit headers', async () => {
    emu.setPolicy({ rateLimit: { maxRequests: 2, perSeconds: 60 } });
    assert.strictEqual((await pats('GET', V72)).status, 200);
    assert.strictEqual((await pats('GET', V72)).status, 200);
    const limited = await pats('GET', V72);
    assert.strictEqual(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    for (const h of ['x-ratelimit-resource', 'x-ratelimit-delay', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      assert.ok(limited.headers[h] !== undefined, h);
    }
    assert.strictEqual(limited.headers['x-ratelimit-limit'], '2');
  });
});
