/**
 * Runs the packaged task the way the Azure Pipelines agent does: a child `node` process in the task's folder
 * layout, inputs as `INPUT_*` environment variables, agent variables as environment, and stdout read for
 * `##vso[...]` logging commands. Masks secrets as the agent would (values it was told are secret, from the
 * command on) and reports any secret printed before the agent could know it. Used by the end-to-end tests,
 * the demo and the benchmark.
 *
 * Commands are found the way the agent finds them, or more eagerly: the agent looks for `##vso[` with .NET's
 * culture-sensitive `IndexOf` (agent `Command.TryParse`), which under ICU skips ignorable characters, so
 * `#\u2060#vso[` counts. Here every default-ignorable, format (Cf) and control character is skipped and the case
 * is ignored, so a test that sees no hostile command run has shown that the agent would run none either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandFromString, type TaskCommand } from 'azure-pipelines-task-lib/taskcommand';

export interface AgentRunOptions {
  /** Folder holding index.js and task.json (the staged or unpacked .vsix task folder). */
  taskDir: string;
  /** Task inputs by name, as the agent passes them after macro expansion. */
  inputs: Record<string, string | undefined>;
  /** Pipeline variables (`Agent.CAInfo`, `System.Debug`...), passed as environment like the agent does. */
  variables?: Record<string, string>;
  /** Secret pipeline variables (e.g. `Agent.ProxyPassword`), passed as `SECRET_*` and masked from the start. */
  secretVariables?: Record<string, string>;
  /** Values the agent already knows are secret (secret variables that fed inputs, the job token). */
  knownSecrets?: string[];
  /**
   * Service connections the task's inputs name, by endpoint id, as the agent exposes them (Handler.AddEndpointsToEnvironment):
   * ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id> (JSON `{parameters, scheme}`), ENDPOINT_AUTH_SCHEME_<id>,
   * ENDPOINT_AUTH_PARAMETER_<id>_<KEY>, ENDPOINT_DATA_<id> (JSON) and ENDPOINT_DATA_<id>_<KEY>; `<id>` as given (the
   * agent writes the GUID in lower case), keys upper-cased. Authorization parameter values are masked from the start
   * except those the agent leaves readable (tenantid, authenticationType, scope, role...).
   */
  endpoints?: Record<string, AgentEndpointSpec>;
  /** The job's access token (System.AccessToken), exposed as the SYSTEMVSSCONNECTION endpoint. */
  jobToken?: string;
  collectionUri?: string;
  /** Extra raw environment (e.g. NODE_EXTRA_CA_CERTS). */
  env?: Record<string, string>;
  debug?: boolean;
  /** The run is killed (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
  /** Called with the task's process once it is started: a test can signal it or cancel it (`cancelLikeAgent`). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface AgentEndpointSpec {
  url: string;
  scheme: string;
  parameters: Record<string, string>;
  data?: Record<string, string>;
}

/** The agent's environment key form (VarUtil.ConvertToEnvVariableFormat, preserveCase false): `.` and space to `_`, upper case. */
export function envKey(name: string): string {
  return name.replace(/[. ]/g, '_').toUpperCase();
}

