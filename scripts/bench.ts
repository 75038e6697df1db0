/**
 * `npm run bench [-- --rounds N | --quick] [--case TEXT]`: performance of the packaged task against the
 * in-process emulator at 40 ms RTT. Each case runs N rounds (default 5, --quick 2) on a fresh emulator state
 * (PATs seeded again, a new refresh token); the table shows medians. Progress goes to stderr, the table to
 * stdout. The task runs as a child `node` process with the agent's environment (scripts/bench/measure.ts),
 * under /usr/bin/time -v for its peak RSS.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator, type SeedPat } from '../emulator/src';
import { agentEnv, measure, median, peakConcurrency, rssMethod, taskResult, type Measured } from './bench/measure';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'build', 'stage', 'tasks', 'PatLifecycleV1', 'index.js');
const ROTATE_SH = path.join(ROOT, 'scripts', 'bench', 'rotate.sh');
const ORG = 'fabrikam';
const RTT_MS = 40;

/** One round of one case. */
interface Sample {
  ms: number;
  rssKb?: number;
  /** Requests the emulator received, every kind. */
  requests: number;
  /** TLS handshakes the emulator completed. */
  tls: number;
  /** Bulk revoke: most DELETEs in flight at once, and first DELETE arrival to last answer. */
  peak?: number;
  phaseMs?: number;
}

interface Row {
  name: string;
  samples: Sample[];
  ratio?: number;
  note: string;
}

function parseArgs(argv: string[]): { rounds: number; only?: string } {
  let rounds = 5;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') rounds = 2;
    else if (argv[i] === '--rounds' && /^[1-9]\d*$/.test(argv[i + 1] ?? '')) rounds = Number(argv[++i]);
    else if (argv[i] === '--case' && argv[i + 1] !== undefined) only = argv[++i];
    else throw new Error(`unknown or incomplete option ${argv[i]}: use --rounds N, --quick, --case TEXT`);
  }
  return { rounds, only };
}

/** Fixture: a tenant, an app, a user and an organization, kept across rounds; everything else reset per round. */
class Bench {
  readonly tenantId: string;
  readonly clientId: string;
  readonly userId: string;

  constructor(readonly emu: Emulator) {
    this.tenantId = emu.addTenant().id;
    this.clientId = emu.addApp({ tenantId: this.tenantId, displayName: 'PAT Lifecycle (bench)' }).clientId;
    this.userId = emu.addUser({ tenantId: this.tenantId, name: 'Bench User', upn: 'bench@contoso.example' }).id;
    emu.addOrg(ORG, this.tenantId);
  }

  /** A clean slate for one round: no PATs, no recorded requests, 40 ms RTT; seeds `pats`. */
  fresh(pats: SeedPat[] = []): string[] {
    this.emu.reset();
    this.emu.setLatency(RTT_MS);
    (global as { gc?: () => void }).gc?.();
    return this.emu.seedPats(this.userId, ORG, pats).map((p) => p.authorizationId);
  }

  inputs(extra: Record<string, string>): Record<string, string> {
    const refreshToken = this.emu.issueRefreshToken({ tenantId: this.tenantId, clientId: this.clientId, userId: this.userId });
    const { emu, tenantId, clientId } = this;
    return { organization: ORG, tenantId, clientId, refreshToken, authorityHost: emu.url, serviceUrl: `${emu.url}/${ORG}`, ...extra };
  }

