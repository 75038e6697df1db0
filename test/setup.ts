// Loaded by mocha before any test (.mocharc.json): keep task-lib's debug lines out of the test report.
process.env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF = 'true';
process.env.SYSTEM_DEBUG = 'false';
