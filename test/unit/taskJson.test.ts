/**
 * Lints task.json and vss-extension.json the way a careful maintainer would, against the task's own source:
 * the agent's JSON schema (when ../shared has it), then the project's own rules, which need nothing outside
 * the repository. Each check lists every problem it finds, so one failing run names everything to fix.
 *
 * The source is read with the TypeScript parser (no type checking): `tl.loc` keys, including keys that reach
 * `tl.loc` through a variable, a parameter or a lookup table; the inputs the source reads; the outputs it sets.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import * as ts from 'typescript';
import { OUTPUT } from '../../tasks/PatLifecycleV1/src/outputs';
import { DEFAULTS, DISPLAY_FILTERS, OPERATIONS, SECRET_INPUTS } from '../../tasks/PatLifecycleV1/src/params';
import { repoRoot, taskJsonPath } from '../support/paths';

// ------------------------------------------------------------------------------------------- the files
interface TaskInput {
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

interface TaskJson {
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

interface ExtensionManifest {
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

const TASK_DIR = path.dirname(taskJsonPath);
const TASK_FOLDER = path.relative(repoRoot, TASK_DIR).split(path.sep).join('/'); // tasks/PatLifecycleV1
const SRC_DIR = path.join(TASK_DIR, 'src');
const SCHEMA_PATH = path.join(repoRoot, '..', 'shared', 'schemas', 'tasks.schema.json');
const VERSION_SCRIPT = path.join(repoRoot, 'scripts', 'version.mjs');

const task = readJson<TaskJson>(taskJsonPath);
const manifest = readJson<ExtensionManifest>(path.join(repoRoot, 'vss-extension.json'));
const inputs = new Map(task.inputs.map((i) => [i.name, i]));
const groups = new Set((task.groups ?? []).map((g) => g.name));
const outputNames = (task.outputVariables ?? []).map((o) => o.name);

// ------------------------------------------------------------------------------------------- the rules
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const CATEGORIES = ['Build', 'Utility', 'Test', 'Package', 'Deploy', 'Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts'];
/**
 * The task's category. The agent's task.json schema says to use the "Azure *" categories for Azure DevOps (the others
 * are for Team Foundation Server 2018 and older), and this task manages pipelines' credentials.
 */
const TASK_CATEGORY = 'Azure Pipelines';
/**
 * Where the extension installs: Azure DevOps Services only, because the PAT lifecycle API does not exist on Azure
 * DevOps Server (`Microsoft.VisualStudio.Services` would also offer it to Server; see the extension manifest reference).
 */
const INSTALL_TARGETS = ['Microsoft.VisualStudio.Services.Cloud'];
/** The handlers the task ships. The agent runs Node24 only where its UseNode24withHandlerData knob is on (agent 4.265.1+), else Node20_1. */
const HANDLERS = ['Node20_1', 'Node24'];
const HANDLER_TARGET = 'index.js';
/** The task's promised outputs: pipelines read these by name. */
const DOCUMENTED_OUTPUTS = ['Token', 'AuthorizationId', 'DisplayName', 'ValidTo', 'Scope', 'Tokens', 'Rotated', 'RefreshToken'];
/** Input types whose value the user types: their help must show one. Booleans and pick lists show their choices. */
const TYPED_IN = new Set(['string', 'multiLine', 'int']);
/** Operators of visibleRule clauses (the task editor's set). */
const RULE_CLAUSE = /^(\w[\w.]*)\s*(!=|<=|>=|=|<|>|\s(?:NotContains|Contains|NotStartsWith|StartsWith|NotEndsWith|EndsWith)\s)\s*(.+)$/;
/** Task-lib's functions that read an input by name, anywhere in the source. */
const TASK_LIB_INPUT_READERS = new Set(['getInput', 'getInputRequired', 'getBoolInput', 'getPathInput', 'getPathInputRequired', 'getDelimitedInput']);
/** params.ts's Reader methods that take an input name first. */
const PARAM_READERS = new Set(['raw', 'integer', 'bool', 'choice', 'date', 'url', 'optional', 'required', 'secret', 'list']);

