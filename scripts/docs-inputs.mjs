#!/usr/bin/env node
// Writes the inputs and outputs tables of docs/inputs.md from tasks/PatLifecycleV1/task.json, between the markers
// <!-- inputs:start --> ... <!-- inputs:end --> and <!-- outputs:start --> ... <!-- outputs:end -->; the text around
// them is written by hand.
//   npm run docs                          regenerate the tables
//   node scripts/docs-inputs.mjs --check  exit 1 when docs/inputs.md is not what task.json gives (the tests run this)
//   node scripts/docs-inputs.mjs --task <task.json> --doc <file.md> [--check]   other files (the tests use copies)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : fallback;
};
const check = args.includes('--check');
const taskFile = option('--task', path.join(root, 'tasks', 'PatLifecycleV1', 'task.json'));
const docFile = option('--doc', path.join(root, 'docs', 'inputs.md'));

const task = JSON.parse(fs.readFileSync(taskFile, 'utf8'));
const doc = fs.readFileSync(docFile, 'utf8');
let next = replaceBetween(doc, 'inputs', inputsTables(task));
next = replaceBetween(next, 'outputs', outputsTable(task));

if (check) {
  if (next !== doc) {
    console.error(`${path.relative(process.cwd(), docFile)} is stale: its tables differ from ${path.relative(process.cwd(), taskFile)}. Run \`npm run docs\`.`);
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), docFile)} is up to date.`);
} else if (next !== doc) {
  fs.writeFileSync(docFile, next, 'utf8');
  console.log(`wrote ${path.relative(process.cwd(), docFile)}`);
} else console.log(`${path.relative(process.cwd(), docFile)} was already up to date.`);

function replaceBetween(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`${path.relative(process.cwd(), docFile)} has no ${start} ... ${end} markers.`);
    process.exit(2);
  }
  return `${text.slice(0, from + start.length)}\n<!-- Generated from task.json by scripts/docs-inputs.mjs (npm run docs): do not edit by hand. -->\n\n${body}\n${text.slice(to)}`;
}

/** One table per group of the task form, in the form's order; inputs without a group first. */
function inputsTables(task) {
  const groups = [{ name: undefined, displayName: 'Operation' }, ...(task.groups ?? [])];
  const parts = [];
  for (const group of groups) {
    const inputs = task.inputs.filter((i) => i.groupName === group.name);
    if (inputs.length === 0) continue;
    parts.push(`### ${group.displayName}`, '');
    if (group.visibleRule) parts.push(`Shown for ${operations(group.visibleRule)}.`, '');
    parts.push('| Input | Label | Default | Used by | What it does |', '|---|---|---|---|---|');
    for (const input of inputs) {
      const fallback = input.defaultValue === '' || input.defaultValue === undefined ? (input.required ? '(required)' : '(empty)') : code(input.defaultValue);
      const choices = input.options ? ` Choices: ${Object.keys(input.options).map(code).join(', ')}.` : '';
      const type = input.type.startsWith('connectedService:') ? ` (a service connection of type ${input.type.split(':')[1]})` : '';
      parts.push(
        `| ${code(input.name)} | ${cell(input.label)}${cell(type)} | ${fallback} | ${usedBy(input.visibleRule ?? group.visibleRule)} | ${cell(input.helpMarkDown ?? '')}${cell(choices)} |`,
      );
    }
    parts.push('');
  }
  return parts.join('\n');
}

function outputsTable(task) {
  return ['| Output | What it holds |', '|---|---|', ...task.outputVariables.map((o) => `| ${code(o.name)} | ${cell(o.description)} |`), ''].join('\n');
}

function usedBy(rule) {
  return rule ? operations(rule) : 'all';
}

/** `operation = a || operation = b` as "a, b". */
function operations(rule) {
  const ops = [...rule.matchAll(/operation\s*=\s*([A-Za-z]+)/g)].map((m) => m[1]);
  return ops.length > 0 ? ops.join(', ') : cell(rule);
}

function code(s) {
  return `\`${String(s).replace(/\|/g, '\\|')}\``;
}

function cell(s) {
  return String(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}
