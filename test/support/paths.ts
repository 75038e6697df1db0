import * as path from 'node:path';

/** The repository root, from build/test/support. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const taskJsonPath = path.join(repoRoot, 'tasks', 'PatLifecycleV1', 'task.json');
/** The staged task folder, laid out as in the .vsix. */
export const stagedTaskDir = path.join(repoRoot, 'build', 'stage', 'tasks', 'PatLifecycleV1');
/** The tsc output of the task, for MockTestRunner. */
export const compiledTaskDir = path.join(repoRoot, 'build', 'tasks', 'PatLifecycleV1', 'src');
