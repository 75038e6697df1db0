/**
 * `pat-lifecycle login`: signs a user in once (browser or device code) and produces the Microsoft Entra refresh
 * token that PatLifecycle@1 needs: on stdout, alone, so it can be piped; or stored straight into a variable group
 * as a secret. Messages go to stderr. It shares the task's HTTP layer and MSAL setup; its messages are the task's,
 * reworded where they would speak of task inputs (cli/messages.json, bundled; a key that is not a task message fails tsc).
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication, type AuthenticationResult } from '@azure/msal-node';
import { MsalNetwork, describeEntraError, detailed, deviceCodeSignIn, msalConfiguration } from '../../tasks/PatLifecycleV1/src/entra';
import { TaskError } from '../../tasks/PatLifecycleV1/src/errors';
import { HttpLayer } from '../../tasks/PatLifecycleV1/src/http';
import { reword } from '../../tasks/PatLifecycleV1/src/messages.generated';
import { DEFAULTS } from '../../tasks/PatLifecycleV1/src/params';
import { VariableGroupsApi } from '../../tasks/PatLifecycleV1/src/variableGroupsApi';
import { withTimeout } from '../../tasks/PatLifecycleV1/src/timeout';
import cliMessages from '../messages.json';

const USAGE = `Usage: pat-lifecycle login --tenant <id> --client-id <id> [options]

Signs you in to Microsoft Entra and prints a refresh token for PatLifecycle@1 (stdout; messages on stderr).

  --tenant <id|domain>         Entra tenant of the app registration
  --client-id <guid>           Application (client) ID of the app registration
  --device-code                Device code flow (headless machines); default: browser sign-in
  --client-secret-env <NAME>   Confidential app: read the client secret from this environment variable
  --authority-host <url>       Default https://login.microsoftonline.com
  --scope <scope>              Default ${DEFAULTS.entraScope}
  --variable-group <id|name>   Store the token as a secret in this variable group instead of printing it
                               (if storing fails, the token is printed after all: exit code 3)
  --organization <name|url>    ... of this organization (name, or collection URL)
  --project <name>             ... and project
  --variable <name>            ... as this variable (default ${DEFAULTS.refreshTokenVariable})
  --verbose                    Log HTTP requests (never their contents) to stderr

The app registration needs delegated Azure DevOps permissions (API permissions > Azure DevOps), with admin
consent: vso.pats for list and get only, vso.pats_manage for create, update, revoke and rotate. With
--variable-group it also needs vso.variablegroups_manage, and you need the Administrator role on the group.

Exit codes: 0 done, 1 failed (no token), 2 wrong arguments, 3 signed in but not stored: the token is on stdout.
`;

/** Signed in, but the token could not be stored in the variable group: it was printed instead. */
export const EXIT_NOT_STORED = 3;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface LoginOptions {
  tenant: string;
  clientId: string;
  clientSecret?: string;
  authorityHost: string;
  scope: string;
  deviceCode: boolean;
  store?: { group: string; collectionUrl: string; project: string; variable: string };
  verbose: boolean;
}

const say = (message: string): void => void process.stderr.write(`${message}\n`);

