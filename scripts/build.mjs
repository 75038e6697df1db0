#!/usr/bin/env node
// The one build: tsc (for tests), an esbuild bundle of the task, a staging folder laid out like the
// extension, and with --package `tfx extension create` from that folder into dist/.
//   node scripts/build.mjs            tsc + bundle + stage (what the tests run)
//   node scripts/build.mjs --package  ... then dist/*.vsix
//   node scripts/build.mjs --package --dev   a private dev variant (own extension id, "(Dev)" name, own task id)
//   node scripts/build.mjs --package --publisher <id>   the extension under your own Marketplace publisher (own task id)
//   node scripts/build.mjs --package --out <dir>        write the .vsix into <dir> instead of dist/
// Every build also bundles the sign-in command into cli/dist/ (the npm package `pat-lifecycle`, see cli/README.md).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { writeMessages } from './messages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { args, publisher, out } = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`build: ${err.message}`);
    process.exit(2);
  }
})();
const dev = args.has('--dev');
const stage = path.join(root, 'build', ['stage', dev ? 'dev' : '', publisher ? `publisher-${publisher}` : ''].filter(Boolean).join('-'));
const taskName = 'PatLifecycleV1';
const taskSrc = path.join(root, 'tasks', taskName);
const taskOut = path.join(stage, 'tasks', taskName);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function step(label, fn) {
  const t = Date.now();
  fn();
  console.log(`build: ${label} (${Date.now() - t} ms)`);
}

// The typed messages (tasks/PatLifecycleV1/src/messages.generated.ts) from task.json, before tsc compiles their uses.
step('messages', () => writeMessages());
if (!args.has('--no-tsc')) {
  // tsc's output from scratch: a source file that was moved or deleted leaves no stale test behind for mocha to run.
  for (const dir of ['tasks', 'emulator', 'cli', 'test', 'scripts']) fs.rmSync(path.join(root, 'build', dir), { recursive: true, force: true });
  step('tsc', () => execFileSync(bin('tsc'), ['-p', root], { stdio: 'inherit' }));
}

/**
 * What the task's bundle leaves out (issue 13: smaller and faster to load). Modules the task's code paths never call
 * are replaced by a stub that throws if called (scripts/bundle-stubs/unused.cjs):
 * - task-lib's tool runner, file matching (minimatch) and external-output filters; semver by the one comparison
 *   task-lib makes when it loads;
 * - MSAL's certificate client assertions (jsonwebtoken), and its flows the task does not use: on-behalf-of,
 *   username/password, user federated identity, authorization code (its URL and loopback server), silent (cache)
 *   requests and token cache (de)serialisation, proof-of-possession tokens, managed identity, Azure region
 *   discovery, the token cache's public face (used only with a cache plugin, which the task has not) and the default
 *   HTTP client (the task gives MSAL its own network client: src/entra.ts);
 * - typed-rest-client's query-string helper (qs).
 * task-lib's own messages are kept in English only (lib-resource.js also carries every other culture's): the task's
 * messages are in English only too, so a run reads one language whatever System.Culture says. The task's own messages
 * are not copied in: they are read from the task.json beside index.js.
 * The end-to-end tests run this bundle, so a stub that is reached fails them.
 */
const STUBS = [
  { filter: /^(jsonwebtoken|qs|minimatch)$/, file: 'unused.cjs' },
  { filter: /^semver$/, file: 'semver.cjs' },
  { filter: /^\.\/(toolrunner|mock-toolrunner|externaloutput)$/, from: 'azure-pipelines-task-lib', file: 'unused.cjs' },
  {
    filter: new RegExp(
      `/(${[
        ...['OnBehalfOfClient', 'UsernamePasswordClient', 'UserFederatedIdentityCredentialClient'],
        ...['AuthorizationCodeClient', 'LoopbackClient', 'Authorize'],
        ...['SilentFlowClient', 'SilentRequestCoalescer', 'Serializer', 'Deserializer'],
        ...['PopTokenGenerator', 'DpopProofGenerator'],
        ...['BaseManagedIdentitySource', 'ManagedIdentityId', 'ManagedIdentityError'],
        ...['HttpClient', 'RegionDiscovery', 'TokenCache'],
      ].join('|')})\\.mjs$`,
    ),
    from: '@azure/msal-',
    file: 'unused.cjs',
    esm: true,
  },
];
const bundleStubs = {
  name: 'bundle-stubs',
  setup(build) {
    const stubPath = (file) => path.join(root, 'scripts', 'bundle-stubs', file);
    for (const { filter, from, file, esm } of STUBS) {
      build.onResolve({ filter }, (args) => {
        if (from !== undefined && !args.importer.includes(from)) return undefined;
        // An ES module's importers take its exports by name when they load: its stub exports the same names.
        if (esm) return { path: path.resolve(path.dirname(args.importer), args.path), namespace: 'stub-esm', pluginData: stubPath(file) };
        return { path: stubPath(file) };
      });
    }
    build.onLoad({ filter: /./, namespace: 'stub-esm' }, (args) => {
      const names = [...fs.readFileSync(args.path, 'utf8').matchAll(/^export \{([^}]*)\};?$/gm)].flatMap(([, list]) =>
        list.split(',').map((name) =>
          name
            .trim()
            .split(/\s+as\s+/)
            .pop(),
        ),
      );
      if (names.length === 0) throw new Error(`bundle stub: no exports found in ${args.path}`);
      const lines = names.map((name) => `export const ${name} = stub.${name};`);
      return { contents: [`import stub from ${JSON.stringify(args.pluginData)};`, ...lines].join('\n'), loader: 'js', resolveDir: root };
    });
    // The typed messages (and the version) are read at run time from the task.json beside index.js, not copied in.
    build.onResolve({ filter: /^\.\.\/task\.json$/ }, (args) =>
      path.dirname(args.importer) === path.join(taskSrc, 'src') ? { path: './task.json', external: true } : undefined,
    );
    build.onResolve({ filter: /^\.\/lib-resource$/ }, (args) =>
      args.importer.includes('azure-pipelines-task-lib')
        ? { path: path.join(path.dirname(args.importer), 'lib-resource.js'), namespace: 'english' }
        : undefined,
    );
    build.onLoad({ filter: /./, namespace: 'english' }, (args) => {
      const { messages } = createRequire(import.meta.url)(args.path);
      return { contents: `module.exports = ${JSON.stringify({ messages })};`, loader: 'js' };
    });
  },
};

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
    plugins: [bundleStubs],
  });
  // What each module adds to the bundle (https://esbuild.github.io/analyze/ reads this file).
  fs.writeFileSync(path.join(root, 'build', 'bundle-meta.json'), JSON.stringify(result.metafile));
  const bytes = fs.statSync(path.join(taskOut, 'index.js')).size;
  console.log(`build: bundle ${Math.round(bytes / 1024)} KB, ${Object.keys(result.metafile.inputs).length} modules (${Date.now() - t} ms)`);
})();

