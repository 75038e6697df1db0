import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';

const CLI = path.resolve(__dirname, '../../emulator/src/cli.js');

function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('emulator: CLI', function () {
  it('prints the connection details, serves the demo tenant and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0', '--latency-ms', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const vars = await new Promise<Record<string, string>>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c: string) => {
          out += c;
          if (/^JOB_TOKEN=.*\n/m.test(out)) {
            resolve(
              Object.fromEntries(
                out
                  .trim()
                  .split('\n')
                  .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
              ),
            );
          }
        });
        child.on('exit', () => reject(new Error(`CLI exited early: ${out}`)));
      });
      for (const k of ['EMULATOR_URL', 'EMULATOR_CA_FILE', 'TENANT_ID', 'CLIENT_ID', 'REFRESH_TOKEN', 'ORG_URL']) assert.ok(vars[k], k);
      const ca = fs.readFileSync(vars.EMULATOR_CA_FILE, 'utf8');
      const meta = await get(`${vars.EMULATOR_URL}/${vars.TENANT_ID}/v2.0/.well-known/openid-configuration`, ca);
      assert.strictEqual(meta.status, 200);
      const groups = await get(`${vars.ORG_URL}/${vars.PROJECT}/_apis/distributedtask/variablegroups/${vars.VARIABLE_GROUP_ID}?api-version=7.1`, ca, {
        authorization: `Bearer ${vars.JOB_TOKEN}`,
      });
      assert.strictEqual(groups.status, 200, groups.body);
    } finally {
      child.kill('SIGTERM');
    }
    assert.strictEqual(await exited, 0);
  });
});