export async function main(argv: string[]): Promise<number> {
  reword(cliMessages.messages);
  let options: LoginOptions;
  try {
    const parsed = parseOptions(argv);
    if (parsed === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    options = parsed;
  } catch (err) {
    say(`pat-lifecycle: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const layer = new HttpLayer({
    timeoutMs: 60_000,
    userAgent: 'pat-lifecycle-cli',
    maxSockets: 4,
    trustedOrigins: [options.authorityHost],
    debug: options.verbose ? say : () => {},
  });
  try {
    // Nothing can read the group before the sign-in (there is no credential yet), but the organization can be
    // reached: a wrong host or an untrusted certificate fails here, before anyone signs in.
    if (options.store) await probeOrganization(options.store, options.verbose);
    const network = new MsalNetwork(layer, () => {});
    const result = await signIn(options, network, layer);
    const refreshToken = network.refreshToken;
    if (!refreshToken) throw new TaskError('Microsoft Entra returned no refresh token: make sure the app registration allows offline_access.');
    say(`Signed in as ${result.user ?? 'the user'}.`);
    if (!options.store) {
      process.stdout.write(`${refreshToken}\n`);
      return 0;
    }
    return await store(layer, options.store, result.accessToken, refreshToken);
  } catch (err) {
    say(`pat-lifecycle: ${explain(err, options)}`);
    return 1;
  } finally {
    layer.dispose();
  }
}

/**
 * Reads the group, then writes the token into it, both with the fresh sign-in. A refresh token is never thrown away:
 * if either step fails, it goes to stdout after all, with how to store it by hand.
 */
async function store(layer: HttpLayer, target: NonNullable<LoginOptions['store']>, accessToken: string, refreshToken: string): Promise<number> {
  const api = new VariableGroupsApi(layer, target.collectionUrl, target.project, accessToken, undefined, 'user');
  try {
    const group = await api.find(target.group);
    await api.setVariables(group, { [target.variable]: { value: refreshToken, isSecret: true } });
    say(`Stored the refresh token as secret variable ${target.variable} in variable group '${group.name}'.`);
    return 0;
  } catch (err) {
    say(`pat-lifecycle: ${explain(err)}`);
    say(
      `The refresh token was not stored, so it is printed on standard output instead. Store it by hand: in ${target.collectionUrl}, ` +
        `project ${target.project}, open Pipelines > Library > '${target.group}', add a variable named ${target.variable}, paste the token as its ` +
        'value, select the lock icon to make it secret, and save. Or fix the cause above and run pat-lifecycle login again.',
    );
    process.stdout.write(`${refreshToken}\n`);
    return EXIT_NOT_STORED;
  }
}

/**
 * An anonymous request (no credential: there is none yet) to the group's project. Any HTTP answer will do: only an
 * organization that cannot be reached (wrong host, untrusted certificate) fails, and it fails at once.
 */
async function probeOrganization(target: NonNullable<LoginOptions['store']>, verbose: boolean): Promise<void> {
  const url = `${target.collectionUrl.replace(/\/+$/, '')}/${encodeURIComponent(target.project)}/_apis/distributedtask/variablegroups?api-version=7.1`;
  const probe = new HttpLayer({
    timeoutMs: 15_000,
    userAgent: 'pat-lifecycle-cli',
    maxSockets: 1,
    trustedOrigins: [],
    retry: { maxAttempts: 2, baseDelayMs: 500 },
    debug: verbose ? say : () => {},
  });
  try {
    await probe.send({ method: 'GET', url, retry: 'idempotent' });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TaskError(`Cannot reach the organization ${target.collectionUrl} (checked before signing in): ${why} Check --organization.`);
  } finally {
    probe.dispose();
  }
}

function parseOptions(argv: string[]): LoginOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-env': { type: 'string' },
      'authority-host': { type: 'string' },
      scope: { type: 'string' },
      'device-code': { type: 'boolean' },
      'variable-group': { type: 'string' },
      organization: { type: 'string' },
      project: { type: 'string' },
      variable: { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) return 'help';
  if (positionals[0] !== 'login' || positionals.length > 1) throw new Error(`unknown command '${positionals.join(' ')}': the command is 'login'`);
  const tenant = values.tenant ?? '';
  if (!GUID.test(tenant) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(tenant) && tenant !== 'organizations')
    throw new Error('--tenant needs the tenant ID (a GUID) or its domain');
  const clientId = values['client-id'] ?? '';
  if (!GUID.test(clientId)) throw new Error('--client-id needs the app registration’s Application (client) ID, a GUID');
  const authority = new URL(values['authority-host'] ?? DEFAULTS.authorityHost);
  if (authority.protocol !== 'https:') throw new Error('--authority-host must be an https URL');
  let clientSecret: string | undefined;
  if (values['client-secret-env']) {
    clientSecret = process.env[values['client-secret-env']];
    if (!clientSecret) throw new Error(`--client-secret-env: the environment variable ${values['client-secret-env']} is empty or not set`);
    if (values['device-code']) throw new Error('--device-code signs in as a public client: leave out --client-secret-env');
  }
  let store: LoginOptions['store'];
  if (values['variable-group']) {
    if (!values.organization || !values.project) throw new Error('--variable-group needs --organization and --project');
    const org = values.organization;
    const collectionUrl = /^https:\/\//i.test(org) ? org : `https://dev.azure.com/${encodeURIComponent(org)}`;
    store = { group: values['variable-group'], collectionUrl, project: values.project, variable: values.variable ?? DEFAULTS.refreshTokenVariable };
  }
  return {
    tenant,
    clientId,
    clientSecret,
    authorityHost: authority.origin,
    scope: values.scope ?? DEFAULTS.entraScope,
    deviceCode: values['device-code'] ?? false,
    store,
    verbose: values.verbose ?? false,
  };
}

async function signIn(options: LoginOptions, network: MsalNetwork, layer: HttpLayer): Promise<{ accessToken: string; user?: string }> {
  const settings = { tenantId: options.tenant, clientId: options.clientId, authorityHost: options.authorityHost, scope: options.scope };
  // The task's own device code sign-in (operation signIn) and this one are the same code.
  if (options.deviceCode)
    return deviceCodeSignIn(
      settings,
      network,
      layer,
      () => {},
      (code) => say(code.message || `To sign in, open ${code.verificationUri} and enter the code ${code.userCode}.`),
    );
  const config = msalConfiguration(settings, network, layer, () => {}, options.clientSecret ? { clientSecret: options.clientSecret } : {});
  const scopes = [options.scope, 'offline_access'];
  try {
    const result = options.clientSecret
      ? await confidentialBrowserSignIn(new ConfidentialClientApplication(config), scopes)
      : await withDeadline(
          new PublicClientApplication(config).acquireTokenInteractive({
            scopes,
            openBrowser,
            successTemplate: 'Signed in. You can close this window and return to the terminal.',
            errorTemplate: 'Sign-in failed: {{error}}. Return to the terminal for details.',
          }),
        );
    if (!result) throw new TaskError('Sign-in did not complete.');
    return { accessToken: result.accessToken, user: result.account?.username || undefined };
  } catch (err) {
    throw network.lastError ?? detailed(err, network);
  }
}

/** Authorization code with PKCE on a loopback redirect, for a confidential app (MSAL's interactive API is public-client only). */
async function confidentialBrowserSignIn(app: ConfidentialClientApplication, scopes: string[]): Promise<AuthenticationResult> {
  const pkce = await new CryptoProvider().generatePkceCodes();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://localhost:${(server.address() as { port: number }).port}`;
  try {
    const code = new Promise<string>((resolve, reject) => {
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri);
        const error = url.searchParams.get('error');
        res.end(error ? 'Sign-in failed. Return to the terminal for details.' : 'Signed in. You can close this window and return to the terminal.');
        if (error) reject(new TaskError(`${error}: ${url.searchParams.get('error_description') ?? ''}`));
        else if (url.searchParams.get('code')) resolve(url.searchParams.get('code') as string);
      });
    });
    await openBrowser(await app.getAuthCodeUrl({ scopes, redirectUri, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256' }));
    return await app.acquireTokenByCode({ code: await withDeadline(code), scopes, redirectUri, codeVerifier: pkce.verifier });
  } finally {
    server.close();
  }
}

/** A browser sign-in that nobody completes must not wait forever. */
const SIGN_IN_MINUTES = 5;
function withDeadline<T>(promise: Promise<T>): Promise<T> {
  return withTimeout(promise, SIGN_IN_MINUTES * 60_000, () => {
    throw new TaskError(`No sign-in completed within ${SIGN_IN_MINUTES} minutes: run again, or use --device-code.`);
  });
}

/** Opens the sign-in page: $BROWSER if set, else the platform's opener; the URL is always printed too. */
function openBrowser(url: string): Promise<void> {
  say(`Sign in at: ${url}`);
  const browser = process.env.BROWSER?.trim();
  const [command, ...args] = browser
    ? browser.split(/\s+/)
    : process.platform === 'darwin'
      ? ['open']
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""']
        : ['xdg-open'];
  return new Promise((resolve) => {
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: !browser });
    child.on('error', () => {
      say('Could not open a browser: open the URL above yourself.');
      resolve();
    });
    child.on('spawn', () => {
      if (!browser) child.unref();
      resolve();
    });
  });
}

function explain(err: unknown, options?: LoginOptions): string {
  // Variable group and transport errors already speak of the command's flags (cli/messages.json); Entra's are classified here.
  if (!options) return err instanceof Error ? err.message : String(err);
  const described = err instanceof TaskError ? err : describeEntraError(err, { tenantId: options.tenant, clientId: options.clientId });
  const text = described.message;
  const code = (described as { code?: string }).code ?? '';
  if (['65001', '65004'].includes(code) || /consent/i.test(text)) {
    return `${text}\nAn administrator can grant consent at: ${options.authorityHost}/${options.tenant}/adminconsent?client_id=${options.clientId}`;
  }
  if (options.deviceCode && code === '53003')
    return `${text}\nConditional access blocks the device code flow here: run again without --device-code to sign in in a browser.`;
  return text;
}