  /** Runs `command`, checks it, and returns the round's figures. */
  async sample(command: string, args: string[], env: Record<string, string>, ok: (m: Measured) => boolean): Promise<Sample & { m: Measured }> {
    const tls0 = this.emu.stats.tlsConnections;
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-bench-agent-'));
    try {
      const m = await measure(command, args, { env: { ...env, AGENT_TEMPDIRECTORY: temp, AGENT_WORKFOLDER: temp }, cwd: temp });
      if (!ok(m)) throw new Error(`${path.basename(args[0] ?? command)} failed (exit ${m.exitCode}):\n${m.stdout.slice(-3000)}\n${m.stderr.slice(-2000)}`);
      return { m, ms: m.ms, rssKb: m.peakRssKb, requests: this.emu.requests.length, tls: this.emu.stats.tlsConnections - tls0 };
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  /** The packaged task with these inputs (plus the sign-in ones), which must succeed. */
  task(extra: Record<string, string>): Promise<Sample & { m: Measured }> {
    const env = agentEnv(this.inputs(extra), { NODE_EXTRA_CA_CERTS: this.emu.caCertPath });
    return this.sample(process.execPath, [BUNDLE], env, (m) => m.exitCode === 0 && taskResult(m.stdout) === 'Succeeded');
  }

  /** scripts/bench/rotate.sh on one PAT; checks the emulator afterwards. */
  async curl(authorizationId: string): Promise<Sample> {
    const i = this.inputs({});
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(), // no ~/.curlrc
      ...{ AUTHORITY_HOST: i.authorityHost, TENANT_ID: i.tenantId, CLIENT_ID: i.clientId, REFRESH_TOKEN: i.refreshToken },
      ...{ SERVICE_URL: i.serviceUrl, AUTHORIZATION_ID: authorizationId, CA_FILE: this.emu.caCertPath },
    };
    const s = await this.sample('/bin/bash', [ROTATE_SH], env, (m) => m.exitCode === 0);
    const created = this.emu.findPat(s.m.stdout.trim());
    if (!this.emu.findPat(authorizationId)?.revoked || created?.status !== 'active') throw new Error(`rotate.sh did not rotate:\n${s.m.stdout}${s.m.stderr}`);
    return s;
  }
}

async function rounds(n: number, label: string, fn: () => Promise<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let r = 1; r <= n; r++) {
    out.push(await fn());
    process.stderr.write(`bench: ${label} round ${r}/${n}: ${Math.round(out[r - 1].ms)} ms\n`);
  }
  return out;
}

const verdict = (met: boolean): string => (met ? 'MET' : 'MISSED');
const med = (samples: Sample[], pick: (s: Sample) => number | undefined = (s) => s.ms): number =>
  median(samples.map(pick).filter((v): v is number => v !== undefined));