/** [what the rule demands, whether an input meets it] */
const INPUT_RULES: [string, (input: TaskInput) => boolean][] = [
  ['has a name', (i) => isText(i.name)],
  ['has a type', (i) => isText(i.type)],
  ['has a label', (i) => isText(i.label)],
  ['has helpMarkDown', (i) => isText(i.helpMarkDown)],
  [
    'its helpMarkDown gives an example value ("e.g." or a `value` in backticks that is not just the name of an input or output)',
    (i) => !TYPED_IN.has(i.type) || hasExample(i.helpMarkDown ?? ''),
  ],
  ['its groupName names a group in "groups"', (i) => i.groupName === undefined || groups.has(i.groupName)],
  [
    'as a pickList, has options and a defaultValue that is one of them',
    (i) => i.type !== 'pickList' || (i.options !== undefined && Object.hasOwn(i.options, i.defaultValue ?? '')),
  ],
  ['as a boolean, has defaultValue "true" or "false"', (i) => i.type !== 'boolean' || i.defaultValue === 'true' || i.defaultValue === 'false'],
  ['is always visible when required (a hidden required input blocks saving the pipeline)', (i) => !i.required || i.visibleRule === undefined],
];

/** Pick lists and the source's lists of accepted values: the task rejects any other value. */
const PICKLISTS_IN_SOURCE: [string, readonly string[]][] = [
  ['operation', OPERATIONS],
  ['displayFilterOption', DISPLAY_FILTERS],
];

/** Inputs whose task.json default is the source's fallback: the help texts promise they agree. */
const DEFAULTS_IN_SOURCE: [string, string][] = [
  ['apiVersion', DEFAULTS.apiVersion],
  ['authorityHost', DEFAULTS.authorityHost],
  ['entraScope', DEFAULTS.entraScope],
  ['requestTimeoutSeconds', String(DEFAULTS.requestTimeoutSeconds)],
  ['parallelRequests', String(DEFAULTS.parallelRequests)],
  ['refreshToken', `$(${DEFAULTS.refreshTokenVariable})`],
];

/** A check: its title, and the problems it finds (none when the files are right). */
type Check = [title: string, problems: () => string[]];