/** The environment the agent sets for service connections (see AgentRunOptions.endpoints). */
export function endpointEnvironment(endpoints: Record<string, AgentEndpointSpec>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [id, e] of Object.entries(endpoints)) {
    env[`ENDPOINT_URL_${id}`] = e.url;
    env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ parameters: e.parameters, scheme: e.scheme });
    env[`ENDPOINT_AUTH_SCHEME_${id}`] = e.scheme;
    for (const [key, value] of Object.entries(e.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${envKey(key)}`] = value;
    env[`ENDPOINT_DATA_${id}`] = JSON.stringify(e.data ?? {});
    for (const [key, value] of Object.entries(e.data ?? {})) env[`ENDPOINT_DATA_${id}_${envKey(key)}`] = value;
  }
  return env;
}

/**
 * Authorization parameters the agent does not mask (azure-pipelines-agent src/Agent.Sdk/Util/MaskingUtil.cs
 * IsEndpointAuthorizationParametersSecret; names of the EndpointAuthorizationParameters constants, compared ignoring case).
 */
const NOT_MASKED = new Set([
  'role',
  'scope',
  'tenantid',
  'issuedat',
  'expiresat',
  'audience',
  'authenticationtype',
  'authorizationtype',
  'accesstokentype',
  'accesstokenfetchingmethod',
  'usewindowssecurity',
  'unsecured',
  'oauthaccesstokenissupplied',
  'completecallbackpayload',
  'acceptuntrustedcertificates',
]);

/** Authorization parameter values the agent masks from the start (Worker.InitializeSecretMasker): non-empty, not excluded. */
export function endpointSecrets(endpoints: Record<string, AgentEndpointSpec>): string[] {
  return Object.values(endpoints).flatMap((e) =>
    Object.entries(e.parameters)
      .filter(([k, v]) => v !== '' && !NOT_MASKED.has(k.toLowerCase()))
      .map(([, v]) => v),
  );
}

export interface OutputVariable {
  value: string;
  secret: boolean;
  isOutput: boolean;
}

export interface Leak {
  line: number;
  secretKind: string;
}

export interface AgentRun {
  /** null when a signal ended the process (then `signal` names it). */
  exitCode: number | null;
  /** The signal that ended the process, or null when it exited. */
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** Raw stdout lines. */
  lines: string[];
  stderr: string;
  commands: TaskCommand[];
  /** Output variables by name. */
  variables: Record<string, OutputVariable>;
  /** The task.complete result and message. */
  result?: { result: string; message: string };
  /** Every task.complete seen (a task must set its result once). */
  completions: number;
  errors: string[];
  warnings: string[];
  /** Values registered as secret, in order. */
  registeredSecrets: string[];
  /** Summaries uploaded (file contents). */
  summaries: string[];
  /** Their section titles on the run's Extensions tab (the attachment's name). */
  summaryTitles: string[];
  /** Contents of files that output variables point to (read before the run's temp folder is removed). */
  files: Record<string, string>;
  /** The log as a pipeline shows it: commands rendered, secrets masked, debug lines only with `debug`. */
  log: string[];
  /** Finds secrets printed before the agent knew them: give every secret the run could have seen. */
  leaks(secrets: Record<string, string | undefined>): Leak[];
}

export function runTaskAsAgent(options: AgentRunOptions): Promise<AgentRun> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-agent-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? temp,
    AGENT_TEMPDIRECTORY: temp,
    AGENT_WORKFOLDER: temp,
    AGENT_VERSION: '4.266.2',
    SYSTEM_DEBUG: options.debug ? 'true' : 'false',
    SYSTEM_CULTURE: 'en-US',
    ...(options.collectionUri ? { SYSTEM_COLLECTIONURI: options.collectionUri, SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: options.collectionUri } : {}),
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.variables ?? {})) env[name.replace(/\./g, '_').toUpperCase()] = value;
  for (const [name, value] of Object.entries(options.secretVariables ?? {})) env[`SECRET_${name.replace(/\./g, '_').toUpperCase()}`] = value;
  const knownSecrets = [...(options.knownSecrets ?? []), ...Object.values(options.secretVariables ?? {}), ...endpointSecrets(options.endpoints ?? {})];
  Object.assign(env, endpointEnvironment(options.endpoints ?? {}));
  for (const [name, value] of Object.entries(options.inputs)) if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  if (options.jobToken) {
    env.ENDPOINT_AUTH_SYSTEMVSSCONNECTION = JSON.stringify({ parameters: { AccessToken: options.jobToken }, scheme: 'OAuth' });
    env.ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION = 'OAuth';
    env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN = options.jobToken;
    if (options.collectionUri) env.ENDPOINT_URL_SYSTEMVSSCONNECTION = options.collectionUri;
  }

  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(options.taskDir, 'index.js')], { cwd: temp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const run = interpret(stdout, stderr, code, signal, Date.now() - started, knownSecrets, options.debug ?? false);
        for (const [name, v] of Object.entries(run.variables))
          if (v.value.startsWith(temp) && fs.existsSync(v.value)) run.files[name] = fs.readFileSync(v.value, 'utf8');
        resolve(run);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        fs.rmSync(temp, { recursive: true, force: true });
      }
    });
    options.onSpawn?.(child);
  });
}

export interface CancelOptions {
  /** How long to wait for the process to exit after SIGINT; the agent's default is 7500 ms (knob PROCESS_SIGINT_TIMEOUT). */
  sigintTimeoutMs?: number;
  /** How long to wait after SIGTERM; the agent's default is 2500 ms (knob PROCESS_SIGTERM_TIMEOUT). */
  sigtermTimeoutMs?: number;
}

/** Which step of the cancellation ended the process ('exited': it had already ended). */
export type CancelOutcome = 'exited' | 'SIGINT' | 'SIGTERM' | 'SIGKILL';

/**
 * Cancels a task process the way the agent does when a job is cancelled (azure-pipelines-agent,
 * src/Agent.Sdk/ProcessInvoker.cs CancelAndKillProcessTree and ProcessInvoker.MacLinux.cs SendPosixSignal; the
 * Node handler passes killProcessOnCancel: false): SIGINT, wait up to 7.5 s for the process to exit; then SIGTERM,
 * wait up to 2.5 s; then kill it (.NET Process.Kill: SIGKILL). A signal that cannot be sent counts as not honoured.
 * Shorter waits keep tests fast. Resolves once the process has exited.
 */
export async function cancelLikeAgent(child: ChildProcess, options: CancelOptions = {}): Promise<CancelOutcome> {
  if (child.exitCode !== null || child.signalCode !== null) return 'exited';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitExit = (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    return Promise.race([exited.then(() => true), timeout]).finally(() => clearTimeout(timer));
  };
  if (child.kill('SIGINT') && (await waitExit(options.sigintTimeoutMs ?? 7500))) return 'SIGINT';
  if (child.exitCode !== null || child.signalCode !== null) return 'SIGINT';
  if (child.kill('SIGTERM') && (await waitExit(options.sigtermTimeoutMs ?? 2500))) return 'SIGTERM';
  if (child.exitCode !== null || child.signalCode !== null) return 'SIGTERM';
  child.kill('SIGKILL');
  await exited;
  return 'SIGKILL';
}

function interpret(
  stdout: string,
  stderr: string,
  exitCode: number | null,
  signal: NodeJS.Signals | null,
  durationMs: number,
  knownSecrets: string[],
  debug: boolean,
): AgentRun {
  const lines = stdout.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const commands: TaskCommand[] = [];
  const variables: Record<string, OutputVariable> = {};
  const registeredSecrets: string[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const summaries: string[] = [];
  const summaryTitles: string[] = [];
  const log: string[] = [];
  const masked = new Set(knownSecrets.filter((s) => s !== ''));
  const mask = (text: string): string => [...masked].sort((a, b) => b.length - a.length).reduce((t, s) => t.split(s).join('***'), text);
  let result: AgentRun['result'];
  let completions = 0;

  for (const line of lines) {
    const cmd = parseCommand(line);
    if (!cmd) {
      log.push(mask(line));
      continue;
    }
    commands.push(cmd);
    const p = cmd.properties;
    switch (cmd.command) {
      case 'task.setsecret':
        masked.add(cmd.message);
        registeredSecrets.push(cmd.message);
        break;
      case 'task.setvariable': {
        const secret = p.issecret === 'true';
        if (secret && cmd.message) {
          masked.add(cmd.message);
          registeredSecrets.push(cmd.message);
        }
        variables[p.variable] = { value: cmd.message, secret, isOutput: p.isOutput === 'true' || p.isoutput === 'true' };
        log.push(`(set ${p.isOutput === 'true' ? 'output ' : ''}variable ${p.variable}${secret ? ', secret' : ''})`);
        break;
      }
      case 'task.debug':
        // The pipeline shows debug lines only when System.Debug is true.
        if (debug) log.push(mask(`##[debug]${cmd.message}`));
        break;
      case 'task.issue':
      case 'task.logissue':
        (p.type === 'error' ? errors : warnings).push(mask(cmd.message));
        log.push(mask(`##[${p.type}]${cmd.message}`));
        break;
      case 'task.complete':
        completions++;
        result = { result: p.result, message: mask(cmd.message) };
        break;
      case 'task.uploadsummary':
        if (fs.existsSync(cmd.message)) summaries.push(fs.readFileSync(cmd.message, 'utf8'));
        summaryTitles.push(path.basename(cmd.message)); // the agent titles the section by the file's name
        log.push(`(uploaded summary)`);
        break;
      case 'task.addattachment':
        if (p.type === 'Distributedtask.Core.Summary') {
          if (fs.existsSync(cmd.message)) summaries.push(fs.readFileSync(cmd.message, 'utf8'));
          summaryTitles.push(p.name);
          log.push(`(uploaded summary '${p.name}')`);
        } else log.push(`(attachment ${p.type})`);
        break;
      default:
        log.push(`(${cmd.command})`);
    }
  }

  const leaks = (secrets: Record<string, string | undefined>): Leak[] => {
    const found: Leak[] = [];
    for (const [kind, secret] of Object.entries(secrets)) {
      if (!secret || knownSecrets.includes(secret)) continue; // the agent masked it from the start
      const registeredAt = lines.findIndex((l) => isRegistration(l, secret));
      lines.forEach((l, i) => {
        // A command's text as the agent logs it is unescaped (`%AZP25` -> `%`): look at both forms.
        const cmd = parseCommand(l);
        const shown = cmd ? `${l}\n${cmd.message}\n${Object.values(cmd.properties).join('\n')}` : l;
        if (shown.includes(secret) && !isRegistration(l, secret) && (registeredAt < 0 || i < registeredAt)) found.push({ line: i, secretKind: kind });
      });
      if (stderr.includes(secret)) found.push({ line: -1, secretKind: kind });
    }
    return found;
  };

  return {
    exitCode,
    signal,
    durationMs,
    lines,
    stderr,
    commands,
    variables,
    result,
    completions,
    errors,
    warnings,
    registeredSecrets,
    summaries,
    summaryTitles,
    files: {},
    log,
    leaks,
  };
}

