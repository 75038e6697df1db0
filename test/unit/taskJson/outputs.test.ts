/** task.json output variables against the task's source: the promised outputs and every output the source sets. */
import { OUTPUT } from '../../../tasks/PatLifecycleV1/src/outputs';
import { duplicates, isText, outputNames, runChecks, task } from './lint';
import { outputsSet } from './source';

/** The task's promised outputs: pipelines read these by name. */
const DOCUMENTED_OUTPUTS = ['Token', 'AuthorizationId', 'DisplayName', 'ValidTo', 'Scope', 'Tokens', 'Rotated', 'RefreshToken'];

describe('task.json outputs', () => {
  runChecks([
    [
      `outputVariables are exactly ${DOCUMENTED_OUTPUTS.join(', ')} and every output the source sets, each described`,
      () => {
        const expected = [...new Set([...DOCUMENTED_OUTPUTS, ...Object.values(OUTPUT), ...outputsSet()])];
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
  ]);
});
