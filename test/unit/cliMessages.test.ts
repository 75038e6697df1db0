/**
 * The sign-in command speaks of its own flags: every task message its bundle can show, as the command shows it
 * (cli/messages.json over task.json), names no task input (refreshToken, entraScope, ...) and no pipeline or agent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, taskJsonPath } from '../support/paths';

interface Messages {
  messages: Record<string, string>;
}

const task = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as Messages & { inputs: Array<{ name: string }> };
const cli = JSON.parse(fs.readFileSync(path.join(repoRoot, 'cli', 'messages.json'), 'utf8')) as Messages;
const placeholders = (text: string): number => (text.match(/%s/g) ?? []).length;

/** Task inputs whose names are not plain words (scope, organization, operation read as English). */
const inputNames = task.inputs.map((i) => i.name).filter((name) => /[A-Z]/.test(name));
/** Task-only context a person at a terminal cannot act on (the portal path "Pipelines > Library" is fine). */
const TASK_WORDS = [/\bagent'?s?\b/i, /\bpipelines?\b(?!\s*>)/i, /secret variable/i, /Agent\.CAInfo/];

/**
 * Messages the bundle holds but the command cannot show: they answer the PAT API's patTokenError field or its
 * 404, and the command calls only Entra and the variable group API (whose 401, 403 and 404 it answers itself).
 */
const PAT_API_ONLY = new Set(['ApiNotFound', 'PatErrorNotFound', 'PatErrorGlobalPolicy', 'PatErrorGlobalBlocked', 'PatErrorLifespanPolicy']);

function problems(text: string): string[] {
  return [...inputNames.filter((name) => new RegExp(`\\b${name}\\b`).test(text)), ...TASK_WORDS.filter((re) => re.test(text)).map(String)];
}

describe('sign-in command: its messages', () => {
  it('cli/messages.json rewords existing task messages with the same placeholders', () => {
    for (const [key, text] of Object.entries(cli.messages)) {
      assert.ok(key in task.messages, `${key} is not a task.json message`);
      assert.equal(placeholders(text), placeholders(task.messages[key]), `${key}: %s count`);
      assert.deepEqual(problems(text), [], `${key}: ${text}`);
    }
  });

  it('no message the bundled command can show names a task input, the pipeline or the agent', () => {
    const bundle = fs.readFileSync(path.join(repoRoot, 'cli', 'dist', 'pat-lifecycle.js'), 'utf8');
    // A key in quotes is a use (a loc call or a table of keys): the minified message table writes its keys bare.
    const shown = Object.keys(task.messages).filter((key) => new RegExp(`["'\`]${key}["'\`]`).test(bundle));
    assert.ok(shown.includes('SignInTenantNotFound') && shown.includes('VariableGroupNotFound'), `bundle keys: ${shown.join(', ')}`);
    const bad = shown
      .filter((key) => !PAT_API_ONLY.has(key))
      .map((key) => [key, problems(cli.messages[key] ?? task.messages[key])] as const)
      .filter(([, found]) => found.length > 0);
    assert.deepEqual(bad, [], 'reword these in cli/messages.json');
  });

  it("the bundle holds the command's wording, and the task's for the messages it does not reword", () => {
    const bundle = fs.readFileSync(path.join(repoRoot, 'cli', 'dist', 'pat-lifecycle.js'), 'utf8');
    assert.ok(bundle.includes(cli.messages.SignInTenantNotFound), 'cli/messages.json is bundled');
    assert.ok(bundle.includes(task.messages.EntraUnavailable), "task.json's messages are bundled");
    assert.ok(!fs.existsSync(path.join(repoRoot, 'cli', 'dist', 'messages.json')), 'no messages file to ship beside it');
  });
});
