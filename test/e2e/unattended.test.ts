/**
 * Unattended for months: the refresh token (and a new PAT) stored in a variable group on every run, through
 * the job's own token, without losing the group's other variables; expiry monitoring and the run summary.
 */
import * as assert from 'node:assert/strict';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';

const PROJECT = 'Platform';

describe('end to end: unattended rotation', function () {
  this.timeout(60_000);
  let w: World;
  let jobToken: string;
  before(async () => {
    w = await startWorld();
    jobToken = w.emu.issueJobToken(ORG);
  });
  after(async () => w.emu.close());
  beforeEach(() => w.emu.clearRequests());

  const pipeline = { collectionUri: '', variables: { 'System.TeamProject': PROJECT } };
  const runInPipeline = (inputs: Record<string, string>) => w.run(inputs, { ...pipeline, collectionUri: `${w.emu.url}/${ORG}/`, jobToken });

  it('rotate stores the new PAT and the new refresh token; every other variable survives', async () => {
    const group = w.emu.addVariableGroup({
      org: ORG,
      project: PROJECT,
      name: 'pat-rotation',
      variables: { Plain: 'keep me', OtherSecret: { value: 'other-secret-value', isSecret: true }, FeedToken: { value: 'old', isSecret: true } },
    });
    const [old] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'feed', scope: 'vso.packaging' }]);
    const run = await runInPipeline({
      operation: 'rotate',
      displayName: 'feed',
      variableGroup: 'pat-rotation',
      tokenVariable: 'FeedToken',
      allowSharedGroup: 'true',
    });
    succeeded(run);
    const stored = w.emu.getVariableGroup(ORG, PROJECT, group.id)!;
    assert.deepEqual(stored.variables.Plain, { value: 'keep me', isSecret: false });
    assert.deepEqual(stored.variables.OtherSecret, { value: 'other-secret-value', isSecret: true });
    assert.equal(stored.variables.FeedToken.value, run.variables.Token.value);
    assert.ok(stored.variables.FeedToken.isSecret);
    assert.equal(stored.variables['PatLifecycle.RefreshToken'].value, run.variables.RefreshToken.value);
    assert.ok(stored.variables['PatLifecycle.RefreshToken'].isSecret);
    assert.equal(w.emu.checkPat(old.token, ORG), 'revoked');
    // Order: create, persist, set outputs, revoke old.
    const kinds = w.emu.requests.map((r) => `${r.kind} ${r.method}`);
    // The group is read (which PAT it holds), written, and read back (the write stuck) before the old PAT goes.
    assert.deepEqual(
      kinds,
      ['token POST', 'pats GET', 'variablegroups GET', 'pats POST', 'connectiondata GET', 'variablegroups PUT', 'variablegroups GET', 'pats DELETE'],
      kinds.join(', '),
    );
    assert.ok(
      run.warnings.some((m) => /share variable group 'pat-rotation' \(allowSharedGroup\): every pipeline linked to it can read the refresh token/.test(m)),
      explain(run),
    );
    assert.deepEqual(stored.variables['FeedToken.AuthorizationId'], { value: run.variables.AuthorizationId.value, isSecret: false });
    assert.match(run.summaries[0], /stored as secret variable PatLifecycle\.RefreshToken in variable group 'pat-rotation'/);
  });

  it('two groups: the refresh token stays in the rotation group, the PAT goes to the group its users link', async () => {
    const own = w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'rotation-own', variables: {} });
    const consumers = w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'feed-consumers', variables: { Registry: 'https://pkgs.example' } });
    const [old] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'feed-2', scope: 'vso.packaging' }]);
    const run = await runInPipeline({
      operation: 'rotate',
      displayName: 'feed-2',
      variableGroup: 'rotation-own',
      tokenVariableGroup: 'feed-consumers',
      tokenVariable: 'FeedToken',
    });
    succeeded(run);
    const ownVars = w.emu.getVariableGroup(ORG, PROJECT, own.id)!.variables;
    const consumerVars = w.emu.getVariableGroup(ORG, PROJECT, consumers.id)!.variables;
    assert.deepEqual(Object.keys(ownVars), ['PatLifecycle.RefreshToken'], 'the rotation group holds the refresh token only');
    assert.equal(ownVars['PatLifecycle.RefreshToken'].value, run.variables.RefreshToken.value);
    assert.deepEqual(Object.keys(consumerVars).sort(), ['FeedToken', 'FeedToken.AuthorizationId', 'Registry'], 'the consumers group holds no refresh token');
    assert.equal(consumerVars.FeedToken.value, run.variables.Token.value);
    assert.equal(w.emu.checkPat(old.token, ORG), 'revoked');
    assert.ok(run.warnings.length === 0, explain(run));
  });

  it('one group for both is refused before any request unless allowSharedGroup', async () => {
    const run = await runInPipeline({ operation: 'rotate', displayName: 'feed', variableGroup: 'pat-rotation', tokenVariable: 'FeedToken' });
    failed(run, /'tokenVariable' needs 'tokenVariableGroup'.*allowSharedGroup: true/);
    const same = await runInPipeline({
      operation: 'rotate',
      displayName: 'feed',
      variableGroup: 'pat-rotation',
      tokenVariableGroup: 'pat-rotation',
      tokenVariable: 'FeedToken',
    });
    failed(same, /are both 'pat-rotation'.*set allowSharedGroup: true/);
    assert.equal(w.emu.requests.length, 0);
  });

  it('a pipeline that reads its refresh token from the group runs again and again with no person', async () => {
    const group = w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'daily', variables: {} });
    const seedToken = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId: w.clientId, userId: w.userId });
    let refreshToken = seedToken;
    for (let day = 1; day <= 3; day++) {
      const run = await w.run(
        { operation: 'list', refreshToken, variableGroup: String(group.id) },
        { ...pipeline, collectionUri: `${w.emu.url}/${ORG}`, jobToken },
      );
      succeeded(run);
      const next = w.emu.getVariableGroup(ORG, PROJECT, group.id)!.variables['PatLifecycle.RefreshToken'].value;
      assert.notEqual(next, refreshToken, `day ${day}: a new refresh token was stored`);
      refreshToken = next;
    }
  });

  it('without the Administrator role: the new PAT is revoked, the old kept, and the message says which permission', async () => {
    w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'locked', variables: { Keep: 'x' }, administrators: 'none' });
    const [old] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'locked-feed', scope: 'vso.packaging' }]);
    const run = await runInPipeline({ operation: 'rotate', displayName: 'locked-feed', tokenVariableGroup: 'locked', tokenVariable: 'FeedToken' });
    failed(run, /needs the Administrator role/);
    assert.equal(w.emu.checkPat(old.token, ORG), 'active');
    const live = w.emu.listPats(w.userId).filter((p) => p.displayName === 'locked-feed' && p.status === 'active');
    assert.equal(live.length, 1, 'no undelivered PAT left active');
    assert.equal(run.variables.Token, undefined, 'no output for a PAT that was revoked');
  });

  it('an unknown variable group is named in the error', async () => {
    const run = await runInPipeline({ operation: 'list', variableGroup: 'no-such-group' });
    failed(run, /Variable group 'no-such-group' was not found/);
  });

  describe('expiry monitoring', () => {
    it('warns naming the PATs that expire soon, and the summary flags them', async () => {
      const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
      w.emu.seedPats(w.userId, ORG, [
        { displayName: 'mon-soon', scope: 'vso.code', validTo: soon },
        { displayName: 'mon-later', scope: 'vso.code' },
      ]);
      const run = await w.run({ operation: 'list', displayName: 'mon-*', warnOnExpiringWithinDays: '7' });
      assert.equal(run.result?.result, 'SucceededWithIssues', explain(run));
      assert.ok(
        run.warnings.some((m) => /mon-soon/.test(m) && !/mon-later/.test(m)),
        explain(run),
      );
      const summary = run.summaries[0];
      assert.match(summary, /\| mon-soon \|.*\| \*\*expiring\*\* \|/);
      assert.match(summary, /\| mon-later \|.*\| active \|/);
    });

    it('fails when told to', async () => {
      const run = await w.run({ operation: 'list', displayName: 'mon-*', failOnExpiringWithinDays: '5' });
      failed(run, /expire within 5 days: mon-soon/);
    });
  });
});

describe('end to end: unattended mode without the job token', function () {
  this.timeout(30_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());

  it('fails before any request, naming what the agent did not pass and why', async () => {
    const run = await w.run({ operation: 'list', variableGroup: 'pat-rotation' }, { variables: { 'System.TeamProject': PROJECT } });
    failed(run, /needs the job's access token \(the SystemVssConnection endpoint\), System\.CollectionUri and System\.TeamProject/);
    const message = run.result?.message ?? '';
    assert.match(message, /not running as a step of an agent job/);
    // No switch gives a task the job token: the classic "Allow scripts to access the OAuth token" only adds System.AccessToken.
    assert.doesNotMatch(message, /enable 'Allow scripts/i);
    assert.equal(w.emu.requests.length, 0);
  });
});
