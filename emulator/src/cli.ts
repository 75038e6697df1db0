// node build/emulator/src/cli.js [--port N] [--latency-ms N] [--host H]
// Starts the emulator with a demo tenant, app, user and organization, prints what a client needs, and runs
// until SIGINT or SIGTERM.
import { startEmulator } from './index';

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
        process.stdout.write('Usage: node build/emulator/src/cli.js [--port N] [--latency-ms N] [--host H]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown option ${arg}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
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
    `JOB_TOKEN=${demo.jobToken}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
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

main().catch((err: unknown) => {
  process.stderr.write(`Emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
