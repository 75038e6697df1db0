/**
 * The .vsix as a user's agent gets it: packaged with tfx from the staging folder, unpacked into an empty
 * folder far from node_modules, and run with only Node and the task's own files.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { runTaskAsAgent } from '../../scripts/lib/agentRunner';
import { repoRoot } from '../support/paths';
import { startWorld, succeeded, type World } from '../support/world';

describe('end to end: the packaged .vsix', function () {
  this.timeout(120_000);
  let w: World;
  let dir: string;
  let vsix: string;

  before(async () => {
    w = await startWorld();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-vsix-'));
    const tfx = path.join(repoRoot, 'node_modules', '.bin', 'tfx');
    execFileSync(
      tfx,
      ['extension', 'create', '--root', path.join(repoRoot, 'build', 'stage'), '--manifest-globs', 'vss-extension.json', '--output-path', dir, '--no-prompt'],
      {
        stdio: 'ignore',
      },
    );
    vsix = path.join(
      dir,
      fs.readdirSync(dir).find((f) => f.endsWith('.vsix'))!,
    );
    const zip = await JSZip.loadAsync(fs.readFileSync(vsix));
    for (const [name, entry] of Object.entries(zip.files)) {
      if (entry.dir) continue;
      const target = path.join(dir, 'unpacked', name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, await entry.async('nodebuffer'));
    }
  });
  after(async () => {
    await w.emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is small and holds only the task’s own files', () => {
    assert.ok(fs.statSync(vsix).size <= 400 * 1024, `${fs.statSync(vsix).size} bytes`);
    const taskFiles = fs.readdirSync(path.join(dir, 'unpacked', 'tasks', 'PatLifecycleV1')).sort();
    assert.deepEqual(taskFiles, ['icon.png', 'index.js', 'task.json']);
    const manifest = fs.readFileSync(path.join(dir, 'unpacked', 'extension.vsixmanifest'), 'utf8');
    assert.match(manifest, /Id="pat-lifecycle"/);
  });

  it('the unpacked task runs against the emulator with nothing but Node', async () => {
    const taskDir = path.join(dir, 'unpacked', 'tasks', 'PatLifecycleV1');
    const run = await runTaskAsAgent({
      taskDir,
      inputs: { ...w.base(), operation: 'create', displayName: 'from-vsix', scope: 'vso.code' },
      knownSecrets: [w.base().refreshToken],
      env: { NODE_EXTRA_CA_CERTS: w.emu.caCertPath, NODE_PATH: '' },
    });
    succeeded(run);
    assert.equal(w.emu.checkPat(run.variables.Token.value, 'fabrikam'), 'active');
  });
});
