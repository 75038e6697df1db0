// Loaded by mocha before any test (.mocharc.json). Keeps task-lib's debug lines out of the report.
process.env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF = 'true';
process.env.SYSTEM_DEBUG = 'false';
