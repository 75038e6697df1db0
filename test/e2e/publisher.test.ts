/**
 * `npm run package -- --publisher <id>` (and with `--dev`): a .vsix a user can upload under their own Marketplace
 * publisher and share privately. Its manifest names that publisher; its task has an id of its own (two publishers'
 * builds installed in one organization must not share a task id), the same from build to build.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { repoRoot, taskJsonPath } from '../support/paths';

interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  version: { Major: number; Minor: number; Patch: number };
}

const build = (...args: string[]): string =>
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs'), '--no-tsc', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** The extension manifest's Identity and the task.json inside a .vsix. */
async function readVsix(file: string): Promise<{ identity: Record<string, string>; task: TaskJson; files: string[] }> {
  const zip = await JSZip.loadAsync(fs.readFileSync(file));
  const vsixManifest = await zip.file('extension.vsixmanifest')!.async('string');
  const identityTag = /<Identity\b([^>]*)\/?>/.exec(vsixManifest)![1];
  const identity = Object.fromEntries([...identityTag.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const task = JSON.parse(await zip.file('tasks/PatLifecycleV1/task.json')!.async('string')) as TaskJson;
  return { identity, task, files: Object.keys(zip.files) };
}

const stagedTask = (stage: string): TaskJson =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'build', stage, 'tasks', 'PatLifecycleV1', 'task.json'), 'utf8')) as TaskJson;

describe('end to end: packaging under your own publisher', function () {
  this.timeout(120_000);
  const original = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as TaskJson;
  const version = JSON.parse(fs.readFileSync(path.join(repoRoot, 'vss-extension.json'), 'utf8')).version as string;
  let out: string;

  before(() => (out = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-publisher-'))));
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('--publisher: a .vsix under that publisher, with a task id of its own that stays the same', async () => {
    const log = build('--package', '--publisher', 'contoso-platform', '--out', out);
    const file = path.join(out, `contoso-platform.pat-lifecycle-${version}.vsix`);
    assert.ok(fs.existsSync(file), log);
    const vsix = await readVsix(file);
    assert.equal(vsix.identity.Publisher, 'contoso-platform');
    assert.equal(vsix.identity.Id, 'pat-lifecycle');
    assert.equal(vsix.identity.Version, version);
    assert.equal(vsix.task.name, 'PatLifecycle', 'pipelines keep writing PatLifecycle@1');
    assert.deepEqual(vsix.task.version, original.version);
    assert.match(vsix.task.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(vsix.task.id, original.id, 'not the pat-lifecycle publisher’s task id');
    assert.ok(vsix.files.includes('tasks/PatLifecycleV1/index.js'));
    assert.match(log, new RegExp(`publisher contoso-platform, extension pat-lifecycle, task PatLifecycle@1 \\(id ${vsix.task.id}\\)`));

    // The same publisher gets the same id on the next build; another publisher another id.
    build('--publisher', 'contoso-platform');
    assert.equal(stagedTask('stage-publisher-contoso-platform').id, vsix.task.id);
    build('--publisher', 'fabrikam');
    const other = stagedTask('stage-publisher-fabrikam').id;
    assert.notEqual(other, vsix.task.id);
    assert.notEqual(other, original.id);
  });

  it('--publisher with --dev: the dev variant under that publisher, with yet another task id', async () => {
    build('--package', '--dev', '--publisher', 'contoso-platform', '--out', out);
    const vsix = await readVsix(path.join(out, `contoso-platform.pat-lifecycle-dev-${version}.vsix`));
    assert.equal(vsix.identity.Publisher, 'contoso-platform');
    assert.equal(vsix.identity.Id, 'pat-lifecycle-dev');
    assert.equal(vsix.task.name, 'PatLifecycleDev');
    assert.match(vsix.task.friendlyName, /\(Dev\)$/);
    build('--dev');
    const ids = [original.id, stagedTask('stage-publisher-contoso-platform').id, stagedTask('stage-dev').id];
    for (const id of ids) assert.notEqual(vsix.task.id, id);
  });

  it('the publisher id is checked', () => {
    assert.throws(() => build('--publisher', 'not a publisher'), /--publisher 'not a publisher' is not a Marketplace publisher id/);
  });
});
