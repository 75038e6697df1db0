#!/usr/bin/env node
// `pat-lifecycle`: the sign-in command. Its stdout carries only the refresh token (or the usage text).
import { main } from './main';

// Exit explicitly once stdout is flushed: MSAL's loopback server may still be listening after a failed sign-in.
const exit = (code: number): void => void process.stdout.write('', () => process.exit(code));
main(process.argv.slice(2)).then(exit, (err: unknown) => {
  process.stderr.write(`pat-lifecycle: ${String(err)}\n`);
  exit(1);
});