describe('task.json', () => {
  it('validates against the agent task.json schema (../shared/schemas/tasks.schema.json)', function () {
    if (!fs.existsSync(SCHEMA_PATH)) this.skip(); // a clone without ../shared: the checks below still run
    // Microsoft's patterns are not valid as unicode regular expressions (`\:`), and defaultValue has a union type.
    const ajv = new Ajv({ allErrors: true, unicodeRegExp: false, allowUnionTypes: true });
    const validate = ajv.compile(readJson<object>(SCHEMA_PATH));
    const valid = validate(task);
    expectNone(valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
  });

  const checks: Check[] = [
    [
      `has an id (GUID), name, friendlyName (≤ 40 characters), description, category "${TASK_CATEGORY}", author and a whole-number version`,
      () => [
        ...when(!GUID.test(task.id), `id is ${JSON.stringify(task.id)}, not a GUID`),
        ...when(!/^[A-Za-z0-9-]+$/.test(task.name ?? ''), `name is ${JSON.stringify(task.name)}: use letters, digits and dashes only`),
        ...when(!isText(task.friendlyName) || task.friendlyName.length > 40, `friendlyName is ${JSON.stringify(task.friendlyName)}: 1 to 40 characters`),
        ...when(!isText(task.description), 'description is missing'),
        ...when(!CATEGORIES.includes(task.category), `category is ${JSON.stringify(task.category)}, not one of ${CATEGORIES.join(', ')}`),
        ...when(task.category !== TASK_CATEGORY, `category is ${JSON.stringify(task.category)}, not "${TASK_CATEGORY}"`),
        ...when(!isText(task.author), 'author is missing'),
        ...(['Major', 'Minor', 'Patch'] as const)
          .filter((part) => !Number.isInteger(task.version?.[part]) || task.version[part] < 0)
          .map((part) => `version.${part} is ${JSON.stringify(task.version?.[part])}, not a whole number`),
      ],
    ],
    [
      `execution has exactly the handlers ${HANDLERS.join(' and ')}, each running ${HANDLER_TARGET}`,
      () => [
        ...when(
          !sameSet(Object.keys(task.execution ?? {}), HANDLERS),
          `execution has ${Object.keys(task.execution ?? {}).join(', ')}; expected ${HANDLERS.join(', ')}`,
        ),
        ...Object.entries(task.execution ?? {})
          .filter(([, handler]) => handler.target !== HANDLER_TARGET)
          .map(([name, handler]) => `execution.${name}.target is ${JSON.stringify(handler.target)}, not ${HANDLER_TARGET}`),
      ],
    ],
    [
      'instanceNameFormat references only existing inputs',
      () =>
        [...task.instanceNameFormat.matchAll(/\$\(([^)]+)\)/g)]
          .filter(([, name]) => !inputs.has(name))
          .map(([ref]) => `instanceNameFormat ${JSON.stringify(task.instanceNameFormat)} references ${ref}, which is not an input`),
    ],
    [
      'every input has a name, type, label and helpMarkDown; typed-in inputs show an example; groups, pick lists and booleans are right',
      () => task.inputs.flatMap((input) => INPUT_RULES.filter(([, ok]) => !ok(input)).map(([demand]) => `input '${input.name}' does not meet: ${demand}`)),
    ],
    [
      'input names and group names are unique',
      () => [
        ...duplicates(task.inputs.map((i) => i.name)).map((name) => `input name '${name}' is used more than once`),
        ...duplicates((task.groups ?? []).map((g) => g.name)).map((name) => `group name '${name}' is used more than once`),
      ],
    ],
    [
      'every visibleRule is `input op value` clauses joined by only && or only ||, on existing inputs and pick list options',
      () => [
        ...task.inputs.filter((i) => i.visibleRule !== undefined).flatMap((i) => visibleRuleProblems(`input '${i.name}'`, i.visibleRule!)),
        ...(task.groups ?? []).filter((g) => g.visibleRule !== undefined).flatMap((g) => visibleRuleProblems(`group '${g.name}'`, g.visibleRule!)),
      ],
    ],
    [
      "pick list options are the values the source accepts, and defaults are the source's fallbacks",
      () => [
        ...PICKLISTS_IN_SOURCE.flatMap(([name, accepted]) => {
          const options = Object.keys(inputs.get(name)?.options ?? {});
          return when(!sameSet(options, accepted), `input '${name}' offers ${options.join(', ') || 'nothing'}; the source accepts ${accepted.join(', ')}`);
        }),
        ...DEFAULTS_IN_SOURCE.flatMap(([name, fallback]) => {
          const value = inputs.get(name)?.defaultValue;
          return when(value !== fallback, `input '${name}' defaultValue is ${JSON.stringify(value)}; the source falls back to ${JSON.stringify(fallback)}`);
        }),
      ],
    ],
    [
      `outputVariables are exactly ${DOCUMENTED_OUTPUTS.join(', ')} and every output the source sets, each described`,
      () => {
        const expected = [...new Set([...DOCUMENTED_OUTPUTS, ...Object.values(OUTPUT), ...source.outputsSet()])];
        return [
          ...expected.filter((name) => !outputNames.includes(name)).map((name) => `output variable '${name}' is missing from outputVariables`),
          ...outputNames.filter((name) => !expected.includes(name)).map((name) => `outputVariables has '${name}', which the source never sets`),
          ...duplicates(outputNames).map((name) => `outputVariables lists '${name}' more than once`),
          ...(task.outputVariables ?? []).filter((o) => !isText(o.description)).map((o) => `output variable '${o.name}' has no description`),
        ];
      },
    ],
    [
      'restrictions.settableVariables.allowed covers every output variable',
      () => {
        const allowed = task.restrictions?.settableVariables?.allowed ?? [];
        return outputNames
          .filter((name) => !allowed.includes(name))
          .map((name) => `output variable '${name}' is not in restrictions.settableVariables.allowed`);
      },
    ],
    [
      'every message key the source uses is in messages',
      () => [
        ...source
          .messageUses()
          .uses.filter((use) => !Object.hasOwn(task.messages, use.key))
          .map((use) => `${use.at} uses message '${use.key}', which is not in task.json messages`),
        ...source
          .messageUses()
          .unresolved.map(
            (at) => `${at}: cannot tell which message this tl.loc call uses (use a literal key, or a variable, parameter or lookup table of literals)`,
          ),
      ],
    ],
    [
      'every message in messages is used by the source',
      () => {
        const used = new Set(source.messageUses().uses.map((use) => use.key));
        return Object.keys(task.messages)
          .filter((key) => !used.has(key))
          .map((key) => `message '${key}' is never used by the source: remove it or use it`);
      },
    ],
    [
      'every tl.loc call passes as many arguments as its message has placeholders',
      () =>
        source
          .messageUses()
          .uses.filter((use) => use.args !== undefined && Object.hasOwn(task.messages, use.key))
          .filter((use) => placeholders(task.messages[use.key]) !== use.args)
          .map(
            (use) =>
              `${use.at}: tl.loc('${use.key}', …) passes ${use.args} argument(s), but the message has ${placeholders(task.messages[use.key])} placeholder(s): ` +
              JSON.stringify(task.messages[use.key]),
          ),
    ],
    [
      'every input the source reads is in inputs, and every input is read by the source',
      () => {
        const read = source.inputsRead();
        return [
          ...read.filter(({ name }) => !inputs.has(name)).map(({ name, at }) => `${at} reads input '${name}', which is not in task.json inputs`),
          ...task.inputs.filter((i) => !read.some(({ name }) => name === i.name)).map((i) => `input '${i.name}' is never read by the source`),
          ...[...SECRET_INPUTS]
            .filter((name) => inputs.get(name)?.type !== 'string')
            .map((name) => `secret input '${name}' (SECRET_INPUTS) is not a string input`),
        ];
      },
    ],
  ];
  for (const [title, problems] of checks) it(title, () => expectNone(problems()));
});