/** "4", or "4-5" when rounds differ. */
function spread(samples: Sample[], pick: (s: Sample) => number | undefined): string {
  const v = samples.map(pick).filter((x): x is number => x !== undefined);
  if (v.length === 0) return '-';
  const [lo, hi] = [Math.min(...v), Math.max(...v)];
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

async function main(): Promise<void> {
  const { rounds: n, only } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(BUNDLE)) throw new Error(`no bundle at ${BUNDLE}: run node scripts/build.mjs first`);
  const emu = await startEmulator({ latencyMs: RTT_MS });
  const b = new Bench(emu);
  const rows: Row[] = [];
  const want = (name: string) => only === undefined || name.includes(only);
  try {
    // Warm-up (not counted): file cache and the emulator's code paths.
    b.fresh();
    await b.task({ operation: 'create', displayName: 'warm-up', scope: 'vso.code' });

    if (want('create')) {
      const s = await rounds(
        n,
        'create',
        () => (b.fresh(), b.task({ operation: 'create', displayName: 'feed-token', scope: 'vso.packaging', lifetimeDays: '30' })),
      );
      rows.push({ name: '1. create (one PAT)', samples: s, note: '' });
    }

    if (want('rotate')) {
      const seed = [{ displayName: 'feed-token', scope: 'vso.packaging' }];
      const task: Sample[] = [];
      const curl: Sample[] = [];
      for (let r = 0; r < n; r++) {
        // Alternate who goes first, so drift on the machine does not favour one side.
        // verifyNewToken off: the bash+curl baseline does not use the new PAT before revoking either (like for like).
        const runTask = async () => task.push(await b.task({ operation: 'rotate', authorizationId: b.fresh(seed)[0], verifyNewToken: 'false' }));
        const runCurl = async () => curl.push(await b.curl(b.fresh(seed)[0]));
        if (r % 2 === 0) await runTask().then(runCurl);
        else await runCurl().then(runTask);
        process.stderr.write(`bench: rotate by id round ${r + 1}/${n}: task ${Math.round(task[r].ms)} ms, curl ${Math.round(curl[r].ms)} ms\n`);
      }
      const ratio = med(task) / med(curl);
      rows.push({ name: '2. rotate by id: task', samples: task, ratio, note: `task/curl target <= 1.2x: ${verdict(ratio <= 1.2)}` });
      rows.push({
        name: '   rotate by id: bash + curl (rotate.sh)',
        samples: curl,
        note: `one curl process per call, ${fs.existsSync('/usr/bin/jq') ? 'jq' : 'sed'}`,
      });
    }

    if (want('name')) {
      const kinds = ['ci', 'feed', 'deploy', 'backup', 'svc', 'nuget', 'docker', 'release'];
      const seed = Array.from({ length: 1000 }, (_, i) => ({ displayName: i === 500 ? 'release-signing' : `${kinds[i % kinds.length]}-${i}` }));
      const s = await rounds(n, 'rotate by name', () => (b.fresh(seed), b.task({ operation: 'rotate', displayName: 'release-signing' })));
      rows.push({ name: '3. rotate by name among 1,000 PATs', samples: s, note: '' });
    }

    if (want('list')) {
      const seed = Array.from({ length: 10_000 }, (_, i) => ({ displayName: `pat-${i}` }));
      const s = await rounds(n, 'list 10,000', () => (b.fresh(seed), b.task({ operation: 'list' })));
      const mb = med(s, (x) => x.rssKb) / 1024;
      rows.push({ name: '4. list 10,000 PATs', samples: s, note: `peak RSS target < 150 MB: ${verdict(mb < 150)}` });
    }

    if (want('bulk')) {
      const seed = Array.from({ length: 120 }, (_, i) => ({ displayName: `bulk-${i}` }));
      const s = await rounds(n, 'bulk revoke', async () => {
        b.fresh(seed);
        const run = await b.task({ operation: 'revoke', displayName: 'bulk-*', revokeLimit: '120' });
        const revoked = emu.listPats(b.userId).filter((p) => p.revoked).length;
        if (revoked !== 120) throw new Error(`bulk revoke revoked ${revoked} of 120`);
        const deletes = emu.requests.filter((r) => r.kind === 'pats' && r.method === 'DELETE').map((r) => r.time.getTime());
        return { ...run, peak: peakConcurrency(deletes, RTT_MS), phaseMs: Math.max(...deletes) + RTT_MS - Math.min(...deletes) };
      });
      const ms = med(s);
      rows.push({
        name: '5. bulk revoke 120 PATs (bulk-*)',
        samples: s,
        note: `target < 1500 ms: ${verdict(ms < 1500)}; DELETEs: peak ${spread(s, (x) => x.peak)} in flight, ${med(s, (x) => x.phaseMs)} ms`,
      });
    }

    if (want('cold')) {
      // What is compared (each in its own fresh `node` process, same agent-like environment and CA file):
      //  - start-to-first-request: from spawn() of `node index.js` (the packaged bundle, inputs for a create) to
      //    the moment the emulator has read its first request (the Entra token POST): node start-up, loading
      //    the bundle, task-lib start-up, input checks, MSAL set-up, TCP + TLS handshake, sending the request;
      //  - plain require: from spawn() to exit of the same `node index.js` with no inputs at all: node
      //    start-up, loading the bundle, task-lib start-up, failing on the first required input, exit.
      // ratio = start-to-first-request / plain require. Both have NODE_EXTRA_CA_CERTS (the run needs it to trust
      // the emulator); with it set, node builds its root certificate store at start-up instead of at the first
      // TLS connection, so leaving it out of the baseline would bill that to the task. The baseline without it,
      // and `node -e 0` (bare node start-up), are shown for scale.
      // The three are interleaved within a round (the machine drifts) and run 3N times: each takes ~0.2 s.
      const [bare, plain, plainNoCa, first]: Sample[][] = [[], [], [], []];
      const ca = { NODE_EXTRA_CA_CERTS: emu.caCertPath };
      for (let r = 0; r < 3 * n; r++) {
        b.fresh();
        bare.push(await b.sample(process.execPath, ['-e', '0'], { PATH: process.env.PATH ?? '' }, () => true));
        const failed = (m: Measured) => m.exitCode === 0 && taskResult(m.stdout) === 'Failed'; // a failed task still exits 0
        plain.push(await b.sample(process.execPath, [BUNDLE], agentEnv({}, ca), failed));
        plainNoCa.push(await b.sample(process.execPath, [BUNDLE], agentEnv({}, {}), failed));
        b.fresh();
        const s = await b.task({ operation: 'create', displayName: 'cold', scope: 'vso.code' });
        first.push({ ...s, ms: emu.requests[0].time.getTime() - s.m.spawnedAt });
        process.stderr.write(`bench: cold start round ${r + 1}/${3 * n}: first request ${first[r].ms} ms, plain require ${Math.round(plain[r].ms)} ms\n`);
      }
      const ratio = med(first) / med(plain);
      rows.push({ name: '6. cold start: spawn to first request', samples: first, ratio, note: `vs plain require; target <= 1.3x: ${verdict(ratio <= 1.3)}` });
      rows.push({
        name: '   plain require: bundle, no inputs, spawn to exit',
        samples: plain,
        note: `${Math.round(med(plain) - med(bare))} ms over node -e 0`,
      });
      const noCa = med(first) / med(plainNoCa);
      rows.push({ name: '   plain require without NODE_EXTRA_CA_CERTS', samples: plainNoCa, ratio: noCa, note: `ratio if this were the baseline` });
      rows.push({ name: '   node -e 0, spawn to exit', samples: bare, note: `cold start rows: ${3 * n} rounds` });
    }
  } finally {
    await emu.close();
  }
  print(rows, n);
}

