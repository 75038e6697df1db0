/**
 * What the task.json and vss-extension.json lint tests share: the files as typed objects, and small helpers. Each
 * check lists every problem it finds, so one failing run names everything to fix.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, taskJsonPath } from '../../support/paths';

export interface TaskInput {
  name: string;
  type: string;
  label: string;
  defaultValue?: string;
  required?: boolean;
  groupName?: string;
  visibleRule?: string;
  options?: Record<string, string>;
  helpMarkDown?: string;
}

export interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  category: string;
  author: string;
  version: { Major: number; Minor: number; Patch: number };
  instanceNameFormat: string;
  groups?: { name: string; displayName: string; visibleRule?: string }[];
  inputs: TaskInput[];
  outputVariables?: { name: string; description?: string }[];
  restrictions?: { settableVariables?: { allowed?: string[] } };
  execution: Record<string, { target: string }>;
  messages: Record<string, string>;
}

export interface ExtensionManifest {
  id: string;
  publisher: string;
  version: string;
  name: string;
  description: string;
  categories?: string[];
  targets?: { id: string; version?: string }[];
  icons?: { default?: string };
  content?: { details?: { path?: string }; license?: { path?: string } };
  files?: { path: string }[];
  contributions?: { id: string; type: string; properties?: { name?: string } }[];
}

export const TASK_DIR = path.dirname(taskJsonPath);
export const TASK_FOLDER = path.relative(repoRoot, TASK_DIR).split(path.sep).join('/'); // tasks/PatLifecycleV1
export const SRC_DIR = path.join(TASK_DIR, 'src');

export const task = readJson<TaskJson>(taskJsonPath);
export const manifest = readJson<ExtensionManifest>(path.join(repoRoot, 'vss-extension.json'));
export const inputs = new Map(task.inputs.map((i) => [i.name, i]));
export const outputNames = (task.outputVariables ?? []).map((o) => o.name);

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** A check: its title, and the problems it finds (none when the files are right). */
export type Check = [title: string, problems: () => string[]];

/** One mocha test per check. */
export function runChecks(checks: Check[]): void {
  for (const [title, problems] of checks) it(title, () => expectNone(problems()));
}

export function expectNone(problems: string[]): void {
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
}

export function when(condition: boolean, problem: string): string[] {
  return condition ? [problem] : [];
}

export function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;
}

export function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}

export function pngProblems(what: string, file: string | undefined, size?: number): string[] {
  const missing = fileProblems(what, file);
  if (missing.length > 0) return missing;
  const bytes = fs.readFileSync(path.join(repoRoot, file!));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') return [`${what} ${file} is not a PNG`];
  const [width, height] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  return when(size !== undefined && (width !== size || height !== size), `${what} ${file} is ${width}×${height}, not ${size}×${size}`);
}

export function fileProblems(what: string, file: string | undefined): string[] {
  if (!file) return [`${what} is missing`];
  return when(!fs.existsSync(path.join(repoRoot, file)), `${what} ${file} does not exist`);
}

export function readJson<T>(file: string): T {
  return readJsonText<T>(fs.readFileSync(file, 'utf8'));
}

export function readJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}
