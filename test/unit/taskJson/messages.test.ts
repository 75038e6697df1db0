/**
 * task.json messages. `loc` is generated from them (scripts/messages.mjs -> messages.generated.ts), so tsc already
 * refuses a key that is not a message and a call with the wrong number of arguments. Left to check here: the
 * generated file is the one task.json gives, and no message is dead weight.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loc, reword } from '../../../tasks/PatLifecycleV1/src/messages.generated';
import { repoRoot } from '../../support/paths';
import { SRC_DIR, TASK_FOLDER, expectNone, task } from './lint';

const SCRIPT = path.join('scripts', 'messages.mjs');
const GENERATED = path.join(SRC_DIR, 'messages.generated.ts');
const CLI_SRC = path.join(repoRoot, 'cli', 'src');

/** The sources that show messages: the task's and the sign-in command's, without the generated table itself. */
function sources(): string {
  return [SRC_DIR, CLI_SRC]
    .flatMap((dir) => (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)))
    .filter((file) => file.endsWith('.ts') && file !== GENERATED)
    .map((file) => fs.readFileSync(file, 'utf8'))
    .join('\n');
}

describe('task.json messages', () => {
  it(`${path.relative(repoRoot, GENERATED)} is what task.json's messages give (node ${SCRIPT} --check)`, () => {
    const run = spawnSync(process.execPath, [SCRIPT, '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  it('--check fails, saying what to run, once a message in task.json changes (on a copy)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-messages-'));
    try {
      for (const file of [SCRIPT, `${TASK_FOLDER}/task.json`, path.relative(repoRoot, GENERATED)]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(repoRoot, file), path.join(dir, file));
      }
      const copy = path.join(dir, TASK_FOLDER, 'task.json');
      fs.writeFileSync(
        copy,
        fs.readFileSync(copy, 'utf8').replace('"InputRequired": "Input \'%s\' is required', '"InputRequired": "Input \'%s\' (%s) is required'),
      );
      const run = spawnSync(process.execPath, [SCRIPT, '--check'], { cwd: dir, encoding: 'utf8' });
      assert.notEqual(run.status, 0, 'a stale file passed');
      assert.match(run.stderr, /messages\.generated\.ts is not what task\.json's messages give: run npm run build/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every message in task.json is used by the source (its key in quotes: a loc call or a table of keys)', () => {
    const text = sources();
    expectNone(
      Object.keys(task.messages)
        .filter((key) => !new RegExp(`(['"\`])${key}\\1`).test(text))
        .map((key) => `message '${key}' is never used by the source: remove it or use it`),
    );
  });

  it("loc fills the placeholders in order, as task-lib's loc did, and reword changes only the wording", () => {
    assert.equal(loc('InputRequired', 'tenantId'), "Input 'tenantId' is required: set it in the task's inputs.");
    assert.equal(loc('ListDone', 3), task.messages.ListDone.replace('%s', '3'));
    try {
      reword({ InputRequired: 'Pass --%s.' });
      assert.equal(loc('InputRequired', 'tenant'), 'Pass --tenant.');
      assert.equal(loc('ListDone', 3), task.messages.ListDone.replace('%s', '3'), 'a message not reworded keeps its text');
    } finally {
      reword({});
    }
    assert.equal(loc('InputRequired', 'tenantId'), "Input 'tenantId' is required: set it in the task's inputs.");
  });
});
