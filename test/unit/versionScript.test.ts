/** scripts/version.mjs, run on a copy of the versioned files: bumps move every file together, and --check agrees. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { TASK_FOLDER, readJsonText, task, type TaskJson } from './taskJson/lint';

describe('scripts/version.mjs (on a copy of the versioned files)', () => {
  const FILES = ['scripts/version.mjs', `${TASK_FOLDER}/task.json`, 'vss-extension.json', 'package.json', 'package-lock.json', 'cli/package.json'];
  let dir: string;
  const run = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'scripts', 'version.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  const { Major, Minor, Patch } = task.version;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-version-'));
    for (const file of FILES) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Bumps with `part` and checks every file: the new version, and no line changed but the version's. */
  function assertBump(part: string, expected: { Major: number; Minor: number; Patch: number }): void {
    const before = new Map(FILES.slice(1).map((file) => [file, read(file)]));
    const result = run(part);
    assert.equal(result.status, 0, result.stderr);
    const version = `${expected.Major}.${expected.Minor}.${expected.Patch}`;
    assert.match(result.stdout, new RegExp(`-> ${version.replace(/\./g, '\\.')}`), 'it prints what it did');
    assert.deepEqual(readJsonText<TaskJson>(read(`${TASK_FOLDER}/task.json`)).version, expected);
    for (const file of ['vss-extension.json', 'package.json', 'package-lock.json', 'cli/package.json'])
      assert.equal(readJsonText<{ version: string }>(read(file)).version, version, file);
    for (const [file, old] of before) {
      const now = read(file);
      assert.ok(now.endsWith('}\n'), `${file} keeps its trailing newline`);
      const oldLines = old.split('\n');
      const changed = now.split('\n').filter((line, n) => line !== oldLines[n]);
      assert.equal(now.split('\n').length, oldLines.length, `${file} keeps its line count`);
      assert.ok(
        changed.every((line) => /"(version|Major|Minor|Patch)"/.test(line)),
        `${file}: only version lines change, not:\n${changed.join('\n')}`,
      );
    }
    assert.equal(run('--check').status, 0, 'the files agree afterwards');
  }

  it('patch bumps the task Patch; the extension, package.json, package-lock.json and the CLI package follow', () =>
    assertBump('patch', { Major, Minor, Patch: Patch + 1 }));
  it('minor bumps the task Minor and resets Patch', () => assertBump('minor', { Major, Minor: Minor + 1, Patch: 0 }));
  it('major is refused, explaining that a new PatLifecycleV2 task folder is needed, and changes nothing', () => {
    const before = FILES.map(read);
    const result = run('major');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, new RegExp(`tasks/PatLifecycleV${Major + 1}`));
    assert.deepEqual(FILES.map(read), before);
  });
  it('--check fails, naming the file, when a version disagrees with task.json', () => {
    fs.writeFileSync(
      path.join(dir, 'vss-extension.json'),
      read('vss-extension.json').replace(/^( {2}"version": )"[^"]*"/m, `$1"${Major}.${Minor}.${Patch + 7}"`),
    );
    const result = run('--check');
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /vss-extension\.json/);
  });
  it('refuses an unknown argument without changing anything', () => {
    const before = FILES.map(read);
    assert.notEqual(run('prerelease').status, 0);
    assert.deepEqual(FILES.map(read), before);
  });
});
