// node build/emulator/src/cli.js [--port N] [--latency-ms N] [--host H]
// Starts the emulator with a demo tenant, app, user and organization, prints what a client needs (KEY=value lines
// on stdout) and how to try each sign-in flow and the task by hand (on stderr), and runs until SIGINT or SIGTERM.
// node build/emulator/src/cli.js approve|decline <user code> [--url EMULATOR_URL] [--ca EMULATOR_CA_FILE]
// Approves (or declines) a device code on a running emulator, as its /devicelogin page does.
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import * as tls from 'tls';
import { startEmulator, type DemoSeed, type Emulator } from './index';

const USAGE =
  'Usage: node build/emulator/src/cli.js [--port N] [--latency-ms N] [--host H]\n' +
  '       node build/emulator/src/cli.js approve|decline <user code> [--url EMULATOR_URL] [--ca EMULATOR_CA_FILE]\n' +
  '         (defaults: $EMULATOR_URL; the CA from $NODE_EXTRA_CA_CERTS)\n';

interface CliOptions {
  port: number;
  latencyMs: number;
  host: string;
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { port: 0, latencyMs: 0, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${name} needs a whole number, got '${v}'`);
      return Number(v);
    };
    switch (name) {
      case '--port':
        opts.port = int();
        break;
      case '--latency-ms':
        opts.latencyMs = int();
        break;
      case '--host':
        opts.host = value();
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option ${arg}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'approve' || argv[0] === 'decline') return answerDeviceCode(argv[0], argv.slice(1));
  const opts = parseArgs(argv);
  const emulator = await startEmulator({ port: opts.port, latencyMs: opts.latencyMs, host: opts.host });
  const demo = emulator.seedDemo();
  const lines = [
    `EMULATOR_URL=${emulator.url}`,
    `EMULATOR_CA_FILE=${emulator.caCertPath}`,
    `TENANT_ID=${demo.tenantId}`,
    `CLIENT_ID=${demo.clientId}`,
    `USER_ID=${demo.userId}`,
    `REFRESH_TOKEN=${demo.refreshToken}`,
    `AUTHORITY=${emulator.authority(demo.tenantId)}`,
    `ORG_URL=${demo.orgUrl}`,
    `PROJECT=${demo.project}`,
    `VARIABLE_GROUP_ID=${demo.variableGroupId}`,
    `DEVICE_LOGIN_URL=${emulator.url}/devicelogin`,
    `JOB_TOKEN=${demo.jobToken}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(guide(emulator, demo));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`Emulator stopping (${signal})\n`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** What a person needs to try each sign-in flow and the task by hand, with this run's values filled in. */
function guide(emulator: Emulator, demo: DemoSeed): string {
  const root = path.resolve(__dirname, '..', '..', '..');
  const task = path.join(root, 'build', 'stage', 'tasks', 'PatLifecycleV1', 'index.js');
  const signIn = `npm run --silent login -- --tenant ${demo.tenantId} --client-id ${demo.clientId} --authority-host ${emulator.url}`;
  const group = `--variable-group pat-rotation --organization ${demo.orgUrl} --project ${demo.project}`;
  return `
PAT lifecycle emulator at ${emulator.url}: a demo tenant, app (may manage PATs and variable groups), user,
organization ${demo.org}, project ${demo.project} and variable group pat-rotation (id ${demo.variableGroupId}).
Ctrl+C stops it. To try it by hand, in another terminal in ${root}:

1. Trust its certificate (a private CA; the sign-in command and the task both need this):
   export NODE_EXTRA_CA_CERTS=${emulator.caCertPath}

2. Device code sign-in; the refresh token is printed alone on standard output (messages go to standard error):
   ${signIn} --device-code
   It shows a code and the page ${emulator.url}/devicelogin: open the page, enter the code and select Approve
   (your browser warns about the certificate: continue, or trust ${emulator.caCertPath} in it).
   Or approve from another terminal: node build/emulator/src/cli.js approve <CODE> --url ${emulator.url} --ca ${emulator.caCertPath}

3. Browser sign-in: the same without --device-code. The emulator signs the demo user in at once and sends your
   browser back to the command (after the certificate warning, as above):
   ${signIn}

4. Store the token in the demo variable group instead of printing it:
   ${signIn} --device-code ${group}

5. Run the task as the agent does (inputs as INPUT_<NAME>; with the token from step 2, or the demo one):
   INPUT_OPERATION=list INPUT_ORGANIZATION=${demo.org} INPUT_TENANTID=${demo.tenantId} INPUT_CLIENTID=${demo.clientId} \\
   INPUT_REFRESHTOKEN=${demo.refreshToken} INPUT_AUTHORITYHOST=${emulator.url} INPUT_SERVICEURL=${demo.orgUrl} \\
     node ${task}
`;
}

/** `approve|decline <user code>`: posts the /devicelogin form of a running emulator. */
async function answerDeviceCode(action: 'approve' | 'decline', argv: string[]): Promise<void> {
  let url = process.env.EMULATOR_URL;
  let caFile: string | undefined;
  let code: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--url') url = argv[++i];
    else if (argv[i].startsWith('--url=')) url = argv[i].slice('--url='.length);
    else if (argv[i] === '--ca') caFile = argv[++i];
    else if (code === undefined && !argv[i].startsWith('-')) code = argv[i];
    else throw new Error(`Unknown argument ${argv[i]}\n${USAGE}`);
  }
  if (!code) throw new Error(`${action} needs the user code the sign-in shows\n${USAGE}`);
  if (!url) throw new Error('--url (or EMULATOR_URL) needs the emulator URL, e.g. https://127.0.0.1:PORT');
  const body = new URLSearchParams({ user_code: code, action }).toString();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      new URL('/devicelogin', url),
      {
        method: 'POST',
        // Without --ca, Node trusts what NODE_EXTRA_CA_CERTS names.
        ...(caFile ? { ca: [...tls.rootCertificates, fs.readFileSync(caFile, 'utf8')] } : {}),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let t = '';
        res.setEncoding('utf8').on('data', (d: string) => (t += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const result = /<p id="result">([^<]*)<\/p>/.exec(text)?.[1] ?? `HTTP ${status}`;
  process.stdout.write(`${result.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))}\n`);
  process.exitCode = status === 200 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`Emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