function print(rows: Row[], n: number): void {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown cpu';
  console.log(`# ${os.type()} ${os.release()} ${os.arch()}, ${cpu}, ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}`);
  console.log(`# emulator in-process at ${RTT_MS} ms RTT; ${n} rounds per case, medians; peak RSS via ${rssMethod}`);
  const table: string[][] = [['case', 'requests', 'TLS conns', 'median ms', 'ratio', 'peak RSS MB', 'notes']];
  for (const r of rows) {
    const rss = med(r.samples, (s) => s.rssKb);
    const cells = [r.name, spread(r.samples, (s) => s.requests), spread(r.samples, (s) => s.tls), med(r.samples).toFixed(0)];
    table.push([...cells, r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`, Number.isNaN(rss) ? '-' : (rss / 1024).toFixed(1), r.note]);
  }
  const dist = path.join(ROOT, 'dist');
  for (const f of fs.existsSync(dist) ? fs.readdirSync(dist).filter((x) => x.endsWith('.vsix')) : []) {
    const stat = fs.statSync(path.join(dist, f));
    const built = stat.mtime.toISOString().slice(0, 16).replace('T', ' ');
    const kb = stat.size / 1024;
    table.push([`package: dist/${f}`, '', '', '', '', '', `${kb.toFixed(0)} KB (built ${built}Z); target <= 400 KB: ${verdict(kb <= 400)}`]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => (c > 0 && c < 6 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(' | ')} |`;
  console.log(line(table[0]));
  console.log(`|${widths.map((w, c) => (c > 0 && c < 6 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
