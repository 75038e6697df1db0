#!/usr/bin/env node
// `pat-lifecycle`: the sign-in command. task-lib (used for its messages) writes agent debug lines unless told
// not to; this program's stdout carries only the refresh token, so that is switched off before it loads.
/* eslint-disable @typescript-eslint/no-require-imports */
process.env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF ??= 'true';
// task-lib still announces two agent variables while it loads: keep those lines off stdout.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
try {
  require('azure-pipelines-task-lib/task');
} finally {
  process.stdout.write = write;
}

const { main } = require('./main') as typeof import('./main');
// Exit explicitly once stdout is flushed: MSAL's loopback server may still be listening after a failed sign-in.
const exit = (code: number): void => void process.stdout.write('', () => process.exit(code));
main(process.argv.slice(2)).then(exit, (err: unknown) => {
  process.stderr.write(`pat-lifecycle: ${String(err)}\n`);
  exit(1);
});
