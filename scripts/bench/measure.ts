/**
 * Spawns a process for the benchmark and measures it: wall time from spawn to exit, and peak RSS.
 *
 * Peak RSS: with /usr/bin/time (GNU time) present, the process runs under `/usr/bin/time -v` and its
 * "Maximum resident set size" is read back (the kernel's ru_maxrss from wait4: exact, and for a script it
 * covers the largest of its reaped children too). Without it, /proc/<pid>/status is polled every 20 ms and
 * the largest VmHWM/VmRSS seen is kept (can miss growth in the last 20 ms before exit).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
export const rssMethod = fs.existsSync(GNU_TIME) ? '/usr/bin/time -v (ru_maxrss)' : '/proc/<pid>/status VmHWM polled every 20 ms';

export interface Measured {
  exitCode: number | null;
  /** Date.now() just before spawn: comparable with the emulator's request times. */
  spawnedAt: number;
  /** Spawn to exit, ms (performance.now). */
  ms: number;
  peakRssKb?: number;
  stdout: string;
  stderr: string;
}

export function measure(command: string, args: string[], options: { env: Record<string, string>; cwd?: string }): Promise<Measured> {
  const useTime = fs.existsSync(GNU_TIME);
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pat-bench-')), 'time.txt');
  const [cmd, argv] = useTime ? [GNU_TIME, ['-v', '-o', report, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = useTime ? undefined : setInterval(() => (polledKb = Math.max(polledKb, readHwmKb(child.pid))), 20);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const ms = performance.now() - t0;
      if (poll) clearInterval(poll);
      let peakRssKb: number | undefined = polledKb || undefined;
      if (useTime) {
        const text = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '';
        const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1];
        peakRssKb = kb === undefined ? undefined : Number(kb);
      }
      fs.rmSync(path.dirname(report), { recursive: true, force: true });
      resolve({ exitCode, spawnedAt, ms, peakRssKb, stdout, stderr });
    });
  });
}

function readHwmKb(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return Math.max(kb('VmHWM'), kb('VmRSS'));
  } catch {
    return 0; // already gone
  }
}

/**
 * The environment the Azure Pipelines agent gives a Node task, as scripts/lib/agentRunner.ts builds it
 * (AGENT_TEMPDIRECTORY and AGENT_WORKFOLDER are added per run by the caller).
 */
export function agentEnv(inputs: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    AGENT_VERSION: '4.266.2',
    SYSTEM_DEBUG: 'false',
    SYSTEM_CULTURE: 'en-US',
    ...extra,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return env;
}

/** The task's result from its `##vso[task.complete result=...]` command. */
export function taskResult(stdout: string): string | undefined {
  return /##vso\[task\.complete[^\]]*result=(\w+)/.exec(stdout)?.[1];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Most requests in flight at once at the emulator, from arrival times (ms) alone: each request is taken to be
 * in flight from its arrival until the emulator answers, `latencyMs` later (the emulator's own work is ~0).
 */
export function peakConcurrency(arrivals: number[], latencyMs: number): number {
  const events = arrivals.flatMap((t) => [
    { t, d: 1 },
    { t: t + latencyMs, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d); // an answer at t frees its slot before an arrival at t
  let now = 0;
  let peak = 0;
  for (const e of events) peak = Math.max(peak, (now += e.d));
  return peak;
}
