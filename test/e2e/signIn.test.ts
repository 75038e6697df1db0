/**
 * operation signIn: the first refresh token from the pipeline itself. The packaged task runs the device code flow,
 * prints the page and the code in the log as it streams, and the test approves the code the way a person would:
 * through the emulator's sign-in page, with a plain HTTPS form post. The token lands in the variable group as a
 * secret, works for the next run, and never shows in the log.
 */
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { ORG, explain, failed, startWorld, succeeded, type World } from '../support/world';
import { answerDeviceLogin } from '../support/deviceLogin';

const PROJECT = 'Platform';
/** What the task prints for the person: the page, then the code. */
const PROMPT = /open (\S+) in a browser and enter the code (\S+)\./;

describe('end to end: signIn (first refresh token from the pipeline)', function () {
  this.timeout(60_000);
  let w: World;
  let jobToken: string;
  let ca: string;
  before(async () => {
    w = await startWorld();
    jobToken = w.emu.issueJobToken(ORG);
    ca = fs.readFileSync(w.emu.caCertPath, 'utf8');
  });
  after(async () => w.emu.close());
  beforeEach(() => w.emu.clearRequests());

  /**
   * Runs signIn as a pipeline step, with the inputs a YAML step would pass (refreshToken keeps its unexpanded
   * default: the group holds no token yet). When the log shows the code, `act` answers it (or not).
   */
  async function runSignIn(inputs: Record<string, string>, act?: (page: string, code: string) => Promise<void>) {
    let answered: Promise<void> | undefined;
    let stdout = '';
    const run = await w.run(
      { operation: 'signIn', refreshToken: '$(PatLifecycle.RefreshToken)', serviceUrl: undefined, ...inputs },
      {
        collectionUri: `${w.emu.url}/${ORG}/`,
        jobToken,
        variables: { 'System.TeamProject': PROJECT },
        knownSecrets: [jobToken],
        onSpawn: (child: ChildProcess) =>
          child.stdout?.on('data', (d: Buffer | string) => {
            stdout += String(d);
            const prompt = PROMPT.exec(stdout);
            if (prompt && act && !answered) answered = act(prompt[1], prompt[2]);
          }),
      },
    );
    await answered;
    return run;
  }

  it('prints the page and the code, waits for the approval, stores the refresh token as a secret, and leaves the rest of the group alone', async () => {
    const group = w.emu.addVariableGroup({
      org: ORG,
      project: PROJECT,
      name: 'first-sign-in',
      variables: { Plain: 'keep me', OtherSecret: { value: 'other-secret-value', isSecret: true } },
    });
    const before = w.emu.getVariableGroup(ORG, PROJECT, group.id)!;
    let approval: { status: number; body: string } | undefined;
    const run = await runSignIn({ variableGroup: 'first-sign-in' }, async (page, code) => {
      approval = await answerDeviceLogin(page, ca, code, 'approve');
    });
    succeeded(run);
    assert.equal(approval?.status, 200, approval?.body);
    assert.match(approval?.body ?? '', /Approved: signed in as ada@contoso\.example/);

    const log = run.log.join('\n');
    const prompt = PROMPT.exec(log);
    assert.ok(prompt, explain(run));
    assert.equal(prompt[1], `${w.emu.url}/devicelogin`, 'the verification URL Entra gave');
    assert.match(log, /The code is valid until \S+ \(15 minutes\)/);
    assert.match(log, /Signed in to Microsoft Entra as ada@contoso\.example/);

    const stored = w.emu.getVariableGroup(ORG, PROJECT, group.id)!;
    const token = stored.variables['PatLifecycle.RefreshToken'];
    assert.ok(token?.isSecret, 'stored as a secret');
    assert.ok(
      w.emu.issuedSecrets().some((s) => s.kind === 'refresh token' && s.value === token.value),
      'a refresh token the emulator issued',
    );
    assert.ok(!log.includes(token.value), 'the token never shows in the log');
    // The rest of the group as it was.
    const others = Object.fromEntries(Object.entries(stored.variables).filter(([name]) => name !== 'PatLifecycle.RefreshToken'));
    assert.deepEqual(others, before.variables);
    assert.equal(stored.name, before.name);

    // The group was read before anyone was asked to sign in, then read again, written and read back.
    // (The polls until the approval are one `token POST`; the approval itself is the sign-in page's, not the task's.)
    const kinds = w.emu.requests
      .filter((r) => r.kind !== 'other')
      .map((r) => `${r.kind} ${r.method}`)
      .filter((k, i, all) => k !== 'token POST' || all[i - 1] !== k);
    assert.deepEqual(kinds, ['variablegroups GET', 'devicecode POST', 'token POST', 'variablegroups GET', 'variablegroups PUT', 'variablegroups GET']);
    const deviceCode = w.emu.requests.find((r) => r.kind === 'devicecode')!;
    assert.match(String((deviceCode.body as { scope?: string }).scope), /499b84ac-1321-427f-aa17-267ca6975798\/\.default/);
    assert.match(String((deviceCode.body as { scope?: string }).scope), /offline_access/);

    assert.match(
      run.result?.message ?? '',
      /^Signed in as ada@contoso\.example, and stored the refresh token as secret variable PatLifecycle\.RefreshToken in variable group 'first-sign-in'/,
    );
    assert.equal(run.summaryTitles[0], 'PAT lifecycle - signIn first-sign-in');
    assert.match(
      run.summaries[0],
      /stored the refresh token as secret variable PatLifecycle\.RefreshToken in variable group 'first-sign-in' at \d{4}-\d\d-\d\dT/,
    );
    assert.match(run.summaries[0], /pass refreshToken: \$\(PatLifecycle\.RefreshToken\)/);
    assert.equal(run.variables.Token, undefined);
    assert.equal(run.variables.Rotated, undefined);
    assert.equal(run.variables.RefreshToken, undefined);

    // The next step of the pipeline reads it from the group: it works.
    const next = await w.run(
      { operation: 'list', refreshToken: token.value, variableGroup: String(group.id) },
      { collectionUri: `${w.emu.url}/${ORG}/`, jobToken, variables: { 'System.TeamProject': PROJECT } },
    );
    succeeded(next);
    assert.match(next.log.join('\n'), /Signed in to Microsoft Entra as ada@contoso\.example/);
  });

  it('a tenant that blocks device code: says so, and gives the browser sign-in command to store the token instead', async () => {
    const blocked = w.emu.addApp({ tenantId: w.tenantId, displayName: 'blocked device code', deviceCodeBlocked: true }).clientId;
    w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'blocked-group', variables: {} });
    const run = await runSignIn({ variableGroup: 'blocked-group', clientId: blocked });
    failed(run, /Conditional Access policy of tenant \S+ does not allow the device code sign-in/);
    const message = run.result!.message;
    assert.ok(
      message.includes(
        `npx pat-lifecycle login --tenant ${w.tenantId} --client-id ${blocked} --variable-group blocked-group --organization ${w.emu.url}/${ORG} --project ${PROJECT} --authority-host ${w.emu.url}`,
      ),
      message,
    );
    assert.match(message, /AADSTS53003/);
    assert.deepEqual(w.emu.getVariableGroup(ORG, PROJECT, 'blocked-group')!.variables, {});
  });

  it('declined on the sign-in page: says so, and stores nothing', async () => {
    w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'declined-group', variables: { Keep: 'x' } });
    const run = await runSignIn({ variableGroup: 'declined-group' }, async (page, code) => {
      assert.equal((await answerDeviceLogin(page, ca, code, 'decline')).status, 200);
    });
    failed(run, /The sign-in was declined on the sign-in page.*Nothing was stored/);
    assert.deepEqual(w.emu.getVariableGroup(ORG, PROJECT, 'declined-group')!.variables, { Keep: { value: 'x', isSecret: false } });
  });

  it('nobody signs in before the code expires: says so, and stores nothing', async () => {
    w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'expired-group', variables: {} });
    try {
      const run = await runSignIn({ variableGroup: 'expired-group' }, () => Promise.resolve(w.emu.advanceTime(901_000)));
      failed(run, /Nobody signed in with the code before it expired \(15 minutes\)\. Nothing was stored/);
    } finally {
      w.emu.setNow(null);
    }
    assert.deepEqual(w.emu.getVariableGroup(ORG, PROJECT, 'expired-group')!.variables, {});
  });

  it('signed in, but the job may not change the group: says the token is kept nowhere, and which role is missing', async () => {
    w.emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'read-only-group', variables: { Keep: 'x' }, administrators: 'none' });
    const run = await runSignIn({ variableGroup: 'read-only-group' }, async (page, code) => {
      assert.equal((await answerDeviceLogin(page, ca, code, 'approve')).status, 200);
    });
    failed(run, /Signed in, but the refresh token could not be stored, and it is kept nowhere else: .*needs the Administrator role/);
    assert.deepEqual(w.emu.getVariableGroup(ORG, PROJECT, 'read-only-group')!.variables, { Keep: { value: 'x', isSecret: false } });
  });

  it('an unknown group fails before anyone is asked to sign in: no request to Entra', async () => {
    const run = await runSignIn({ variableGroup: 'no-such-group' });
    failed(run, /Variable group 'no-such-group' was not found/);
    assert.deepEqual(
      w.emu.requests.map((r) => r.kind),
      ['variablegroups'],
    );
    assert.doesNotMatch(run.log.join('\n'), /enter the code/);
  });

  it('without variableGroup: an input error, before any request', async () => {
    const run = await runSignIn({});
    failed(run, /signIn stores the refresh token in a variable group: set 'variableGroup'/);
    assert.equal(w.emu.requests.length, 0);
  });
});
