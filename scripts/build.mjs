#!/usr/bin/env node
// The one build: tsc (for tests), an esbuild bundle of the task, a staging folder laid out like the
// extension, and with --package `tfx extension create` from that folder into dist/.
//   node scripts/build.mjs            tsc + bundle + stage (what the tests run)
//   node scripts/build.mjs --package  ... then dist/*.vsix
//   node scripts/build.mjs --package --dev   a private dev variant (own extension id, "(Dev)" name, own task id)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const dev = args.has('--dev');
const stage = path.join(root, 'build', dev ? 'stage-dev' : 'stage');
const taskName = 'PatLifecycleV1';
const taskSrc = path.join(root, 'tasks', taskName);
const taskOut = path.join(stage, 'tasks', taskName);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function step(label, fn) {
  const t = Date.now();
  fn();
  console.log(`build: ${label} (${Date.now() - t} ms)`);
}

if (!args.has('--no-tsc')) step('tsc', () => execFileSync(bin('tsc'), ['-p', root], { stdio: 'inherit' }));

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(taskOut, { recursive: true });

await (async () => {
  const t = Date.now();
  const result = await esbuild.build({
    entryPoints: [path.join(taskSrc, 'src', 'index.ts')],
    outfile: path.join(taskOut, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = fs.statSync(path.join(taskOut, 'index.js')).size;
  console.log(`build: bundle ${Math.round(bytes / 1024)} KB, ${Object.keys(result.metafile.inputs).length} modules (${Date.now() - t} ms)`);
})();

// The task folder holds only the task's own files: bundle, task.json, icon, task-lib's message catalog.
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8'));
const task = JSON.parse(fs.readFileSync(path.join(taskSrc, 'task.json'), 'utf8'));
if (task.version.Major !== Number(manifest.version.split('.')[0])) throw new Error('task major version and extension version disagree: run npm run version');
if (dev) {
  task.id = uuidFrom(`${task.id}-dev`);
  task.name = `${task.name}Dev`;
  task.friendlyName = `${task.friendlyName} (Dev)`;
}
fs.writeFileSync(path.join(taskOut, 'task.json'), JSON.stringify(task, null, 2) + '\n');
fs.copyFileSync(path.join(taskSrc, 'icon.png'), path.join(taskOut, 'icon.png'));
fs.copyFileSync(path.join(root, 'node_modules', 'azure-pipelines-task-lib', 'lib.json'), path.join(taskOut, 'lib.json'));

// The extension's own files.
if (dev) {
  manifest.id = `${manifest.id}-dev`;
  manifest.name = `${manifest.name} (Dev)`;
  manifest.public = false;
  manifest.galleryFlags = ['Preview'];
}
fs.writeFileSync(path.join(stage, 'vss-extension.json'), JSON.stringify(manifest, null, 2) + '\n');
for (const file of ['overview.md', 'LICENSE', 'CHANGELOG.md', 'images']) {
  const from = path.join(root, file);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, file), { recursive: true });
}
console.log(`build: staged ${path.relative(root, stage)}`);

if (args.has('--package')) {
  const out = path.join(root, 'dist');
  fs.mkdirSync(out, { recursive: true });
  step('tfx extension create', () =>
    execFileSync(
      bin('tfx'),
      ['extension', 'create', '--root', stage, '--manifest-globs', 'vss-extension.json', '--output-path', out, '--no-prompt', '--json'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  const vsix = fs.readdirSync(out).filter((f) => f === `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  for (const f of vsix) console.log(`build: dist/${f} ${Math.round(fs.statSync(path.join(out, f)).size / 1024)} KB`);
}

/** A stable GUID derived from a string (the dev task keeps its id across builds). */
function uuidFrom(text) {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