/** The agent learns a secret from `task.setsecret` or a secret `task.setvariable` carrying it. */
function isRegistration(line: string, secret: string): boolean {
  const cmd = parseCommand(line);
  if (!cmd) return false;
  return cmd.message === secret && (cmd.command === 'task.setsecret' || (cmd.command === 'task.setvariable' && cmd.properties.issecret === 'true'));
}

/** What the agent's search may skip (wider than ICU's ignorables, never narrower). */
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}]/gu;
const PREFIX = /##vso\[/iu;

/**
 * The logging command a line carries, as the agent would find it: from the first `##vso[` in the line once every
 * ignorable character is removed, case ignored. Returns the command text starting at the prefix (the raw line's
 * own text when the prefix stands there plainly, else the text with the ignorable characters removed), or
 * undefined when the line holds no command.
 */
export function findLoggingCommand(line: string): string | undefined {
  const stripped = line.replace(IGNORABLE, '');
  const match = PREFIX.exec(stripped);
  if (!match) return undefined;
  const rawAt = line.indexOf('##vso[');
  if (rawAt >= 0 && line.slice(0, rawAt).replace(IGNORABLE, '').length === match.index) return line.slice(rawAt);
  return `##vso[${stripped.slice(match.index + match[0].length)}`;
}

/** The command a line carries; a line the agent could not parse (no brackets) is plain output, as there. */
function parseCommand(line: string): TaskCommand | undefined {
  const text = findLoggingCommand(line);
  if (text === undefined) return undefined;
  try {
    const cmd = commandFromString(text);
    cmd.command = cmd.command.toLowerCase(); // the agent looks areas up case-insensitively
    return cmd;
  } catch {
    return undefined;
  }
}
