import * as assert from 'assert';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { bearer, call, HttpResult, makeWorld, World } from './helpers';

interface GroupJson {
  id: number;
  name: string;
  type: string;
  description: string;
  variables: Record<string, { value: string | null; isSecret?: boolean }>;
  variableGroupProjectReferences: Array<{ name: string; projectReference: { id: string; name: string } }>;
}

describe('emulator: variable groups', function () {
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
      variables: { PLAIN: 'p', SECRET_RT: { value: 'old-refresh-token', isSecret: true }, KEEP_ME: 'k' },
    }).id;
  });

  const path = (suffix = ''): string => `/${w.org}/Proj/_apis/distributedtask/variablegroups${suffix}`;
  const get = (suffix: string, token = job): Promise<HttpResult> => call(emu, 'GET', path(suffix), { headers: bearer(token) });
  const put = (body: unknown, token = job): Promise<HttpResult> =>
    call(emu, 'PUT', path(`/${groupId}?api-version=7.1`), { headers: bearer(token), json: body });

  it('lists by name and gets by id with secrets hidden', async () => {
    const list = await get('?groupName=rotation&api-version=7.1');
    assert.strictEqual(list.status, 200, list.text);
    const body = list.json<{ count: number; value: GroupJson[] }>();
    assert.strictEqual(body.count, 1);
    const g = body.value[0];
    assert.strictEqual(g.type, 'Vsts');
    assert.deepStrictEqual(g.variables.SECRET_RT, { isSecret: true, value: null });
    assert.deepStrictEqual(g.variables.PLAIN, { value: 'p' });
    assert.strictEqual(g.variableGroupProjectReferences[0].projectReference.name, 'Proj');
    assert.strictEqual((await get('?groupName=nothing&api-version=7.1')).json<{ count: number }>().count, 0);
    assert.strictEqual((await get(`/${groupId}?api-version=7.1`)).json<GroupJson>().name, 'rotation');
    assert.strictEqual((await get('/999?api-version=7.1')).status, 404);
    assert.strictEqual((await get(`/${groupId}`)).status, 400, 'api-version required');
  });

  it('PUT replaces the whole variable set: left-out variables are deleted, null secrets are kept', async () => {
    const current = (await get(`/${groupId}?api-version=7.1`)).json<GroupJson>();
    const res = await put({
      name: current.name,
      type: 'Vsts',
      description: current.description,
      variables: { PLAIN: { value: 'p2' }, SECRET_RT: { isSecret: true, value: null } },
      variableGroupProjectReferences: current.variableGroupProjectReferences,
    });
    assert.strictEqual(res.status, 200, res.text);
    assert.deepStrictEqual(Object.keys(res.json<GroupJson>().variables), ['PLAIN', 'SECRET_RT']);
    const stored = emu.getVariableGroup(w.org, 'Proj', groupId);
    assert.ok(stored);
    assert.strictEqual(stored.variables.KEEP_ME, undefined, 'the variable left out is gone');
    assert.deepStrictEqual(stored.variables.SECRET_RT, { value: 'old-refresh-token', isSecret: true });
    assert.strictEqual(stored.variables.PLAIN.value, 'p2');

    await put({ name: 'rotation', variables: { SECRET_RT: { isSecret: true, value: 'new-refresh-token' } } });
    assert.deepStrictEqual(emu.getVariableGroup(w.org, 'Proj', 'rotation')?.variables, { SECRET_RT: { value: 'new-refresh-token', isSecret: true } });
    const rec = emu.requests.filter((r) => r.kind === 'variablegroups' && r.method === 'PUT').pop();
    assert.ok(rec && !JSON.stringify(rec.body).includes('new-refresh-token'), 'secret values are not recorded');
    assert.strictEqual((await put({ variables: {} })).status, 400);
  });

  it('enforces the Administrator role and the organization of the job token', async () => {
    const locked = emu.addVariableGroup({ org: w.org, project: 'Proj', name: 'locked', variables: { A: 'a' }, administrators: 'none' });
    const denied = await call(emu, 'PUT', path(`/${locked.id}?api-version=7.1`), { headers: bearer(job), json: { name: 'locked', variables: {} } });
    assert.strictEqual(denied.status, 403);
    assert.match(String(denied.json().message), /Administrator/);
    assert.deepStrictEqual(emu.getVariableGroup(w.org, 'Proj', locked.id)?.variables, { A: { value: 'a', isSecret: false } });
    const foreign = emu.issueJobToken('someone-else');
    assert.strictEqual((await get('?api-version=7.1', foreign)).status, 401);
    assert.strictEqual((await call(emu, 'GET', path('?api-version=7.1'))).status, 302);
  });

  it('accepts a live PAT with a variable group scope as Basic credentials', async () => {
    const [pat] = emu.seedPats(w.userId, w.org, [{ displayName: 'vg', scope: 'vso.variablegroups_read' }]);
    const basic = { authorization: `Basic ${Buffer.from(`:${pat.token}`).toString('base64')}` };
    assert.strictEqual((await call(emu, 'GET', path('?api-version=7.1'), { headers: basic })).status, 200);
    assert.strictEqual((await call(emu, 'PUT', path(`/${groupId}?api-version=7.1`), { headers: basic, json: { name: 'x', variables: {} } })).status, 401);
    assert.strictEqual((await get('?api-version=7.1', w.accessToken)).status, 401, 'the Entra token only holds PAT scopes');
  });
});
