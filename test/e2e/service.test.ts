/**
 * The real service's behaviour where the sources leave it open (emulator/FIDELITY.md): the packaged task runs
 * every operation under each profile the emulator plays, and each point of issue 9 that depends on the service is
 * checked under every variant of it. What a user would check: outputs, the PAT's state in the service, the result.
 */
import * as assert from 'node:assert/strict';
import { PROFILE_NAMES } from '../../emulator/src';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';
import type { AgentRun } from '../../scripts/lib/agentRunner';

const PROJECT = 'Platform';
/** A name with every character the service HTML-encodes, including a Latin-1 letter. */
const NAME = `build & deploy <prod> "eu" 'ré'`;

function withIssues(run: AgentRun, message: RegExp): void {
  assert.equal(run.result?.result, 'SucceededWithIssues', explain(run));
  assert.match(run.result?.message ?? '', message, explain(run));
}

describe('end to end: the service as each profile plays it', function () {
  this.timeout(120_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());

  for (const profile of PROFILE_NAMES) {
    describe(`profile ${profile}`, () => {
      beforeEach(() => {
        w.emu.reset();
        w.emu.useProfile(profile);
      });

      const active = (name: string) => w.emu.listPats(w.userId).filter((p) => p.status === 'active' && decode(p.displayName) === name);

      it('every operation on a PAT whose name the service encodes and whose scopes it normalises', async () => {
        const created = await w.run({ operation: 'create', displayName: NAME, scope: 'vso.Work vso.code', lifetimeDays: '30' });
        succeeded(created);
        assert.equal(created.variables.DisplayName.value, NAME, 'outputs show the name as given');
        const id = created.variables.AuthorizationId.value;
        assert.equal(w.emu.checkPat(created.variables.Token.value, ORG), 'active');
        assert.ok(!created.log.some((l) => l.includes('&amp;')), 'the log shows the decoded name');

        const listed = await w.run({ operation: 'list', displayName: 'build & deploy*' });
        succeeded(listed);
        const tokens = JSON.parse(listed.files.TokensFile) as Array<{ displayName: string; authorizationId: string }>;
        assert.deepEqual(
          tokens.map((t) => [t.displayName, t.authorizationId]),
          [[NAME, id]],
        );
        assert.match(listed.summaries[0], /build & deploy &lt;prod&gt;/, 'the summary shows the decoded name, escaped once for Markdown');

        const got = await w.run({ operation: 'get', displayName: NAME });
        succeeded(got);
        assert.equal(got.variables.AuthorizationId.value, id);

        const updated = await w.run({ operation: 'update', displayName: NAME, lifetimeDays: '60' });
        succeeded(updated);
        assert.equal(decode(w.emu.findPat(id)!.displayName), NAME, 'the update sent the decoded name: nothing encoded twice');

        // Rotating by name twice: one PAT of that name each time, never a new one beside the old (createIfMissing).
        for (let i = 0; i < 2; i++) {
          const rotated = await w.run({ operation: 'rotate', displayName: NAME });
          succeeded(rotated);
          assert.equal(rotated.variables.DisplayName.value, NAME);
          assert.equal(active(NAME).length, 1, `run ${i + 1}: exactly one active PAT named ${NAME}`);
          assert.equal(w.emu.checkPat(rotated.variables.Token.value, ORG), 'active');
        }
        const current = active(NAME)[0];
        assert.equal(w.emu.findPat(current.authorizationId)!.scope.toLowerCase().split(' ').sort().join(' '), 'vso.code vso.work');

        const byId = await w.run({ operation: 'rotate', authorizationId: current.authorizationId });
        succeeded(byId);
        assert.equal(w.emu.checkPat(current.token, ORG), 'revoked');

        const revoked = await w.run({ operation: 'revoke', displayName: 'build & deploy*' });
        succeeded(revoked);
        assert.equal(active(NAME).length, 0);
      });

      it('revoked and unknown ids: never shown as valid, nothing to revoke is not a failure', async () => {
        const [gone] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'gone', revoked: true }]);
        const unknown = '0f0f0f0f-0000-4000-8000-000000000000';

        // Where the service answers a revoked PAT's GET (unmarked), the task names it revoked; where it answers
        // "not found", the task cannot tell revoked from unknown and says both.
        const revoked = (what: string): RegExp =>
          w.emu.variant.revokedGet === 'unmarked'
            ? new RegExp(`PAT 'gone' .* is revoked: there is nothing to ${what}`)
            : /No active or expired PAT has authorization ID .*: it was revoked, never existed/;
        failed(await w.run({ operation: 'get', authorizationId: gone.authorizationId }), revoked('get'));
        failed(await w.run({ operation: 'update', authorizationId: gone.authorizationId, lifetimeDays: '5' }), revoked('update'));
        failed(await w.run({ operation: 'rotate', authorizationId: gone.authorizationId }), revoked('rotate'));
        assert.equal(w.emu.listPats(w.userId).filter((p) => !p.revoked).length, 0, 'nothing was created');
        withIssues(
          await w.run({ operation: 'revoke', authorizationId: gone.authorizationId }),
          w.emu.variant.revokedGet === 'unmarked' ? /PAT 'gone' .* is already revoked: nothing to revoke/ : /already revoked, never existed.*nothing to revoke/,
        );
        assert.ok(!w.emu.requests.some((r) => r.method === 'DELETE'), 'no DELETE for a revoked PAT');

        failed(await w.run({ operation: 'get', authorizationId: unknown }), /No active or expired PAT has authorization ID 0f0f0f0f-.*Check authorizationId/);
        failed(await w.run({ operation: 'rotate', authorizationId: unknown }), /No active or expired PAT has authorization ID/);
        withIssues(await w.run({ operation: 'revoke', authorizationId: unknown }), /authorization ID 0f0f0f0f-.*nothing to revoke/);
      });

      it('an expired PAT selected by id is shown as expired and can be rotated', async () => {
        const [old] = w.emu.seedPats(w.userId, ORG, [
          { displayName: 'lapsed', scope: 'vso.build', validFrom: new Date(Date.now() - 40 * 86_400_000), validTo: new Date(Date.now() - 86_400_000) },
        ]);
        const got = await w.run({ operation: 'get', authorizationId: old.authorizationId });
        succeeded(got);
        assert.ok(got.log.some((l) => l.includes(old.authorizationId)));
        const rotated = await w.run({ operation: 'rotate', authorizationId: old.authorizationId });
        succeeded(rotated);
        assert.equal(rotated.variables.DisplayName.value, 'lapsed');
        assert.equal(w.emu.checkPat(rotated.variables.Token.value, ORG), 'active');
      });

      it('a revoke whose answer is lost and whose retry the service refuses is confirmed, not reported as failed', async () => {
        const [old] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'lost-delete', scope: 'vso.code' }]);
        w.emu.injectFault({ match: { kind: 'pats', method: 'DELETE' }, type: 'resetAfterCommit' });
        const run = await w.run({ operation: 'rotate', displayName: 'lost-delete' });
        succeeded(run);
        assert.equal(w.emu.checkPat(old.token, ORG), 'revoked');
        const deletes = w.emu.requests.filter((r) => r.kind === 'pats' && r.method === 'DELETE');
        assert.equal(deletes.length, 2, 'the DELETE was retried once');
        if (w.emu.variant.revokeRevoked === 'error') {
          assert.ok(
            run.log.some((l) => /the service's answer to the revoke was an error, but the PAT is no longer active/.test(l)),
            explain(run),
          );
        }
      });

      it('a lost create answer: the orphan is found with the scopes given in another case and order', async () => {
        w.emu.injectFault({ match: { kind: 'pats', method: 'POST' }, type: 'resetAfterCommit' });
        const run = await w.run({ operation: 'create', displayName: 'orphan & co', scope: 'vso.Work vso.code' });
        succeeded(run);
        const mine = w.emu.listPats(w.userId).filter((p) => decode(p.displayName) === 'orphan & co');
        assert.equal(mine.length, 2, 'the orphan and the delivered PAT');
        assert.deepEqual(mine.map((p) => p.status).sort(), ['active', 'revoked'], 'the orphan was revoked');
        assert.equal(w.emu.checkPat(run.variables.Token.value, ORG), 'active');
      });

      it('a PAT still listed as global: update and rotate never ask to keep it global, and say so', async () => {
        const [global] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'everywhere', scope: 'vso.code', allOrgs: true }]);
        const updated = await w.run({ operation: 'update', authorizationId: global.authorizationId, lifetimeDays: '20' });
        withIssues(updated, /was valid in all organizations; after this update it is valid only in fabrikam/);
        const put = w.emu.requests.find((r) => r.kind === 'pats' && r.method === 'PUT');
        assert.equal((put?.body as { allOrgs?: boolean }).allOrgs, false);
        assert.deepEqual(w.emu.findPat(global.authorizationId)!.targetAccounts, [w.emu.orgAccountId(ORG)]);

        const [other] = w.emu.seedPats(w.userId, ORG, [{ displayName: 'everywhere-2', scope: 'vso.code', allOrgs: true }]);
        w.emu.clearRequests();
        const rotated = await w.run({ operation: 'rotate', displayName: 'everywhere-2' });
        withIssues(rotated, /was valid in all organizations; its replacement is valid only in fabrikam/);
        const post = w.emu.requests.find((r) => r.kind === 'pats' && r.method === 'POST');
        assert.equal((post?.body as { allOrgs?: boolean }).allOrgs, false);
        assert.equal(w.emu.checkPat(other.token, ORG), 'revoked');
        assert.equal(w.emu.checkPat(rotated.variables.Token.value, ORG), 'active');
      });

      it("a service principal's answer (302 to sign-in or 403) says the API takes only a user's token", async () => {
        w.emu.injectFault({ match: { kind: 'pats' }, type: 'servicePrincipal' });
        const run = await w.run({ operation: 'list' });
        failed(
          run,
          w.emu.variant.servicePrincipal === 'redirect' ? /sign-in page or a redirect to it.*service principals/ : /does not accept service principals/,
        );
      });

      it('the variable group is updated through the documented organization-level PUT', async () => {
        const jobToken = w.emu.issueJobToken(ORG);
        const group = w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: `group-${profile}`, variables: { Keep: 'me' } });
        w.emu.seedPats(w.userId, ORG, [{ displayName: 'feed', scope: 'vso.packaging' }]);
        w.emu.clearRequests();
        const run = await w.run(
          { operation: 'rotate', displayName: 'feed', tokenVariableGroup: group.name, tokenVariable: 'FeedToken' },
          { collectionUri: `${w.emu.url}/${ORG}/`, jobToken, variables: { 'System.TeamProject': PROJECT } },
        );
        succeeded(run);
        const put = w.emu.requests.find((r) => r.kind === 'variablegroups' && r.method === 'PUT');
        assert.equal(put?.path, `/${ORG}/_apis/distributedtask/variablegroups/${group.id}`);
        const refs = (put?.body as { variableGroupProjectReferences?: Array<{ projectReference: { name: string } }> }).variableGroupProjectReferences;
        assert.equal(refs?.[0]?.projectReference.name, PROJECT);
        const stored = w.emu.getVariableGroup(ORG, PROJECT, group.id)!;
        assert.equal(stored.variables.FeedToken.value, run.variables.Token.value);
        assert.deepEqual(stored.variables.Keep, { value: 'me', isSecret: false });
      });
    });
  }

  it('an app registration with only user_impersonation: the PAT API refuses it, and the message names vso.pats', async () => {
    w.emu.reset();
    const clientId = w.emu.addApp({ tenantId: w.tenantId, scopes: 'user_impersonation' }).clientId;
    const refreshToken = w.emu.issueRefreshToken({ tenantId: w.tenantId, clientId, userId: w.userId });
    const run = await w.run({ operation: 'list', clientId, refreshToken });
    failed(run, /vso\.pats_manage \(vso\.pats is enough for list and get; user_impersonation no longer works for this API\)/);
  });
});

/** The name as the user gave it, whichever way the profile stores it. */
function decode(name: string): string {
  return name.replace(/&(amp|lt|gt|quot|#39|#(\d+));/g, (_, e: string, n?: string) =>
    n ? String.fromCharCode(Number(n)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" } as Record<string, string>)[e],
  );
}
