/**
 * The sign-in command as its npm package, the way a user without a clone gets it: `npm pack` of cli/, the tarball
 * installed into an empty folder with no dev dependencies (and no registry: it has no dependencies at all), then
 * `npx pat-lifecycle login` from there against the emulator.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { startWorld, succeeded, type World } from '../support/world';
import { answerDeviceLogin } from '../support/deviceLogin';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in `cwd` with only PATH, HOME and `env`; `onStderr` sees stderr as it grows. */
function run(command: string, args: string[], cwd: string, env: Record<string, string>, onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('end to end: the sign-in command as an npm package', function () {
  this.timeout(120_000);
  let w: World;
  let dir: string;
  let tarball: string;
  let packed: { name: string; files: Array<{ path: string }> };
  let npmEnv: Record<string, string>;

  before(async () => {
    w = await startWorld();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-cli-package-'));
    // npm's cache in the temp folder: nothing from the developer's cache can stand in for a missing dependency.
    npmEnv = { npm_config_cache: path.join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: path.join(repoRoot, 'cli'),
      encoding: 'utf8',
      env: { ...process.env, ...npmEnv },
    });
    const [result] = JSON.parse(out) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
    packed = result;
    tarball = path.join(dir, result.filename);
    fs.mkdirSync(path.join(dir, 'empty'));
  });
  after(async () => {
    await w.emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('packs only the bundle (its messages inside), README, LICENSE and package.json; has no dependencies', () => {
    assert.equal(packed.name, 'pat-lifecycle');
    assert.deepEqual(packed.files.map((f) => f.path).sort(), ['LICENSE', 'README.md', 'dist/pat-lifecycle.js', 'package.json']);
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'cli', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined);
    assert.deepEqual(manifest.bin, { 'pat-lifecycle': 'dist/pat-lifecycle.js' });
    assert.equal(fs.readFileSync(path.join(repoRoot, 'cli', 'LICENSE'), 'utf8'), fs.readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'));
  });

  it('installs into an empty folder offline, without dev dependencies', async () => {
    const install = await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--offline', tarball], path.join(dir, 'empty'), npmEnv);
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual(
      fs.readdirSync(path.join(dir, 'empty', 'node_modules')).filter((n) => !n.startsWith('.')),
      ['pat-lifecycle'],
    );
  });

  it('npx pat-lifecycle login --help works from there', async () => {
    const help = await run('npx', ['--no-install', 'pat-lifecycle', 'login', '--help'], path.join(dir, 'empty'), npmEnv);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: pat-lifecycle login --tenant <id> --client-id <id>/);
    assert.match(help.stdout, /--variable-group it also needs vso\.variablegroups_manage/);
  });

  it('device code sign-in from there: approved on the emulator page, only the refresh token on stdout', async () => {
    let approval: Promise<{ status: number; body: string }> | undefined;
    const signIn = await run(
      'npx',
      ['--no-install', 'pat-lifecycle', 'login', '--tenant', w.tenantId, '--client-id', w.clientId, '--authority-host', w.emu.url, '--device-code'],
      path.join(dir, 'empty'),
      { ...npmEnv, NODE_EXTRA_CA_CERTS: w.emu.caCertPath },
      (text) => {
        const m = /open the page (https:\S+) and enter the code (\S+)/.exec(text);
        if (m && !approval) approval = answerDeviceLogin(m[1], w.emu.caCertPem, m[2], 'approve');
      },
    );
    assert.equal(signIn.code, 0, signIn.stderr);
    assert.ok(approval, signIn.stderr);
    const page = await approval;
    assert.equal(page.status, 200);
    assert.match(page.body, /Approved: signed in as ada@contoso\.example/);
    const token = signIn.stdout.slice(0, -1);
    assert.equal(signIn.stdout, `${token}\n`, 'stdout holds one line');
    assert.ok(
      w.emu.issuedSecrets().some((s) => s.kind === 'refresh token' && s.value === token),
      'that line is a refresh token the emulator issued',
    );
    assert.ok(!signIn.stderr.includes(token), 'not on stderr');
    assert.match(signIn.stderr, /Signed in as ada@contoso\.example/);
    succeeded(await w.run({ operation: 'list', refreshToken: token }));
  });
});
