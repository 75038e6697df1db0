/**
 * `npm run emulator` for a person at a terminal: what it prints is enough to try each sign-in flow and the task by
 * hand. The device code page approves a code over plain HTTPS, and the printed commands are run here as printed.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

interface Answer {
  status: number;
  body: string;
}

function request(url: string, ca: string, method = 'GET', form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        agent: false,
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } : headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs lines as bash does, from the repository root, as a person pasting them into a fresh terminal would. */
function shell(script: string, env: Record<string, string> = {}, onStderr?: (text: string, child: ChildProcess) => void): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: repoRoot, env: { ...process.env, NODE_EXTRA_CA_CERTS: '', ...env }, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('end to end: the emulator by hand (npm run emulator)', function () {
  this.timeout(90_000);
  let child: ChildProcess;
  let vars: Record<string, string>;
  let guide: string;
  let ca: string;
  /** The printed commands, by what they start with. */
  const printed = (start: RegExp): string[] =>
    guide
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => start.test(l));

  before(async () => {
    child = spawn(process.execPath, [path.join(repoRoot, 'build', 'emulator', 'src', 'cli.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    [vars, guide] = await new Promise<[Record<string, string>, string]>((resolve, reject) => {
      let out = '';
      let err = '';
      const done = (): void => {
        if (!/^JOB_TOKEN=.*\n/m.test(out) || !/index\.js\n/.test(err)) return;
        const lines = out.trim().split('\n');
        resolve([Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])), err]);
      };
      child.stdout!.setEncoding('utf8').on('data', (c: string) => ((out += c), done()));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => ((err += c), done()));
      child.on('exit', () => reject(new Error(`the emulator exited early: ${out}${err}`)));
    });
    ca = fs.readFileSync(vars.EMULATOR_CA_FILE, 'utf8');
  });
  after(() => {
    child.kill('SIGTERM');
  });

  /** Starts a device code sign-in as a client does; returns its codes. */
  async function deviceCode(): Promise<{ user_code: string; device_code: string; verification_uri: string }> {
    const answer = await request(`${vars.EMULATOR_URL}/${vars.TENANT_ID}/oauth2/v2.0/devicecode`, ca, 'POST', {
      client_id: vars.CLIENT_ID,
      scope: '499b84ac-1321-427f-aa17-267ca6975798/.default offline_access',
    });
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as { user_code: string; device_code: string; verification_uri: string };
  }
  const poll = (code: string): Promise<Answer> =>
    request(`${vars.EMULATOR_URL}/${vars.TENANT_ID}/oauth2/v2.0/token`, ca, 'POST', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: vars.CLIENT_ID,
      device_code: code,
    });

  it('prints the device code page, the certificate to trust and that the demo app may write variable groups', () => {
    assert.equal(vars.DEVICE_LOGIN_URL, `${vars.EMULATOR_URL}/devicelogin`);
    assert.deepEqual(printed(/^export NODE_EXTRA_CA_CERTS=/), [`export NODE_EXTRA_CA_CERTS=${vars.EMULATOR_CA_FILE}`]);
    assert.match(guide, /app \(may manage PATs and variable groups\)/);
    assert.ok(guide.includes(`${vars.EMULATOR_URL}/devicelogin: open the page, enter the code and select Approve`), guide);
  });

  it('the device code page (the verification_uri) approves a code through a plain form post', async () => {
    const grant = await deviceCode();
    assert.equal(grant.verification_uri, vars.DEVICE_LOGIN_URL);
    assert.equal(JSON.parse((await poll(grant.device_code)).body).error, 'authorization_pending');
    const page = await request(`${grant.verification_uri}?user_code=${grant.user_code}`, ca);
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="POST" action="\/devicelogin">/);
    assert.match(page.body, new RegExp(`name="user_code" value="${grant.user_code}"`));
    assert.match(page.body, /<button type="submit" name="action" value="approve">Approve<\/button>/);
    const approved = await request(grant.verification_uri, ca, 'POST', { user_code: grant.user_code, action: 'approve' });
    assert.equal(approved.status, 200);
    assert.match(approved.body, /Approved: signed in as demo\.user@contoso\.example/);
    const token = await poll(grant.device_code);
    assert.equal(token.status, 200, token.body);
    assert.ok(JSON.parse(token.body).refresh_token);
    // Approving it again, or a code nobody asked for, says so.
    assert.equal((await request(grant.verification_uri, ca, 'POST', { user_code: grant.user_code, action: 'approve' })).status, 409);
    const unknown = await request(grant.verification_uri, ca, 'POST', { user_code: 'NOPE-NOPE', action: 'approve' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /No sign-in is waiting for the code/);
  });

  it('Decline on the page declines the sign-in', async () => {
    const grant = await deviceCode();
    const declined = await request(grant.verification_uri, ca, 'POST', { user_code: grant.user_code, action: 'decline' });
    assert.equal(declined.status, 200);
    assert.equal(JSON.parse((await poll(grant.device_code)).body).error, 'authorization_declined');
  });

  it('the printed device code command, approved with the printed approve command, prints only a refresh token', async () => {
    const [trust] = printed(/^export NODE_EXTRA_CA_CERTS=/);
    const [command] = printed(/^npm run --silent login -- .* --device-code$/);
    const approveLine = guide.split('\n').find((l) => l.includes('approve <CODE>'))!;
    const approve = approveLine.slice(approveLine.indexOf('node build/emulator/src/cli.js approve'));
    let approval: Promise<ShellRun> | undefined;
    const run = await shell(`${trust}\n${command}`, {}, (text, login) => {
      const code = /enter the code (\S+)/.exec(text)?.[1];
      if (code && !approval) {
        // In a fresh terminal: the approve command must work without the export.
        approval = shell(approve.replace('<CODE>', code));
        // A failed approval would leave the sign-in waiting for the code's lifetime: stop it then.
        void approval.then((a) => a.code !== 0 && process.kill(-login.pid!, 'SIGTERM'));
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const approved = await approval!;
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /^Approved: signed in as demo\.user@contoso\.example/);
    const token = run.stdout.slice(0, -1);
    assert.equal(run.stdout, `${token}\n`, 'stdout holds the token alone (no npm banner)');
    assert.ok(token.length > 40 && !/\s/.test(token));
    assert.match(run.stderr, /Signed in as demo\.user@contoso\.example/);
  });

  it('the printed browser command signs in (with a stand-in browser)', async () => {
    const [trust] = printed(/^export NODE_EXTRA_CA_CERTS=/);
    const [command] = printed(/^npm run --silent login -- \S+ \S+ \S+ \S+ --authority-host \S+$/);
    const fakeBrowser = path.join(repoRoot, 'build', 'test', 'support', 'fakeBrowser.js');
    const run = await shell(`${trust}\n${command}`, { BROWSER: `${process.execPath} ${fakeBrowser}` });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.split('\n').length, 2, run.stdout);
  });

  it('the printed store command puts the token in the demo variable group as a secret', async () => {
    const [trust] = printed(/^export NODE_EXTRA_CA_CERTS=/);
    const [command] = printed(/^npm run --silent login -- .* --variable-group pat-rotation /);
    const approve = (code: string): Promise<Answer> => request(vars.DEVICE_LOGIN_URL, ca, 'POST', { user_code: code, action: 'approve' });
    let approval: Promise<Answer> | undefined;
    const run = await shell(`${trust}\n${command}`, {}, (text) => {
      const code = /enter the code (\S+)/.exec(text)?.[1];
      if (code && !approval) approval = approve(code);
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /Stored the refresh token as secret variable PatLifecycle\.RefreshToken in variable group 'pat-rotation'/);
    const group = await request(
      `${vars.ORG_URL}/${vars.PROJECT}/_apis/distributedtask/variablegroups/${vars.VARIABLE_GROUP_ID}?api-version=7.1`,
      ca,
      'GET',
      undefined,
      {
        authorization: `Bearer ${vars.JOB_TOKEN}`,
      },
    );
    assert.equal(group.status, 200, group.body);
    assert.deepEqual(JSON.parse(group.body).variables['PatLifecycle.RefreshToken'], { isSecret: true, value: null });
  });

  it('the printed task command runs the staged task against the emulator', async () => {
    const [trust] = printed(/^export NODE_EXTRA_CA_CERTS=/);
    const start = guide.indexOf('INPUT_OPERATION=list');
    const command = guide.slice(start, guide.indexOf('index.js', start) + 'index.js'.length);
    const run = await shell(`${trust}\n${command}`);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /##vso\[task\.complete result=Succeeded;/);
  });
});