// The task folder holds only the task's own files: bundle, task.json, icon (task-lib's own messages are in the bundle).
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8'));
const task = JSON.parse(fs.readFileSync(path.join(taskSrc, 'task.json'), 'utf8'));
if (task.version.Major !== Number(manifest.version.split('.')[0])) throw new Error('task major version and extension version disagree: run npm run version');
if (publisher && publisher !== manifest.publisher) {
  // A task id is unique in an organization: two publishers' builds installed side by side must not share one. Each
  // publisher gets an id of its own, derived from the real one and the publisher id, so it stays the same from build
  // to build (agents and pipelines keep recognising the task across updates).
  task.id = uuidFrom(`${task.id}-publisher-${publisher}`);
  manifest.publisher = publisher;
}
if (dev) {
  task.id = uuidFrom(`${task.id}-dev`);
  task.name = `${task.name}Dev`;
  task.friendlyName = `${task.friendlyName} (Dev)`;
}
fs.writeFileSync(path.join(taskOut, 'task.json'), JSON.stringify(task, null, 2) + '\n');
fs.copyFileSync(path.join(taskSrc, 'icon.png'), path.join(taskOut, 'icon.png'));

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

await bundleCli();

if (args.has('--package')) {
  fs.mkdirSync(out, { recursive: true });
  const vsix = path.join(out, `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  step('tfx extension create', () =>
    execFileSync(
      bin('tfx'),
      ['extension', 'create', '--root', stage, '--manifest-globs', 'vss-extension.json', '--output-path', vsix, '--no-prompt', '--json'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  const shown = path.relative(root, vsix).startsWith('..') ? vsix : path.relative(root, vsix);
  console.log(`build: ${shown} ${Math.round(fs.statSync(vsix).size / 1024)} KB`);
  console.log(`build: publisher ${manifest.publisher}, extension ${manifest.id}, task ${task.name}@${task.version.Major} (id ${task.id})`);
}

/**
 * The sign-in command as its npm package (cli/): one bundle with every dependency inside, its messages included (the
 * task's, with the command's own wording from cli/messages.json on top: cli/src/main.ts).
 */
async function bundleCli() {
  const t = Date.now();
  const cliDir = path.join(root, 'cli');
  const dist = path.join(cliDir, 'dist');
  fs.rmSync(dist, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(cliDir, 'src', 'bin.ts')],
    outfile: path.join(dist, 'pat-lifecycle.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const bytes = fs.statSync(path.join(dist, 'pat-lifecycle.js')).size;
  console.log(`build: cli/dist/pat-lifecycle.js ${Math.round(bytes / 1024)} KB (${Date.now() - t} ms)`);
}

function parseArgs(argv) {
  const flags = new Set();
  let publisherId;
  let outDir = path.join(root, 'dist');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--publisher' || arg === '--out') {
      const value = argv[++i];
      if (!value || value.startsWith('--')) throw new Error(`${arg} needs a value`);
      if (arg === '--out') outDir = path.resolve(value);
      else publisherId = value;
    } else if (['--dev', '--package', '--no-tsc'].includes(arg)) flags.add(arg);
    else throw new Error(`unknown option ${arg}: use --package, --dev, --publisher <id>, --out <dir>, --no-tsc`);
  }
  // Marketplace publisher ids: letters, digits, hyphens and underscores, starting with a letter or digit.
  if (publisherId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(publisherId)) {
    throw new Error(`--publisher '${publisherId}' is not a Marketplace publisher id (letters, digits, '-' and '_')`);
  }
  return { args: flags, publisher: publisherId, out: outDir };
}

/** A stable GUID derived from a string (the dev task keeps its id across builds). */
function uuidFrom(text) {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
