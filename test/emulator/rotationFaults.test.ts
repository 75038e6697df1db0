// Failure modes a rotation must survive, played by the emulator over HTTPS: the service's own clock in the Date
// header, writes that happen although the answer says otherwise (or not although it says so), hostile list pages,
// and gates that hold a request to order overlapping runs or kill a client at a chosen point.
import * as assert from 'assert';
import { Emulator, startEmulator, type RequestRecord } from '../../emulator/src/index';
import { bearer, call, HttpResult, makeWorld, V72, World } from './helpers';

interface PatJson {
  authorizationId: string;
  displayName: string;
  validFrom: string;
  token?: string | null;
}
interface CreateJson {
  patToken: PatJson | null;
  patTokenError: string;
}
interface Page {
  continuationToken: string;
  patTokens: PatJson[];
}
interface GroupJson {
  name: string;
  variables: Record<string, { value: string | null; isSecret?: boolean }>;
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const MINUTE = 60_000;

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('emulator: rotation failure modes', function () {
  let emu: Emulator;
  let w: World;
  let job: string;
  let groupId: number;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.reset();
    w = makeWorld(emu, `org${Math.random().toString(36).slice(2, 8)}`);
    job = emu.issueJobToken(w.org);
    groupId = emu.addVariableGroup({
      org: w.org,
      project: 'Proj',
      name: 'rotation',
      variables: { PAT_ID: 'old-id', PAT: { value: 'old-pat', isSecret: true }, REFRESH_TOKEN: { value: 'old-rt', isSecret: true } },
    }).id;
  });

  const pats = (method: string, query = V72, json?: unknown): Promise<HttpResult> =>
    call(emu, method, `/${w.org}/_apis/tokens/pats?${query}`, { headers: bearer(w.accessToken), json });
  const create = (name = 'rotated'): Promise<HttpResult> =>
    pats('POST', V72, { displayName: name, scope: 'vso.code', validTo: new Date(emu.now().getTime() + 864e5).toISOString(), allOrgs: false });
  const groupPath = `/${'{org}'}/Proj/_apis/distributedtask/variablegroups/`;
  const putGroup = (variables: Record<string, { value: string | null; isSecret?: boolean }>): Promise<HttpResult> =>
    call(emu, 'PUT', `${groupPath.replace('{org}', w.org)}${groupId}?api-version=7.1`, { headers: bearer(job), json: { name: 'rotation', variables } });
  const newVariables = { PAT_ID: { value: 'new-id' }, PAT: { value: 'new-pat', isSecret: true }, REFRESH_TOKEN: { value: 'new-rt', isSecret: true } };
  const stored = (): Record<string, string> =>
    Object.fromEntries(Object.entries(emu.getVariableGroup(w.org, 'Proj', groupId)?.variables ?? {}).map(([k, v]) => [k, v.value]));

  describe('Date header from the emulator clock', () => {
    /** Sets the emulator clock, with an access token valid at that time. */
    const setNow = (date: string): void => {
      emu.setNow(date);
      w.accessToken = emu.issueAccessToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId });
    };

    it('every answer carries an IMF-fixdate Date from the emulator clock, faults and errors included', async () => {
      setNow('2030-01-02T03:04:05.678Z');
      const expected = 'Wed, 02 Jan 2030 03:04:05 GMT';
      const answers = [await pats('GET'), await call(emu, 'GET', '/nothing-here'), await call(emu, 'GET', `/${w.org}/_apis/tokens/pats?${V72}`)];
      emu.injectFault({ match: { kind: 'pats' }, type: 'status', status: 503 });
      answers.push(await pats('GET'));
      assert.deepStrictEqual(
        answers.map((a) => a.status),
        [200, 404, 302, 503],
      );
      for (const a of answers) {
        assert.match(String(a.headers.date), IMF_FIXDATE);
        assert.strictEqual(a.headers.date, expected);
      }
    });

