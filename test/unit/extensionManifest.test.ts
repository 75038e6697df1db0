/** vss-extension.json: what the Marketplace needs, where it installs, and that it ships the task. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { SEMVER, TASK_FOLDER, fileProblems, isText, manifest, pngProblems, runChecks, sameSet, task, when, type Check } from './taskJson/lint';

const VERSION_SCRIPT = path.join(repoRoot, 'scripts', 'version.mjs');
/**
 * Where the extension installs: Azure DevOps Services only, because the PAT lifecycle API does not exist on Azure
 * DevOps Server (`Microsoft.VisualStudio.Services` would also offer it to Server; see the extension manifest reference).
 */
const INSTALL_TARGETS = ['Microsoft.VisualStudio.Services.Cloud'];

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
  runChecks(checks);

  it('vss-extension.json, package.json and task.json carry one version (npm run version -- --check)', () => {
    const run = spawnSync(process.execPath, [VERSION_SCRIPT, '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, `scripts/version.mjs --check failed:\n${run.stderr}${run.stdout}`);
  });
});
