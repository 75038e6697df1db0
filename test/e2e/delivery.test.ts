/**
 * Deliver the new PAT where it is used, check it works, and only then revoke the old one (issue 12): service
 * connections of every kind that holds a PAT, Azure Key Vault through an Azure Resource Manager service connection
 * (workload identity federation and a secret), verification before anything old is revoked, refusals, and a
 * delivery that succeeds in some targets and fails in others. The packaged task against the emulator.
 */
import * as assert from 'node:assert/strict';
import { PROFILE_NAMES, type ServiceEndpointType } from '../../emulator/src';
import type { AgentRun } from '../../scripts/lib/agentRunner';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';

const PROJECT = 'Platform';
const NAME = 'feed';

describe('end to end: delivery to where the PAT is used', function () {
  this.timeout(120_000);
  let w: World;
  let jobToken: string;
  let seq = 0;
  before(async () => {
    w = await startWorld();
    jobToken = w.emu.issueJobToken(ORG);
  });
  after(async () => w.emu.close());
  beforeEach(() => w.emu.reset());

  function rotate(inputs: Record<string, string>, extra: Parameters<World['run']>[1] = {}): Promise<AgentRun> {
    return w.run(
      { operation: 'rotate', displayName: NAME, ...inputs },
      { collectionUri: `${w.emu.url}/${ORG}/`, jobToken, ...extra, variables: { 'System.TeamProject': PROJECT, ...extra.variables } },
    );
  }

  const old = () => w.emu.seedPats(w.userId, ORG, [{ displayName: NAME, scope: 'vso.packaging' }])[0];
  const activeOfName = () => w.emu.listPats(w.userId).filter((p) => p.displayName === NAME && p.status === 'active');

  describe('service connections', () => {
    const kinds: Array<{ type: ServiceEndpointType; scheme: string; field: string; others: Record<string, string> }> = [
      { type: 'externaltfs', scheme: 'Token', field: 'apitoken', others: {} },
      { type: 'externaltfs', scheme: 'UsernamePassword', field: 'password', others: { username: 'ci-bot' } },
      { type: 'git', scheme: 'UsernamePassword', field: 'password', others: { username: 'ci-bot' } },
      { type: 'externalnpmregistry', scheme: 'Token', field: 'apitoken', others: {} },
      { type: 'externalnugetfeed', scheme: 'None', field: 'nugetkey', others: {} },
      { type: 'externalnugetfeed', scheme: 'UsernamePassword', field: 'password', others: { username: 'ci-bot' } },
      { type: 'generic', scheme: 'UsernamePassword', field: 'password', others: { username: 'ci-bot' } },
      {
        type: 'dockerregistry',
        scheme: 'UsernamePassword',
        field: 'password',
        others: { registry: 'https://registry.example', username: 'ci-bot', email: 'ci@example.com' },
      },
    ];

    for (const profile of PROFILE_NAMES)
      it(`${profile}: each kind that holds a PAT gets the new one in its secret field; everything else is kept`, async () => {
        w.emu.useProfile(profile);
        await everyKind();
      });

    async function everyKind(): Promise<void> {
      const previous = old();
      const endpoints = kinds.map((k) => {
        const name = `${k.type}-${k.scheme}-${++seq}`;
        const { id } = w.emu.addServiceEndpoint({
          org: ORG,
          project: PROJECT,
          name,
          type: k.type,
          scheme: k.scheme,
          url: 'https://pkgs.example/feed',
          parameters: { ...k.others, [k.field]: previous.token },
          data: { keep: 'this' },
        });
        return { ...k, id, name };
      });
      // Names and ids, one per line or with commas: both select.
      const selection = endpoints.map((e, i) => (i % 2 === 0 ? e.name : e.id)).join(',\n');
      const run = await rotate({ serviceConnection: selection });
      succeeded(run);
      const fresh = run.variables.Token.value;
      for (const e of endpoints) {
        const stored = w.emu.getServiceEndpoint(ORG, e.id)!;
        assert.equal(stored.parameters[e.field], fresh, `${e.name}: the secret field holds the new PAT`);
        for (const [k, v] of Object.entries(e.others)) assert.equal(stored.parameters[k], v, `${e.name}: ${k} kept`);
        assert.equal(stored.data.keep, 'this', `${e.name}: data kept`);
        assert.equal(stored.url, 'https://pkgs.example/feed');
        assert.ok(
          run.log.some((l) => l.includes(`service connection '`) && l.includes('now holds the new PAT')),
          explain(run),
        );
      }
      assert.equal(w.emu.checkPat(previous.token, ORG), 'revoked', 'the old PAT goes only after every connection holds the new one');
      assert.equal(w.emu.checkPat(fresh, ORG), 'active');
      assert.match(run.summaries[0], /service connection '.*' now holds the new PAT/);
    }

    it('without the Administrator role: nothing holds the new PAT, so it is revoked; the old one stays; the message names the role', async () => {
      const previous = old();
      const { id } = w.emu.addServiceEndpoint({
        org: ORG,
        project: PROJECT,
        name: `locked-${++seq}`,
        type: 'externalnpmregistry',
        scheme: 'Token',
        parameters: { apitoken: previous.token },
        administrators: 'none',
      });
      const run = await rotate({ serviceConnection: id });
      failed(run, /needs the Administrator role on it.*Project Collection Build Service/s);
      assert.equal(w.emu.getServiceEndpoint(ORG, id)!.parameters.apitoken, previous.token);
      assert.deepEqual(
        activeOfName().map((p) => p.authorizationId),
        [previous.authorizationId],
        'the new PAT was revoked, the old one kept',
      );
    });

    it('a connection whose scheme holds no PAT is refused by name', async () => {
      old();
      const arm = w.emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: `arm-${++seq}`, tenantId: w.tenantId, scheme: 'ServicePrincipal' });
      const run = await rotate({ serviceConnection: arm.id });
      failed(run, /uses authorization scheme 'ServicePrincipal', which holds no PAT/);
    });
  });

  it('partial failure across targets: the new PAT stays where it was delivered, the old one is not revoked, the next run settles it', async () => {
    const previous = old();
    const group = w.emu.addVariableGroup({
      org: ORG,
      project: PROJECT,
      name: `consumers-${++seq}`,
      variables: { FeedToken: { value: previous.token, isSecret: true }, 'FeedToken.AuthorizationId': previous.authorizationId },
    });
    const { id: endpoint } = w.emu.addServiceEndpoint({
      org: ORG,
      project: PROJECT,
      name: `npm-${seq}`,
      type: 'externalnpmregistry',
      scheme: 'Token',
      parameters: { apitoken: previous.token },
      administrators: 'none',
    });
    const run = await rotate({ tokenVariableGroup: group.name, tokenVariable: 'FeedToken', serviceConnection: endpoint });
    failed(
      run,
      /variable group '.*': holds the new PAT\.\nservice connection '.*': not delivered: .*Administrator role.*\nThe new PAT .* stays active .* no old PAT was revoked/s,
    );
    const fresh = w.emu.getVariableGroup(ORG, PROJECT, group.id)!.variables.FeedToken.value;
    assert.equal(w.emu.checkPat(fresh, ORG), 'active', 'the group holds the new PAT, which works');
    assert.equal(w.emu.checkPat(previous.token, ORG), 'active', 'the connection still holds the old PAT, which still works');
    assert.match(run.summaries[0], /not delivered/);

    // The role is granted; the next run sees the targets disagree and rotates, whatever the window says.
    w.emu.setServiceEndpointAdministrators(ORG, endpoint, 'jobToken');
    const next = await rotate({ tokenVariableGroup: group.name, tokenVariable: 'FeedToken', serviceConnection: endpoint, rotateWhenExpiringWithinDays: '7' });
    assert.equal(next.result?.result, 'SucceededWithIssues', explain(next));
    assert.match(next.result?.message ?? '', /does not hold the PAT the first target holds/);
    const newest = next.variables.Token.value;
    assert.equal(w.emu.getVariableGroup(ORG, PROJECT, group.id)!.variables.FeedToken.value, newest);
    assert.equal(w.emu.getServiceEndpoint(ORG, endpoint)!.parameters.apitoken, newest);
    assert.deepEqual(
      activeOfName().map((p) => p.token),
      [newest],
      'both targets hold the newest PAT, every older one is revoked',
    );
  });

  it('the new PAT is used once before anything: refused, it is revoked and the old one stays where it was', async () => {
    const previous = old();
    const group = w.emu.addVariableGroup({
      org: ORG,
      project: PROJECT,
      name: `verify-${++seq}`,
      variables: { FeedToken: { value: previous.token, isSecret: true }, 'FeedToken.AuthorizationId': previous.authorizationId },
    });
    w.emu.injectFault({ match: { kind: 'connectiondata' }, type: 'status', status: 401, times: 3 });
    const run = await rotate({ tokenVariableGroup: group.name, tokenVariable: 'FeedToken' });
    failed(run, /was checked before delivery and did not work: .*HTTP 401/);
    assert.equal(w.emu.getVariableGroup(ORG, PROJECT, group.id)!.variables.FeedToken.value, previous.token);
    assert.deepEqual(
      activeOfName().map((p) => p.authorizationId),
      [previous.authorizationId],
    );
    assert.ok(!w.emu.requests.some((r) => r.kind === 'variablegroups' && r.method === 'PUT'), 'nothing was written');

    // A service without connectionData (404) cannot check the PAT: a warning, and the rotation goes on.
    w.emu.injectFault({ match: { kind: 'connectiondata' }, type: 'status', status: 404 });
    const unavailable = await rotate({ tokenVariableGroup: group.name, tokenVariable: 'FeedToken' });
    succeeded(unavailable);
    assert.ok(
      unavailable.warnings.some((m) => /could not be checked: serviceUrl has no _apis\/connectionData/.test(m)),
      explain(unavailable),
    );

    const unchecked = await rotate({ tokenVariableGroup: group.name, tokenVariable: 'FeedToken', verifyNewToken: 'false' });
    succeeded(unchecked);
    assert.ok(!w.emu.requests.some((r) => r.kind === 'connectiondata' && r.status === 200), 'verifyNewToken: false skips the check');
  });

  describe('Azure Key Vault', () => {
    for (const scheme of ['WorkloadIdentityFederation', 'ServicePrincipal'] as const) {
      it(`${scheme}: a new secret version holds the PAT, expires with it and names it; no client secret in the pipeline for federation`, async () => {
        const previous = old();
        const arm = w.emu.addArmServiceConnection({ org: ORG, project: PROJECT, name: `azure-${++seq}`, tenantId: w.tenantId, scheme });
        const vaultName = `kv${seq}`;
        const vault = w.emu.addKeyVault({ name: vaultName, tenantId: w.tenantId, access: { [arm.clientId]: 'officer' } });
        const run = await rotate(
          { keyVaultServiceConnection: arm.id, keyVaultName: vaultName, keyVaultUrl: vault.url, keyVaultSecretName: 'feed-token' },
          { endpoints: { [arm.id]: arm.endpoint }, variables: { 'System.OidcRequestUri': w.emu.oidcRequestUri(ORG, PROJECT) } },
        );
        succeeded(run);
        const secret = w.emu.getKeyVaultSecret(vaultName, 'feed-token')!;
        assert.equal(secret.value, run.variables.Token.value);
        assert.equal(secret.tags.authorizationId, run.variables.AuthorizationId.value);
        assert.equal(secret.exp, Math.floor(Date.parse(run.variables.ValidTo.value) / 1000));
        assert.equal(w.emu.checkPat(previous.token, ORG), 'revoked');
        const tokenRequests = w.emu.requests.filter((r) => r.kind === 'token');
        const assertion = tokenRequests.find((r) => (r.body as Record<string, string> | undefined)?.client_assertion_type !== undefined);
        assert.equal(!!assertion, scheme === 'WorkloadIdentityFederation', 'federation signs in with the job OIDC token as a client assertion');
        assert.equal(
          w.emu.requests.some((r) => r.kind === 'oidc'),
          scheme === 'WorkloadIdentityFederation',
        );
      });
    }

    it('without Key Vault Secrets Officer: refused, the message names the role, the new PAT is revoked', async () => {
      const previous = old();
      const arm = w.emu.addArmServiceConnection({
        org: ORG,
        project: PROJECT,
        name: `azure-${++seq}`,
        tenantId: w.tenantId,
        scheme: 'WorkloadIdentityFederation',
      });
      const vaultName = `kv${seq}`;
      const vault = w.emu.addKeyVault({ name: vaultName, tenantId: w.tenantId, access: { [arm.clientId]: 'user' } });
      const run = await rotate(
        { keyVaultServiceConnection: arm.id, keyVaultName: vaultName, keyVaultUrl: vault.url, keyVaultSecretName: 'feed-token' },
        { endpoints: { [arm.id]: arm.endpoint }, variables: { 'System.OidcRequestUri': w.emu.oidcRequestUri(ORG, PROJECT) } },
      );
      failed(run, /Key Vault Secrets Officer role/);
      assert.deepEqual(
        activeOfName().map((p) => p.authorizationId),
        [previous.authorizationId],
      );
    });

    it('a connection the agent did not pass, or a half-filled Key Vault target, fails before any request', async () => {
      const missing = await rotate({ keyVaultServiceConnection: 'not-passed', keyVaultName: 'kv-test', keyVaultSecretName: 'feed-token' });
      failed(missing, /service connection 'not-passed' was not passed to the task/);
      const half = await rotate({ keyVaultName: 'kv-test' });
      failed(half, /needs keyVaultServiceConnection, keyVaultSecretName and keyVaultName/);
      assert.equal(w.emu.requests.length, 0);
    });
  });
});