    it('a created PAT has the validFrom the Date header of its answer says', async () => {
      setNow('2031-06-07T08:09:10.250Z');
      const res = await create();
      const pat = res.json<CreateJson>().patToken;
      assert.ok(pat, res.text);
      assert.strictEqual(res.headers.date, 'Sat, 07 Jun 2031 08:09:10 GMT');
      assert.strictEqual(Math.floor(Date.parse(pat.validFrom) / 1000) * 1000, Date.parse(String(res.headers.date)));
    });

    it('advanceTime(15 min) puts the service 15 minutes ahead of the client: validFrom and Date both say so', async () => {
      emu.advanceTime(15 * MINUTE);
      const before = Date.now();
      const res = await create();
      const after = Date.now();
      const pat = res.json<CreateJson>().patToken;
      assert.ok(pat, res.text);
      const validFrom = Date.parse(pat.validFrom);
      assert.ok(
        validFrom >= before + 15 * MINUTE - 5 && validFrom <= after + 15 * MINUTE + 5,
        `validFrom ${pat.validFrom}, client clock ${new Date(after).toISOString()}`,
      );
      const date = Date.parse(String(res.headers.date));
      assert.ok(date >= Math.floor((before + 15 * MINUTE) / 1000) * 1000 && date <= after + 15 * MINUTE, `Date ${String(res.headers.date)}`);
      assert.ok(Math.abs(date - validFrom) < 1000, 'the Date header and validFrom agree');
      assert.strictEqual(emu.findPat(pat.authorizationId)?.status, 'active');
    });
  });

  describe('writes the answer misreports', () => {
    it('commitThenStatus: create, update and revoke are performed, then answered with a gateway 504 (default) or the status given', async () => {
      emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'commitThenStatus' });
      const created = await create('lost-answer');
      assert.strictEqual(created.status, 504);
      assert.match(created.text, /<html>.*504 Gateway error/);
      assert.strictEqual(created.headers['content-type'], 'text/html; charset=utf-8');
      const [pat] = emu.listPats(w.userId);
      assert.strictEqual(pat?.displayName, 'lost-answer');
      assert.strictEqual(pat.status, 'active', 'the PAT exists although the answer said 504');

      emu.injectFault({ match: { kind: 'pats', method: 'PUT' }, type: 'commitThenStatus', status: 500 });
      const updated = await pats('PUT', V72, { authorizationId: pat.authorizationId, displayName: 'renamed' });
      assert.strictEqual(updated.status, 500);
      assert.strictEqual(updated.json().typeKey, 'VssServiceException');
      assert.strictEqual(emu.findPat(pat.authorizationId)?.displayName, 'renamed');

      emu.injectFault({ match: { kind: 'pats', method: 'DELETE' }, type: 'commitThenStatus', status: 503 });
      const revoked = await pats('DELETE', `${V72}&authorizationId=${pat.authorizationId}`);
      assert.strictEqual(revoked.status, 503);
      assert.match(String(revoked.json().message), /^TF10216/);
      assert.strictEqual(emu.findPat(pat.authorizationId)?.status, 'revoked');

      emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'commitThenStatus', status: 502 });
      const put = await putGroup(newVariables);
      assert.strictEqual(put.status, 502);
      assert.deepStrictEqual(stored(), { PAT_ID: 'new-id', PAT: 'new-pat', REFRESH_TOKEN: 'new-rt' });
      assert.deepStrictEqual(
        emu.requests.map((r) => `${r.method} ${r.status} ${r.fault ?? '-'}`),
        ['POST 504 commitThenStatus', 'PUT 500 commitThenStatus', 'DELETE 503 commitThenStatus', 'PUT 502 commitThenStatus'],
      );
    });

    it('resetAfterCommit performs update, revoke and the variable group write, then resets the connection', async () => {
      const [pat] = emu.seedPats(w.userId, w.org, [{ displayName: 'kept' }]);
      const reset = (err: NodeJS.ErrnoException): boolean => err.code === 'ECONNRESET';
      emu.injectFault({ match: { kind: 'pats', method: 'PUT' }, type: 'resetAfterCommit' });
      await assert.rejects(pats('PUT', V72, { authorizationId: pat.authorizationId, displayName: 'renamed' }), reset);
      assert.strictEqual(emu.findPat(pat.authorizationId)?.displayName, 'renamed');
      emu.injectFault({ match: { kind: 'pats', method: 'DELETE' }, type: 'resetAfterCommit' });
      await assert.rejects(pats('DELETE', `${V72}&authorizationId=${pat.authorizationId}`), reset);
      assert.strictEqual(emu.findPat(pat.authorizationId)?.status, 'revoked');
      emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'resetAfterCommit' });
      await assert.rejects(putGroup(newVariables), reset);
      assert.strictEqual(stored().PAT, 'new-pat');
    });

    it('commitWithoutToken: the create answer lacks the secret (missing, null or a string in its place); the PAT stays active', async () => {
      const cases: Array<[string, (pat: PatJson) => void]> = [
        ['missing', (p) => assert.ok(!('token' in p))],
        ['null', (p) => assert.strictEqual(p.token, null)],
        [
          'line one\nline two\r\n##vso[task.complete result=Succeeded]',
          (p) => assert.strictEqual(p.token, 'line one\nline two\r\n##vso[task.complete result=Succeeded]'),
        ],
      ];
      for (const [as, check] of cases) {
        emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'commitWithoutToken', answerTokenAs: as });
        const res = await create(`no-token-${cases.findIndex((c) => c[0] === as)}`);
        assert.strictEqual(res.status, 200);
        const body = res.json<CreateJson>();
        assert.strictEqual(body.patTokenError, 'none');
        assert.ok(body.patToken);
        check(body.patToken);
        const kept = emu.findPat(body.patToken.authorizationId);
        assert.strictEqual(kept?.status, 'active');
        assert.strictEqual(kept.displayName, body.patToken.displayName);
        assert.notStrictEqual(kept.token, body.patToken.token);
        assert.strictEqual(emu.checkPat(kept.token, w.org), 'active');
      }
      assert.strictEqual(emu.listPats(w.userId).length, 3);
      const plain = (await create('with-token')).json<CreateJson>();
      assert.strictEqual(typeof plain.patToken?.token, 'string', 'the fault applies once');
    });

    it('ignoreWrite: the variable group update is answered as if made, and nothing is stored', async () => {
      const before = emu.getVariableGroup(w.org, 'Proj', groupId);
      emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'ignoreWrite' });
      const res = await putGroup(newVariables);
      assert.strictEqual(res.status, 200, res.text);
      const answered = res.json<GroupJson>();
      assert.deepStrictEqual(answered.variables, {
        PAT_ID: { value: 'new-id' },
        PAT: { isSecret: true, value: null },
        REFRESH_TOKEN: { isSecret: true, value: null },
      });
      assert.deepStrictEqual(emu.getVariableGroup(w.org, 'Proj', groupId), before, 'nothing stored, not even modifiedOn');
      assert.deepStrictEqual(stored(), { PAT_ID: 'old-id', PAT: 'old-pat', REFRESH_TOKEN: 'old-rt' });
      assert.strictEqual((await putGroup(newVariables)).status, 200);
      assert.strictEqual(stored().PAT, 'new-pat', 'the next write is stored');
    });

    it('dropVariables: the write is stored without the named variables (any case) and the answer shows what was stored', async () => {
      emu.injectFault({ match: { kind: 'variablegroups', method: 'PUT' }, type: 'dropVariables', variables: ['refresh_token', 'Pat'] });
      const res = await putGroup(newVariables);
      assert.strictEqual(res.status, 200, res.text);
      assert.deepStrictEqual(Object.keys(res.json<GroupJson>().variables), ['PAT_ID']);
      assert.deepStrictEqual(stored(), { PAT_ID: 'new-id' });
      assert.deepStrictEqual((emu.requests[0].body as GroupJson).variables.PAT_ID, { value: 'new-id' }, 'the record shows what the client sent');
      assert.ok('REFRESH_TOKEN' in (emu.requests[0].body as GroupJson).variables);
    });

    it('refuses a fault for the wrong kind of request, and dropVariables without names', () => {
      assert.throws(() => emu.injectFault({ match: { kind: 'pats' }, type: 'ignoreWrite' }), /variablegroups PUT/);
      assert.throws(() => emu.injectFault({ match: { kind: 'variablegroups' }, type: 'commitWithoutToken' }), /pats POST/);
      assert.throws(() => emu.injectFault({ match: { kind: 'variablegroups' }, type: 'dropVariables' }), /needs variables/);
    });
  });

  describe('hostile list pages', () => {
    const page = async (query: string): Promise<Page> => {
      const res = await pats('GET', `${V72}&${query}`);
      assert.strictEqual(res.status, 200, res.text);
      return res.json<Page>();
    };

    it('repeatRows: the page starts with the first rows of the first page again (default 3)', async () => {
      emu.seedPats(
        w.userId,
        w.org,
        Array.from({ length: 8 }, (_, i) => ({ displayName: `p${i}` })),
      );
      const first = await page('$top=3');
      const realSecond = await page(`$top=3&continuationToken=${encodeURIComponent(first.continuationToken)}`);
      emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'repeatRows' });
      const second = await page(`$top=3&continuationToken=${encodeURIComponent(first.continuationToken)}`);
      const ids = (p: Page): string[] => p.patTokens.map((t) => t.authorizationId);
      assert.deepStrictEqual(ids(second), [...ids(first), ...ids(realSecond)]);
      assert.strictEqual(second.continuationToken, realSecond.continuationToken);
      emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'repeatRows', count: 1 });
      const firstAgain = await page('$top=3');
      assert.deepStrictEqual(ids(firstAgain), [ids(first)[0], ...ids(first)], 'duplicates within the first page too');
    });

    for (const profile of ['server2022', 'alternative'] as const) {
      it(`endlessPages (${profile}): the first page again with a fresh token each time; a real answer once spent`, async () => {
        emu.useProfile(profile);
        emu.seedPats(
          w.userId,
          w.org,
          Array.from({ length: 5 }, (_, i) => ({ displayName: `p${i}` })),
        );
        const real = await page('$top=2');
        emu.injectFault({ match: { kind: 'pats', method: 'GET' }, type: 'endlessPages', times: 4 });
        const tokens = new Set<string>([real.continuationToken]);
        let token = real.continuationToken;
        for (let i = 0; i < 4; i++) {
          const p = await page(`$top=2&continuationToken=${encodeURIComponent(token)}`);
          assert.deepStrictEqual(p.patTokens, real.patTokens);
          assert.ok(p.continuationToken !== '' && !tokens.has(p.continuationToken), `token ${p.continuationToken} is new`);
          tokens.add(p.continuationToken);
          token = p.continuationToken;
        }
        const after = await pats('GET', `${V72}&$top=2&continuationToken=${encodeURIComponent(token)}`);
        assert.strictEqual(after.status, 200, after.text);
        assert.ok(Array.isArray(after.json<Page>().patTokens));
      });
    }
  });

  describe('gates', () => {
    it("'before' holds a create unperformed while other requests go on; release performs and answers it", async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' });
      const pending = create('held');
      const record = await gate.arrived;
      assert.strictEqual(record.method, 'POST');
      assert.strictEqual(record.gate, 'held');
      assert.strictEqual(gate.hits, 1);
      assert.strictEqual(gate.holding, 1);
      assert.strictEqual(emu.listPats(w.userId).length, 0, 'not performed while held');
      assert.strictEqual((await pats('GET')).status, 200, 'an unrelated request is answered meanwhile');
      assert.strictEqual((await putGroup(newVariables)).status, 200, 'and a write of another kind');
      assert.strictEqual((await create('second')).status, 200, 'and a later create: the gate holds only the first match');
      assert.deepStrictEqual(
        emu.listPats(w.userId).map((p) => p.displayName),
        ['second'],
      );
      gate.release();
      const res = await pending;
      assert.strictEqual(res.status, 200);
      assert.strictEqual(record.gate, 'released');
      assert.strictEqual(record.status, 200);
      assert.deepStrictEqual(
        emu.listPats(w.userId).map((p) => p.displayName),
        ['second', 'held'],
      );
      assert.strictEqual(gate.hits, 1);
      assert.strictEqual(gate.holding, 0);
    });

    it("'afterCommit' performs the request and holds its answer", async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' }, { when: 'afterCommit' });
      let answered = false;
      const pending = create('committed').then((r) => ((answered = true), r));
      await gate.arrived;
      assert.strictEqual(emu.listPats(w.userId).length, 1, 'performed');
      await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(answered, false, 'the answer is held');
      gate.release();
      const res = await pending;
      assert.strictEqual(res.status, 200);
      assert.strictEqual(res.json<CreateJson>().patToken?.authorizationId, emu.listPats(w.userId)[0].authorizationId);
    });

    it("a client that closes its connection while held 'before' drops the request: never performed, even after release", async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' });
      const pending = call(emu, 'POST', `/${w.org}/_apis/tokens/pats?${V72}`, {
        headers: bearer(w.accessToken),
        json: { displayName: 'abandoned', scope: 'vso.code', validTo: new Date(Date.now() + 864e5).toISOString(), allOrgs: false },
        timeoutMs: 200,
      });
      const record = await gate.arrived;
      await assert.rejects(pending, (err: NodeJS.ErrnoException) => err.code === 'ETIMEDOUT_TEST');
      await until('the emulator sees the connection close', () => record.gate === 'dropped');
      gate.release();
      await new Promise((r) => setTimeout(r, 50));
      assert.strictEqual(emu.listPats(w.userId).length, 0);
      assert.strictEqual(record.status, 0);
    });

    it("a client that goes away while the answer is held 'afterCommit' leaves the write done and gets nothing", async () => {
      const gate = emu.gate({ kind: 'variablegroups', method: 'PUT' }, { when: 'afterCommit' });
      const pending = call(emu, 'PUT', `${groupPath.replace('{org}', w.org)}${groupId}?api-version=7.1`, {
        headers: bearer(job),
        json: { name: 'rotation', variables: newVariables },
        timeoutMs: 200,
      });
      const record = await gate.arrived;
      await assert.rejects(pending, (err: NodeJS.ErrnoException) => err.code === 'ETIMEDOUT_TEST');
      await until('the emulator sees the connection close', () => record.gate === 'dropped');
      gate.release();
      assert.strictEqual(stored().PAT, 'new-pat');
      assert.strictEqual(record.status, 0);
    });

    it('times: holds several matches at once (arrival(n)); release lets all of them go', async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' }, { times: 2 });
      const a = create('first');
      const b = create('second');
      const [r1, r2] = await Promise.all([gate.arrival(1), gate.arrival(2)]);
      assert.notStrictEqual(r1.seq, r2.seq);
      assert.strictEqual(gate.holding, 2);
      assert.strictEqual(emu.listPats(w.userId).length, 0);
      gate.release();
      assert.deepStrictEqual(
        (await Promise.all([a, b])).map((r) => r.status),
        [200, 200],
      );
      assert.strictEqual(emu.listPats(w.userId).length, 2);
      assert.strictEqual((await create('third')).status, 200, 'spent after two');
    });

    it('a fault injected while a request is held applies when it is released', async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' });
      const pending = create('late fault');
      await gate.arrived;
      emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'commitThenStatus' });
      gate.release();
      assert.strictEqual((await pending).status, 504);
      assert.strictEqual(emu.listPats(w.userId).length, 1);
    });

    it('reset() drops held requests unperformed and removes the gates; remove() lets held requests go', async () => {
      const gate = emu.gate({ kind: 'pats', method: 'POST' });
      const pending = create('reset');
      const record: RequestRecord = await gate.arrived;
      emu.reset();
      await assert.rejects(
        pending,
        (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || err.code === 'ECONNREFUSED' || /socket hang up/.test(err.message),
      );
      assert.strictEqual(record.gate, 'dropped');
      gate.release();
      assert.strictEqual(emu.listPats(w.userId).length, 0);
      emu.gate({ kind: 'pats', method: 'POST' });
      emu.reset();
      assert.strictEqual((await create('after reset')).status, 200, 'no gate left after reset');

      const kept = emu.gate({ kind: 'pats', method: 'POST' });
      const released = create('removed gate');
      await kept.arrived;
      kept.remove();
      assert.strictEqual((await released).status, 200);
      assert.strictEqual((await create('no gate')).status, 200);
    });
  });
});
