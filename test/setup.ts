// Loaded by mocha before any test (.mocharc.json). Keeps task-lib's debug lines out of the report, and
// loads the task's messages once, so unit tests see the real texts of tl.loc.
process.env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF = 'true';
process.env.SYSTEM_DEBUG = 'false';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tl = require('azure-pipelines-task-lib/task') as typeof import('azure-pipelines-task-lib/task');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { taskJsonPath } = require('./support/paths') as typeof import('./support/paths');
tl.setResourcePath(taskJsonPath);
