/**
 * The emulator in a process of its own (its CLI), for tests whose runner blocks this process while the task
 * runs (MockTestRunner uses spawnSync, so an in-process server could not answer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface EmulatorProcess {
  /** EMULATOR_URL, EMULATOR_CA_FILE, TENANT_ID, CLIENT_ID, REFRESH_TOKEN, ORG_URL, ... as the CLI printed them. */
  values: Record<string, string>;
  stop(): Promise<void>;
}

export function startEmulatorProcess(): Promise<EmulatorProcess> {
  const cli = path.resolve(__dirname, '..', '..', 'emulator', 'src', 'cli.js');
  const child: ChildProcess = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const values: Record<string, string> = {};
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('the emulator did not start')), 15_000);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
    lines.on('line', (line) => {
      const eq = line.indexOf('=');
      if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
      if (values.JOB_TOKEN !== undefined) {
        clearTimeout(timer);
        resolve({
          values,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
