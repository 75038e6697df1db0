/**
 * Runs before task-lib loads (index.ts imports it first). task-lib's start-up reads the agent's proxy and
 * certificate variables and writes each value to the debug log (`Agent.ProxyUrl=...`). A proxy URL can carry a
 * password (`http://user:pw@host`), and Agent.ProxyPassword or Agent.ClientCertPassword can reach the task as plain
 * variables (as secret variables the agent masks them anyway). Register those secrets with the agent first.
 */
import { EOL } from 'node:os';
import { TaskCommand } from 'azure-pipelines-task-lib/taskcommand';
import { proxyUrlPassword, rememberSecret } from './sanitize';

/** The secret parts of the agent's network settings found in the environment (variables as the agent passes them). */
export function agentSettingSecrets(env: NodeJS.ProcessEnv): string[] {
  const found = env.AGENT_PROXYURL ? proxyUrlPassword(env.AGENT_PROXYURL) : [];
  for (const name of ['AGENT_PROXYPASSWORD', 'AGENT_CLIENTCERTPASSWORD']) {
    const value = env[name];
    if (value) found.push(value);
  }
  return found.flatMap((value) => value.split(/\r?\n/)).filter((value) => value.trim() !== '');
}

for (const secret of agentSettingSecrets(process.env)) {
  rememberSecret(secret);
  process.stdout.write(new TaskCommand('task.setsecret', {}, secret).toString() + EOL);
}
