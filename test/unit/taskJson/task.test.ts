/** task.json as a whole: the agent's JSON schema, the task's identity, and how the agent runs it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import { repoRoot } from '../../support/paths';
import { GUID, expectNone, isText, readJson, runChecks, sameSet, task, when } from './lint';

const SCHEMA_PATH = path.join(repoRoot, '..', 'shared', 'schemas', 'tasks.schema.json');
const CATEGORIES = ['Build', 'Utility', 'Test', 'Package', 'Deploy', 'Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts'];
/**
 * The task's category. The agent's task.json schema says to use the "Azure *" categories for Azure DevOps (the others
 * are for Team Foundation Server 2018 and older), and this task manages pipelines' credentials.
 */
const TASK_CATEGORY = 'Azure Pipelines';
/** The handlers the task ships. The agent runs Node24 only where its UseNode24withHandlerData knob is on (agent 4.265.1+), else Node20_1. */
const HANDLERS = ['Node20_1', 'Node24'];
const HANDLER_TARGET = 'index.js';

describe('task.json', () => {
  it('validates against the agent task.json schema (../shared/schemas/tasks.schema.json)', function () {
    if (!fs.existsSync(SCHEMA_PATH)) this.skip(); // a clone without ../shared: the checks below still run
    // Microsoft's patterns are not valid as unicode regular expressions (`\:`), and defaultValue has a union type.
    const ajv = new Ajv({ allErrors: true, unicodeRegExp: false, allowUnionTypes: true });
    const validate = ajv.compile(readJson<object>(SCHEMA_PATH));
    const valid = validate(task);
    expectNone(valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
  });

  runChecks([
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
  ]);
});
