/**
 * L0 tests: the task's tsc output run by task-lib's MockTestRunner (one env-driven mock run, l0/mockRun.ts),
 * signing in and calling the PAT API on the emulator (in a process of its own) over real HTTPS.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { startEmulatorProcess, type EmulatorProcess } from '../support/emulatorProcess';
import { taskJsonPath } from '../support/paths';

const ORG = 'demo-org';

async function runMock(inputs: Record<string, string>): Promise<MockTestRunner> {
  process.env.PAT_L0_INPUTS = JSON.stringify(inputs);
  const tr = new MockTestRunner(path.join(__dirname, 'mockRun.js'), taskJsonPath);
  tr.nodePath = process.execPath; // or runAsync downloads a Node binary
  await tr.runAsync();
  return tr;
}

/** The value was registered as a secret (setsecret, or a secret setvariable) before it appeared anywhere else. */
function assertMarkedSecret(tr: MockTestRunner, value: string): void {
  const lines = tr.stdout.split(/\r?\n/);
  const registered = lines.findIndex((l) => l.startsWith('##vso[task.setsecret]') && l.endsWith(value));
  const secretVar = lines.findIndex((l) => /^##vso\[task\.setvariable [^\]]*issecret=true/.test(l) && l.endsWith(value));
  const first = [registered, secretVar].filter((i) => i >= 0).sort((a, b) => a - b)[0];
  assert.ok(first !== undefined, `never marked secret:\n${tr.stdout}`);
  const earlier = lines.slice(0, first).filter((l) => l.includes(value));
  assert.deepEqual(earlier, [], 'printed before it was marked secret');
}

describe('L0: MockTestRunner on the compiled task', function () {
  this.timeout(60_000);
  let emu: EmulatorProcess;
  let base: Record<string, string>;

  before(async () => {
    emu = await startEmulatorProcess();
    const v = emu.values;
    process.env.NODE_EXTRA_CA_CERTS = v.EMULATOR_CA_FILE;
    base = {
      organization: ORG,
      tenantId: v.TENANT_ID,
      clientId: v.CLIENT_ID,
      refreshToken: v.REFRESH_TOKEN,
      authorityHost: v.EMULATOR_URL,
      serviceUrl: v.ORG_URL,
    };
  });
  after(async () => {
    delete process.env.NODE_EXTRA_CA_CERTS;
    delete process.env.PAT_L0_INPUTS;
    await emu.stop();
  });

  it('fails on a missing input with the message that names it, before any request', async () => {
    const tr = await runMock({ ...base, tenantId: '', operation: 'list', requestTimeoutSeconds: '1' });
    assert.ok(tr.failed, tr.stdout);
    assert.ok(tr.createdErrorIssue("Input 'tenantId' is required: set it in the task's inputs."), tr.errorIssues.join('\n'));
    assert.ok(!tr.stdout.includes('oauth2'), 'no sign-in was attempted');
  });

  it('create: succeeds, and every secret is marked secret before it could print', async () => {
    const tr = await runMock({ ...base, operation: 'create', displayName: 'l0-token', scope: 'vso.code' });
    assert.ok(tr.succeeded, tr.stdout);
    assert.equal(tr.errorIssues.length, 0);
    const token = outputOf(tr, 'Token');
    assert.ok(token && token.length >= 40, 'a PAT was output');
    assertMarkedSecret(tr, token);
    assertMarkedSecret(tr, base.refreshToken);
    const refreshed = outputOf(tr, 'RefreshToken');
    assert.ok(refreshed && refreshed !== base.refreshToken, "Entra's new refresh token is output");
    assertMarkedSecret(tr, refreshed);
    assert.match(outputOf(tr, 'AuthorizationId') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('list: the Tokens output is metadata only', async () => {
    const tr = await runMock({ ...base, operation: 'list', displayName: 'l0-*' });
    assert.ok(tr.succeeded, tr.stdout);
    const tokens = JSON.parse(outputOf(tr, 'Tokens') ?? '[]') as Array<Record<string, unknown>>;
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0].displayName, 'l0-token');
    assert.ok(!('token' in tokens[0]));
  });
});

/** The value of an output variable as the task set it. */
function outputOf(tr: MockTestRunner, name: string): string | undefined {
  const line = tr.stdout.split(/\r?\n/).find((l) => l.startsWith(`##vso[task.setvariable variable=${name};`));
  return line?.slice(line.indexOf(']') + 1);
}
