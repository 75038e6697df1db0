#!/usr/bin/env node
// Bumps the one version of the project. The task's version in task.json is the source of truth (it is what makes
// agents download a new task); the extension (vss-extension.json) and package.json (and package-lock.json) follow it
// as `${Major}.${Minor}.${Patch}`; so does the sign-in command's npm package (cli/package.json).
//   npm run version -- patch    task Patch + 1
//   npm run version -- minor    task Minor + 1, Patch 0
//   npm run version -- major    refused: a new major version of a task needs a new task folder (PatLifecycleV2)
//   npm run version -- --check  exit 1 when the files disagree (the tests run this)
// Only the version text is edited in place, so each file keeps its formatting (2-space indentation, trailing newline).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TASK_JSON = 'tasks/PatLifecycleV1/task.json';
/** The files that carry the extension's version as a top-level `"version": "x.y.z"` string. */
const FOLLOWERS = ['vss-extension.json', 'package.json', 'cli/package.json'];
/** npm keeps the root package's version here too; it is updated when present. */
const LOCK = 'package-lock.json';
const USAGE = 'usage: npm run version -- patch|minor|major|--check';

const args = process.argv.slice(2);
if (args.length !== 1) {
  if (args.length === 0 && process.env.npm_command === 'version') {
    // `npm version patch` runs the "version" script after npm has changed package.json by itself.
    fail(
      '`npm version` bumps only package.json. Use `npm run version -- patch` (or minor), which bumps task.json first and the others with it;' +
        " undo npm's change to package.json and package-lock.json first (git checkout -- package.json package-lock.json).",
    );
  }
  fail(USAGE);
}
const [command] = args;

const task = readJson(TASK_JSON);
const taskVersion = versionOf(task.json);
if (command === '--check') check();
else if (command === 'patch' || command === 'minor') bump(command);
else if (command === 'major') {
  fail(
    `refused: a major version of a task is a new task. Agents resolve PatLifecycle@${taskVersion.Major} by the task's major version, so ` +
      `version ${taskVersion.Major + 1} belongs in a new folder tasks/PatLifecycleV${taskVersion.Major + 1} (a copy of this one with version ` +
      `${taskVersion.Major + 1}.0.0 in its task.json), added to vss-extension.json ("files" and a task contribution) and to scripts/build.mjs ` +
      'and this script. Pipelines that use the old major keep working with the old folder.',
  );
} else fail(USAGE);

function check() {
  const expected = format(taskVersion);
  const problems = [];
  for (const file of [...FOLLOWERS, LOCK]) {
    if (file === LOCK && !fs.existsSync(path.join(root, file))) continue;
    for (const [where, actual] of followerVersions(readJson(file).json)) {
      if (actual !== expected) problems.push(`${file}${where}: version is ${JSON.stringify(actual)}, but ${TASK_JSON} says ${expected}`);
    }
  }
  if (problems.length > 0) {
    fail(
      `versions disagree:\n  ${problems.join('\n  ')}\n${TASK_JSON} is the source of truth: set ${expected} in the others by hand, ` +
        'or bump all of them together with `npm run version -- patch` (or minor).',
    );
  }
  console.log(`version: ${expected} in ${TASK_JSON}, ${[...FOLLOWERS, LOCK].filter((f) => fs.existsSync(path.join(root, f))).join(', ')}`);
}

function bump(part) {
  const next = { ...taskVersion };
  next.Patch++;
  if (part === 'minor') {
    next.Minor++;
    next.Patch = 0;
  }
  const from = format(taskVersion);
  const to = format(next);

  // Every new text is made and verified before any file is written: all of them change, or none.
  const edits = [];
  const expectedTask = structuredClone(task.json);
  expectedTask.version = { ...task.json.version, ...next };
  edits.push(edit(task, expectedTask, (text) => replaceTaskVersion(text, next)));
  for (const file of FOLLOWERS) {
    const follower = readJson(file);
    edits.push(edit(follower, { ...follower.json, version: to }, (text) => replaceTopLevelVersion(text, to)));
  }
  if (fs.existsSync(path.join(root, LOCK))) {
    const lock = readJson(LOCK);
    const expectedLock = structuredClone(lock.json);
    expectedLock.version = to;
    if (expectedLock.packages?.['']) expectedLock.packages[''].version = to;
    // npm writes the lock as JSON.stringify(..., 2) + newline; prettier ignores it.
    edits.push(edit(lock, expectedLock, () => JSON.stringify(expectedLock, null, 2) + '\n'));
  }

  console.log(`version: ${part} ${from} -> ${to}`);
  for (const { file, before, text } of edits) {
    fs.writeFileSync(path.join(root, file), text);
    console.log(`  ${file.padEnd(32)} ${before} -> ${to}`);
  }
  console.log(`next: add a "## [${to}]" entry to CHANGELOG.md, then npm test and npm run package.`);
}

/** The new text of a file, checked to parse to exactly `expected` (the old content with the new version). */
function edit(file, expected, change) {
  const text = change(file.text);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(`could not edit the version in ${file.file} without breaking it (${err.message}): nothing was changed.`);
  }
  if (!isDeepStrictEqual(parsed, expected)) fail(`could not find the version in ${file.file} where expected: nothing was changed.`);
  if (!text.endsWith('\n')) fail(`${file.file} would lose its trailing newline: nothing was changed.`);
  const before = file.file === TASK_JSON ? format(versionOf(file.json)) : file.json.version;
  return { file: file.file, before, text };
}

/** `"version": { "Major": 1, "Minor": 0, "Patch": 0 }` at the top level of task.json, however it is wrapped. */
function replaceTaskVersion(text, version) {
  return replaceOnce(text, /^( {2}"version"\s*:\s*\{)([^{}]*)(\})/m, (_, open, body, close) => {
    let inner = body;
    for (const part of ['Major', 'Minor', 'Patch']) inner = inner.replace(new RegExp(`("${part}"\\s*:\\s*)\\d+`), `$1${version[part]}`);
    return `${open}${inner}${close}`;
  });
}

/** A top-level `"version": "x.y.z"` (two-space indentation). */
function replaceTopLevelVersion(text, version) {
  return replaceOnce(text, /^( {2}"version"\s*:\s*)"[^"]*"/m, (_, key) => `${key}"${version}"`);
}

function replaceOnce(text, pattern, replacer) {
  const global = new RegExp(pattern.source, `${pattern.flags}g`);
  const count = [...text.matchAll(global)].length;
  return count === 1 ? text.replace(pattern, replacer) : text;
}

/** The versions a follower carries: its own, and for package-lock.json also the root package's. */
function followerVersions(json) {
  const found = [['', json.version]];
  if (json.packages?.['']) found.push(['#packages[""]', json.packages[''].version]);
  return found;
}

function versionOf(taskJson) {
  const v = taskJson.version ?? {};
  for (const part of ['Major', 'Minor', 'Patch']) {
    if (!Number.isInteger(v[part]) || v[part] < 0) fail(`${TASK_JSON}: version.${part} is ${JSON.stringify(v[part])}, not a whole number.`);
  }
  return { Major: v.Major, Minor: v.Minor, Patch: v.Patch };
}

function format(v) {
  return `${v.Major}.${v.Minor}.${v.Patch}`;
}

function readJson(file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  try {
    return { file, text, json: JSON.parse(text) };
  } catch (err) {
    fail(`${file} is not valid JSON: ${err.message}`);
  }
}

function fail(message) {
  console.error(`version: ${message}`);
  process.exit(1);
}
