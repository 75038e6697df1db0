/**
 * docs/inputs.md carries tables generated from task.json (scripts/docs-inputs.mjs, `npm run docs`). The committed
 * file must be what task.json gives today, and the check must notice a change to task.json it was not regenerated for.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, taskJsonPath } from '../support/paths';

const SCRIPT = path.join(repoRoot, 'scripts', 'docs-inputs.mjs');
const DOC = path.join(repoRoot, 'docs', 'inputs.md');

function docs(...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: repoRoot, encoding: 'utf8' });
}

describe('docs/inputs.md (generated from task.json)', () => {
  it('is up to date (node scripts/docs-inputs.mjs --check; npm run docs regenerates it)', () => {
    const run = docs('--check');
    assert.equal(run.status, 0, `${run.stderr}${run.stdout}`);
  });

  it('lists every input and output of task.json with its default', () => {
    const task = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as {
      inputs: Array<{ name: string; defaultValue?: string }>;
      outputVariables: Array<{ name: string }>;
    };
    const text = fs.readFileSync(DOC, 'utf8');
    for (const input of task.inputs) {
      const row = text.split('\n').find((l) => l.startsWith(`| \`${input.name}\` |`));
      assert.ok(row, `no row for input ${input.name}`);
      if (input.defaultValue) assert.ok(row.includes(`\`${input.defaultValue}\``), `${input.name}: default ${input.defaultValue} missing`);
    }
    for (const output of task.outputVariables) assert.ok(text.includes(`| \`${output.name}\` |`), `no row for output ${output.name}`);
  });

  describe('on copies', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-inputs-'));
      fs.copyFileSync(taskJsonPath, path.join(dir, 'task.json'));
      fs.copyFileSync(DOC, path.join(dir, 'inputs.md'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('--check fails when task.json changed and the doc was not regenerated; regenerating fixes it and keeps the hand-written text', () => {
      const taskFile = path.join(dir, 'task.json');
      const docFile = path.join(dir, 'inputs.md');
      const task = JSON.parse(fs.readFileSync(taskFile, 'utf8')) as { inputs: Array<{ name: string; helpMarkDown: string }> };
      task.inputs.find((i) => i.name === 'keepPrevious')!.helpMarkDown = 'A changed help text | with a pipe.';
      fs.writeFileSync(taskFile, JSON.stringify(task, null, 2));

      const stale = docs('--task', taskFile, '--doc', docFile, '--check');
      assert.equal(stale.status, 1, stale.stdout);
      assert.match(stale.stderr, /is stale.*npm run docs/);

      const write = docs('--task', taskFile, '--doc', docFile);
      assert.equal(write.status, 0, write.stderr);
      const text = fs.readFileSync(docFile, 'utf8');
      assert.match(text, /\| `keepPrevious` \|.*A changed help text \\\| with a pipe\. \|/);
      assert.match(text, /### How a PAT is selected/, 'the hand-written text is kept');
      assert.equal(docs('--task', taskFile, '--doc', docFile, '--check').status, 0);
    });

    it('refuses a doc without the markers', () => {
      fs.writeFileSync(path.join(dir, 'inputs.md'), '# Inputs\n');
      const run = docs('--task', path.join(dir, 'task.json'), '--doc', path.join(dir, 'inputs.md'), '--check');
      assert.equal(run.status, 2);
      assert.match(run.stderr, /no <!-- inputs:start -->/);
    });
  });
});