describe('vss-extension.json', () => {
  const contribution = (manifest.contributions ?? []).find((c) => c.type === 'ms.vss-distributed-task.task');
  const checks: Check[] = [
    [
      'has an id, publisher, semver version, name and description, in the "Azure Pipelines" category',
      () => [
        ...(['id', 'publisher', 'name', 'description'] as const).filter((field) => !isText(manifest[field])).map((field) => `${field} is missing`),
        ...when(!SEMVER.test(manifest.version ?? ''), `version is ${JSON.stringify(manifest.version)}, not major.minor.patch`),
        ...when(!(manifest.categories ?? []).includes('Azure Pipelines'), `categories are ${JSON.stringify(manifest.categories)}: add "Azure Pipelines"`),
      ],
    ],
    [
      `installs into Azure DevOps Services only (targets: ${INSTALL_TARGETS.join(', ')}), as the PAT API exists nowhere else`,
      () => {
        const ids = (manifest.targets ?? []).map((t) => t.id);
        return when(!sameSet(ids, INSTALL_TARGETS), `targets are ${JSON.stringify(ids)}, not ${JSON.stringify(INSTALL_TARGETS)}`);
      },
    ],
    [
      'icons.default is a 128×128 PNG, and content.details (and license) exist',
      () => [
        ...pngProblems('icons.default', manifest.icons?.default, 128),
        ...fileProblems('content.details.path', manifest.content?.details?.path),
        ...(manifest.content?.license ? fileProblems('content.license.path', manifest.content.license.path) : []),
      ],
    ],
    [
      `its task contribution points at ${TASK_FOLDER}, which the files ship`,
      () => [
        ...when(contribution === undefined, 'no contribution of type ms.vss-distributed-task.task'),
        ...when(
          contribution !== undefined && contribution.properties?.name !== TASK_FOLDER,
          `the task contribution's properties.name is ${JSON.stringify(contribution?.properties?.name)}, not "${TASK_FOLDER}"`,
        ),
        ...when(!(manifest.files ?? []).some((f) => f.path === TASK_FOLDER), `files does not include { "path": "${TASK_FOLDER}" }`),
        ...pngProblems(`${TASK_FOLDER}/icon.png (the task's icon)`, `${TASK_FOLDER}/icon.png`),
      ],
    ],
    [
      "the extension's major version is the task's major version",
      () => {
        const major = Number((manifest.version ?? '').split('.')[0]);
        return when(
          major !== task.version.Major,
          `vss-extension.json version ${manifest.version} has major ${major}, task.json has Major ${task.version.Major}`,
        );
      },
    ],
  ];
  for (const [title, problems] of checks) it(title, () => expectNone(problems()));

  it('vss-extension.json, package.json and task.json carry one version (npm run version -- --check)', () => {
    const run = spawnSync(process.execPath, [VERSION_SCRIPT, '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, `scripts/version.mjs --check failed:\n${run.stderr}${run.stdout}`);
  });
});

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

// ----------------------------------------------------------------------------------- the task's source
/** Facts about the task's source, parsed once. */
const source = (() => {
  const files = (fs.readdirSync(SRC_DIR, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ts.createSourceFile(path.basename(f), fs.readFileSync(path.join(SRC_DIR, f), 'utf8'), ts.ScriptTarget.ES2022, true));
  const calls = new Map(files.map((file) => [file, nodes(file).filter(ts.isCallExpression)]));
  const allCalls = [...calls.values()].flat();
  let messages: { uses: MessageUse[]; unresolved: string[] } | undefined;

  /** Every message key each tl.loc call can use, with the number of arguments after the key (undefined with a spread). */
  function messageUses(): { uses: MessageUse[]; unresolved: string[] } {
    if (messages) return messages;
    messages = { uses: [], unresolved: [] };
    for (const call of allCalls.filter((c) => callee(c) === 'tl.loc')) {
      const [key, ...rest] = call.arguments;
      const args = rest.some(ts.isSpreadElement) ? undefined : rest.length;
      const keys = key === undefined ? undefined : stringValues(key, calls.get(call.getSourceFile())!, new Set());
      if (keys === undefined) messages.unresolved.push(`${at(call)} tl.loc(${key?.getText() ?? ''}, …)`);
      // A key that reaches tl.loc indirectly is named with the place it is written.
      else messages.uses.push(...keys.map((k) => ({ key: k.text, args, at: k === key ? at(call) : `${at(call)} (key from ${at(k)})` })));
    }
    return messages;
  }

  /** Inputs read by name: task-lib's getters anywhere, `readInput('x')`, and params.ts's Reader methods. */
  function inputsRead(): { name: string; at: string }[] {
    return allCalls.flatMap((call) => {
      const name = callee(call);
      const method = name.split('.').pop()!;
      const reads =
        (name.startsWith('tl.') && TASK_LIB_INPUT_READERS.has(method)) ||
        name === 'readInput' ||
        (call.getSourceFile().fileName === 'params.ts' && name.includes('.') && PARAM_READERS.has(method));
      const first = call.arguments[0];
      return reads && first !== undefined && ts.isStringLiteralLike(first) ? [{ name: first.text, at: at(call) }] : [];
    });
  }

  /** Output variables set with a literal name (`tl.setVariable('X', …)`); OUTPUT covers the rest. */
  function outputsSet(): string[] {
    return allCalls
      .filter((c) => callee(c) === 'tl.setVariable' && c.arguments[0] && ts.isStringLiteralLike(c.arguments[0]))
      .map((c) => (c.arguments[0] as ts.StringLiteral).text);
  }

  return { messageUses, inputsRead, outputsSet };
})();

interface MessageUse {
  key: string;
  /** Arguments after the key; undefined when a spread makes the count unknown. */
  args: number | undefined;
  at: string;
}

/**
 * The string literals an expression can evaluate to, following the simple cases: literals, `a ?? b`, `a || b`,
 * `c ? a : b`, `TABLE[x]` of a const object of literals, a const variable, and a parameter (through the
 * literal arguments of every call of its function in the same file). Undefined when it cannot tell.
 */
function stringValues(expr: ts.Expression, fileCalls: ts.CallExpression[], seen: Set<ts.Node>): ts.StringLiteralLike[] | undefined {
  if (seen.has(expr)) return [];
  seen.add(expr);
  const all = (...parts: (ts.StringLiteralLike[] | undefined)[]) => (parts.some((p) => p === undefined) ? undefined : (parts.flat() as ts.StringLiteralLike[]));
  if (ts.isParenthesizedExpression(expr)) return stringValues(expr.expression, fileCalls, seen);
  if (ts.isStringLiteralLike(expr)) return [expr];
  if (ts.isConditionalExpression(expr)) return all(stringValues(expr.whenTrue, fileCalls, seen), stringValues(expr.whenFalse, fileCalls, seen));
  if (ts.isBinaryExpression(expr) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(expr.operatorToken.kind)) {
    return all(stringValues(expr.left, fileCalls, seen), stringValues(expr.right, fileCalls, seen));
  }
  if (ts.isElementAccessExpression(expr) && ts.isIdentifier(expr.expression)) {
    const table = declarationOf(expr.expression);
    const init = table && ts.isVariableDeclaration(table) ? table.initializer : undefined;
    if (!init || !ts.isObjectLiteralExpression(init)) return undefined;
    return all(...init.properties.map((p) => (ts.isPropertyAssignment(p) ? stringValues(p.initializer, fileCalls, seen) : undefined)));
  }
  if (ts.isIdentifier(expr)) {
    if (expr.text === 'undefined') return [];
    const declaration = declarationOf(expr);
    if (declaration && ts.isVariableDeclaration(declaration)) return declaration.initializer && stringValues(declaration.initializer, fileCalls, seen);
    if (declaration && ts.isParameter(declaration)) {
      const fn = declaration.parent;
      const index = fn.parameters.indexOf(declaration);
      const name = functionName(fn);
      const callers = fileCalls.filter((c) => name !== undefined && callee(c).split('.').pop() === name && c.arguments.length > index);
      if (callers.length === 0) return undefined;
      return all(...callers.map((c) => stringValues(c.arguments[index], fileCalls, seen)));
    }
  }
  return undefined;
}

/** The nearest parameter or `const`/`let` declaration of an identifier, walking out through the enclosing scopes. */
function declarationOf(id: ts.Identifier): ts.VariableDeclaration | ts.ParameterDeclaration | undefined {
  for (let scope: ts.Node | undefined = id.parent; scope; scope = scope.parent) {
    if (ts.isFunctionLike(scope)) {
      const parameter = scope.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === id.text);
      if (parameter) return parameter;
    }
    if (ts.isBlock(scope) || ts.isSourceFile(scope)) {
      for (const statement of scope.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        const found = statement.declarationList.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === id.text);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if ((ts.isMethodDeclaration(fn) || ts.isFunctionDeclaration(fn)) && fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)) return fn.parent.name.text;
  return undefined;
}

/** `tl.loc`, `this.parsed`, `p.required`, `readInput`: the callee as written, for identifiers and property accesses. */
function callee(call: ts.CallExpression): string {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e))
    return `${ts.isIdentifier(e.expression) ? e.expression.text : e.expression.kind === ts.SyntaxKind.ThisKeyword ? 'this' : '?'}.${e.name.text}`;
  return '';
}

function nodes(root: ts.Node): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

function at(node: ts.Node): string {
  const file = node.getSourceFile();
  return `src/${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

// ------------------------------------------------------------------------------------------- helpers
/** `%s` and the other util.format placeholders (`%%` is a literal percent sign). */
function placeholders(message: string): number {
  return [...message.matchAll(/%[%sdifjoOc]/g)].filter(([m]) => m !== '%%').length;
}

function visibleRuleProblems(owner: string, rule: string): string[] {
  const where = `${owner} visibleRule ${JSON.stringify(rule)}`;
  if (/[()]/.test(rule)) return [`${where} has parentheses, which visibleRule does not support`];
  if (rule.includes('&&') && rule.includes('||')) return [`${where} mixes && and ||, which the task editor evaluates without precedence`];
  return rule.split(/&&|\|\|/).flatMap((text) => {
    const clause = RULE_CLAUSE.exec(text.trim());
    if (!clause) return [`${where} has a clause ${JSON.stringify(text.trim())} that is not "input op value"`];
    const [, name, op, rawValue] = clause;
    const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
    const input = inputs.get(name);
    if (!input) return [`${where} references '${name}', which is not an input`];
    if (input.type === 'pickList' && (op === '=' || op === '!=') && !Object.hasOwn(input.options ?? {}, value)) {
      return [`${where} compares '${name}' with '${value}', which is not one of its options (${Object.keys(input.options ?? {}).join(', ')})`];
    }
    if (input.type === 'boolean' && !['true', 'false'].includes(value)) return [`${where} compares boolean '${name}' with '${value}'`];
    return [];
  });
}

/** An example: "e.g.", or a `value` in backticks that is not merely the name of an input or an output variable. */
function hasExample(help: string): boolean {
  if (/\be\.g\./.test(help)) return true;
  return [...help.matchAll(/`([^`]+)`/g)].some(([, code]) => !inputs.has(code) && !outputNames.includes(code));
}

function pngProblems(what: string, file: string | undefined, size?: number): string[] {
  const missing = fileProblems(what, file);
  if (missing.length > 0) return missing;
  const bytes = fs.readFileSync(path.join(repoRoot, file!));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') return [`${what} ${file} is not a PNG`];
  const [width, height] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  return when(size !== undefined && (width !== size || height !== size), `${what} ${file} is ${width}×${height}, not ${size}×${size}`);
}

function fileProblems(what: string, file: string | undefined): string[] {
  if (!file) return [`${what} is missing`];
  return when(!fs.existsSync(path.join(repoRoot, file)), `${what} ${file} does not exist`);
}

function expectNone(problems: string[]): void {
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
}

function when(condition: boolean, problem: string): string[] {
  return condition ? [problem] : [];
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}

function readJson<T>(file: string): T {
  return readJsonText<T>(fs.readFileSync(file, 'utf8'));
}

function readJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}
