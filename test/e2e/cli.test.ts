/**
 * The sign-in command (`pat-lifecycle login`, the bundle that the npm package ships and `npm run login` runs) run as
 * a user would, against the emulator: browser flow (with a stand-in browser), device code flow, storing into a
 * variable group, and its errors.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ORG, startWorld, succeeded, type World } from '../support/world';
import { repoRoot } from '../support/paths';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const bin = path.join(repoRoot, 'cli', 'dist', 'pat-lifecycle.js');
const fakeBrowser = path.join(repoRoot, 'build', 'test', 'support', 'fakeBrowser.js');

function cli(args: string[], env: Record<string, string>, onStderr?: (text: string) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('end to end: the sign-in command', function () {
  this.timeout(60_000);
  let w: World;
  let env: Record<string, string>;
  let args: string[];
  before(async () => {
    w = await startWorld();
    env = { NODE_EXTRA_CA_CERTS: w.emu.caCertPath, BROWSER: `${process.execPath} ${fakeBrowser}` };
    args = ['login', '--tenant', w.tenantId, '--client-id', w.clientId, '--authority-host', w.emu.url];
  });
  after(async () => w.emu.close());

  it('browser flow: the refresh token alone on stdout, and the task accepts it', async () => {
    const run = await cli(args, env);
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    assert.ok(token.length > 40 && !/\s/.test(token), `stdout: ${run.stdout}`);
    assert.match(run.stderr, /Sign in at: https:\/\/127\.0\.0\.1/);
    assert.ok(!run.stderr.includes(token), 'the token is not on stderr');
    succeeded(await w.run({ operation: 'list', refreshToken: token }));
  });

  it('device code flow: prints the code on stderr, waits for approval', async () => {
    let approved = false;
    const run = await cli([...args, '--device-code'], env, (text) => {
      const code = /enter the code (\S+)/.exec(text)?.[1];
      if (code && !approved) {
        approved = true;
        w.emu.approveDeviceCode(code);
      }
    });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(approved, run.stderr);
    succeeded(await w.run({ operation: 'list', refreshToken: run.stdout.trim() }));
  });

  it('stores the token straight into a variable group, printing nothing on stdout', async () => {
    const group = w.emu.addVariableGroup({ org: ORG, project: 'Platform', name: 'pat-rotation', variables: { Other: 'stay' } });
    // Updating a variable group as the user needs vso.variablegroups_manage on the app registration too.
    w.emu.setAppOption(w.clientId, { scopes: 'vso.pats vso.pats_manage vso.variablegroups_manage' });
    const run = await cli([...args, '--variable-group', 'pat-rotation', '--organization', `${w.emu.url}/${ORG}`, '--project', 'Platform'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    const stored = w.emu.getVariableGroup(ORG, 'Platform', group.id)!;
    assert.ok(stored.variables['PatLifecycle.RefreshToken'].isSecret);
    assert.equal(stored.variables.Other.value, 'stay');
    succeeded(await w.run({ operation: 'list', refreshToken: stored.variables['PatLifecycle.RefreshToken'].value }));
  });

  it('storing into a group without a variable group permission: names vso.variablegroups_manage, prints the token to store by hand', async () => {
    const group = w.emu.addVariableGroup({ org: ORG, project: 'Platform', name: 'no-permission', variables: { Other: 'stay' } });
    w.emu.setAppOption(w.clientId, { scopes: 'vso.pats vso.pats_manage' });
    const run = await cli([...args, '--variable-group', 'no-permission', '--organization', `${w.emu.url}/${ORG}`, '--project', 'Platform'], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /permission vso\.variablegroups_manage to the app registration/);
    assert.doesNotMatch(run.stderr, /user_impersonation/);
    assert.match(run.stderr, /Store it by hand: .*Pipelines > Library > 'no-permission', add a variable named PatLifecycle\.RefreshToken/);
    assert.deepEqual(Object.keys(w.emu.getVariableGroup(ORG, 'Platform', group.id)!.variables), ['Other']);
    // The refresh token is not thrown away: it is on stdout, alone, and it works.
    const token = run.stdout.trim();
    assert.equal(run.stdout, `${token}\n`);
    assert.ok(!run.stderr.includes(token), 'the token is not on stderr');
    succeeded(await w.run({ operation: 'list', refreshToken: token }));
  });

  it('a group that does not exist: speaks of --variable-group, prints the token', async () => {
    w.emu.setAppOption(w.clientId, { scopes: 'vso.pats vso.pats_manage vso.variablegroups_manage' });
    const run = await cli([...args, '--variable-group', 'no-such-group', '--organization', `${w.emu.url}/${ORG}`, '--project', 'Platform'], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /Variable group 'no-such-group' was not found: check --variable-group/);
    assert.doesNotMatch(run.stderr, /variableGroup\b|pipeline's project/);
    assert.ok(run.stdout.trim().length > 40, 'the token is printed');
  });

  it('an organization that cannot be reached fails before anyone signs in', async () => {
    w.emu.clearRequests();
    const run = await cli(
      [...args, '--device-code', '--variable-group', 'pat-rotation', '--organization', 'https://127.0.0.1:1/nowhere', '--project', 'P'],
      env,
    );
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /Cannot reach the organization https:\/\/127\.0\.0\.1:1\/nowhere \(checked before signing in\).*Check --organization/);
    assert.doesNotMatch(run.stderr, /enter the code/);
    assert.deepEqual(
      w.emu.requests.filter((r) => r.kind === 'devicecode' || r.kind === 'token'),
      [],
      'no sign-in was started',
    );
  });

  it('--help names the delegated permissions the app registration needs', async () => {
    const run = await cli(['--help'], env);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /vso\.pats for list and get only, vso\.pats_manage for create, update, revoke and rotate/);
    assert.match(run.stdout, /--variable-group it also needs vso\.variablegroups_manage/);
  });

  it('consent missing: says so and prints the admin consent URL', async () => {
    w.emu.setAppOption(w.clientId, { consented: false });
    try {
      const run = await cli(args, env);
      assert.notEqual(run.code, 0);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /consent/);
      assert.ok(run.stderr.includes(`${w.emu.url}/${w.tenantId}/adminconsent?client_id=${w.clientId}`), run.stderr);
    } finally {
      w.emu.setAppOption(w.clientId, { consented: true });
    }
  });

  it('device code blocked by conditional access: suggests the browser flow', async () => {
    w.emu.setAppOption(w.clientId, { deviceCodeBlocked: true });
    try {
      const run = await cli([...args, '--device-code'], env);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /run again without --device-code/);
    } finally {
      w.emu.setAppOption(w.clientId, { deviceCodeBlocked: false });
    }
  });

  it('public client flows disabled: says what to enable', async () => {
    w.emu.setAppOption(w.clientId, { allowPublicClient: false });
    try {
      const run = await cli([...args, '--device-code'], env);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /Allow public client flows/);
    } finally {
      w.emu.setAppOption(w.clientId, { allowPublicClient: true });
    }
  });

  it('a wrong tenant is named, with the flag to fix (not the task input)', async () => {
    const run = await cli(
      ['login', '--tenant', '00000000-0000-0000-0000-000000000001', '--client-id', w.clientId, '--authority-host', w.emu.url, '--device-code'],
      env,
    );
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /does not know this tenant.*Check --tenant/);
    assert.doesNotMatch(run.stderr, /tenantId/);
  });

  it('an unknown app: speaks of --client-id, not clientId', async () => {
    const run = await cli(
      ['login', '--tenant', w.tenantId, '--client-id', '00000000-0000-0000-0000-00000000c1d0', '--authority-host', w.emu.url, '--device-code'],
      env,
    );
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /Check --tenant and --client-id/);
    assert.doesNotMatch(run.stderr, /\bclientId\b|\btenantId\b/);
  });

  it('bad arguments: usage on stderr, exit 2', async () => {
    const run = await cli(['login', '--tenant', 'x'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--tenant needs/);
  });
});

describe('end to end: the sign-in command with a confidential app', function () {
  this.timeout(60_000);
  let w: World;
  before(async () => (w = await startWorld()));
  after(async () => w.emu.close());

  it('browser flow with --client-secret-env: the token works for the task with the same secret', async () => {
    const app = w.emu.addApp({ tenantId: w.tenantId, clientSecret: 'confidential-secret-value-0123456789' });
    const env = { NODE_EXTRA_CA_CERTS: w.emu.caCertPath, BROWSER: `${process.execPath} ${fakeBrowser}`, APP_SECRET: 'confidential-secret-value-0123456789' };
    const run = await cli(
      ['login', '--tenant', w.tenantId, '--client-id', app.clientId, '--authority-host', w.emu.url, '--client-secret-env', 'APP_SECRET'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stderr.includes('confidential-secret-value'), 'the secret is never printed');
    succeeded(
      await w.run({ operation: 'list', clientId: app.clientId, clientSecret: 'confidential-secret-value-0123456789', refreshToken: run.stdout.trim() }),
    );
  });
});
