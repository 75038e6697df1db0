/**
 * task.json inputs against the task's source: every input is read and every input read exists, help texts show an
 * example, visibleRules and pick lists name what exists, and defaults agree with the source's fallbacks.
 */
import { DEFAULTS, DISPLAY_FILTERS, OPERATIONS, SECRET_INPUTS } from '../../../tasks/PatLifecycleV1/src/params';
import { duplicates, inputs, isText, outputNames, runChecks, sameSet, task, when, type TaskInput } from './lint';
import { inputsRead } from './source';

const groups = new Set((task.groups ?? []).map((g) => g.name));
/** Input types whose value the user types: their help must show one. Booleans and pick lists show their choices. */
const TYPED_IN = new Set(['string', 'multiLine', 'int']);
/** Operators of visibleRule clauses (the task editor's set). */
const RULE_CLAUSE = /^(\w[\w.]*)\s*(!=|<=|>=|=|<|>|\s(?:NotContains|Contains|NotStartsWith|StartsWith|NotEndsWith|EndsWith)\s)\s*(.+)$/;

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

describe('task.json inputs', () => {
  runChecks([
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
      'every input the source reads is in inputs, and every input is read by the source',
      () => {
        const read = inputsRead();
        return [
          ...read.filter(({ name }) => !inputs.has(name)).map(({ name, at }) => `${at} reads input '${name}', which is not in task.json inputs`),
          ...task.inputs.filter((i) => !read.some(({ name }) => name === i.name)).map((i) => `input '${i.name}' is never read by the source`),
          ...[...SECRET_INPUTS]
            .filter((name) => inputs.get(name)?.type !== 'string')
            .map((name) => `secret input '${name}' (SECRET_INPUTS) is not a string input`),
        ];
      },
    ],
  ]);
});

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
