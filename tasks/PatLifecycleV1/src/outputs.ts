/**
 * Everything the task hands to the pipeline, in one place: output variables (secrets registered before they
 * are set) and the Markdown run summary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { loc } from './messages.generated';
import type { OperationResult, OutputSink, SummaryRow } from './operations';
import type { PatToken } from './patsApi';
import { neutralize } from './sanitize';
import { daysLeft } from './time';

export const OUTPUT = {
  token: 'Token',
  authorizationId: 'AuthorizationId',
  displayName: 'DisplayName',
  validTo: 'ValidTo',
  scope: 'Scope',
  tokens: 'Tokens',
  tokensFile: 'TokensFile',
  rotated: 'Rotated',
  refreshToken: 'RefreshToken',
} as const;

/** PAT metadata without the secret: what `Tokens` carries. */
export function metadata(pat: PatToken): Omit<PatToken, 'token'> {
  return {
    authorizationId: pat.authorizationId,
    displayName: pat.displayName,
    scope: pat.scope,
    validFrom: pat.validFrom,
    validTo: pat.validTo,
    targetAccounts: pat.targetAccounts,
  };
}

export class TaskOutputs implements OutputSink {
  /** Set when the new PAT is to be stored (variable group) before its outputs are set. */
  delivered?: (pat: PatToken & { token: string }) => Promise<void>;

  secret(value: string): void {
    tl.setSecret(value);
  }

  token(secret: string): void {
    tl.setSecret(secret);
    tl.setVariable(OUTPUT.token, secret, true, true);
  }

  refreshToken(secret: string): void {
    tl.setSecret(secret);
    tl.setVariable(OUTPUT.refreshToken, secret, true, true);
  }

  pat(pat: PatToken): void {
    tl.setVariable(OUTPUT.authorizationId, pat.authorizationId, false, true);
    tl.setVariable(OUTPUT.displayName, pat.displayName, false, true);
    tl.setVariable(OUTPUT.validTo, pat.validTo, false, true);
    tl.setVariable(OUTPUT.scope, pat.scope, false, true);
  }

  /**
   * The full list goes to a file (TokensFile); the Tokens variable carries as much of it as stays well under
   * what a pipeline variable can hold (later steps receive variables through their environment).
   */
  tokens(pats: readonly PatToken[]): void {
    const all = pats.map(metadata);
    const file = path.join(tempDir(), `pat-lifecycle-tokens-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(all), 'utf8');
    tl.setVariable(OUTPUT.tokensFile, file, false, true);
    let count = all.length;
    let json = JSON.stringify(all);
    while (json.length > MAX_TOKENS_JSON && count > 0) {
      count = Math.floor((count * MAX_TOKENS_JSON) / json.length);
      json = JSON.stringify(all.slice(0, count));
    }
    if (count < all.length) tl.warning(loc('TokensTruncated', count, all.length));
    tl.setVariable(OUTPUT.tokens, json, false, true);
  }

  rotated(value: boolean): void {
    tl.setVariable(OUTPUT.rotated, String(value), false, true);
  }
}

/** Markdown for the run's summary tab. API text is neutralised and table-escaped. */
/** Markdown text: API text neutralised, table pipes and angle brackets escaped. */
function cell(s: string): string {
  return neutralize(s)
    .replace(/\|/g, '\\|')
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

export function summaryMarkdown(title: string, result: OperationResult, now: Date, extra: readonly string[] = []): string {
  const lines = [`### ${cell(title)}`, '', cell(result.message), ''];
  if (result.rows.length > 0) {
    lines.push(loc('SummaryHeader'), '|---|---|---|---|---:|---|');
    for (const { pat, status } of result.rows.slice(0, MAX_ROWS)) lines.push(summaryRow(pat, status, now));
    if (result.rows.length > MAX_ROWS) lines.push('', loc('MoreNotShown', result.rows.length - MAX_ROWS));
    lines.push('');
  }
  for (const issue of result.issues) lines.push(`> ⚠️ ${cell(issue)}`, '');
  lines.push(...extra.map(cell));
  return lines.join('\n');
}

function summaryRow(pat: PatToken, status: string, now: Date): string {
  const days = daysLeft(pat.validTo, now);
  const flag = status === 'expiring' || (status === 'active' && days <= 7) ? `**${status}**` : status;
  return `| ${cell(pat.displayName)} | \`${pat.authorizationId}\` | ${cell(pat.scope)} | ${pat.validTo} | ${days} | ${flag} |`;
}

/** Longest Tokens value, in characters. */
const MAX_TOKENS_JSON = 32_000;
/** Rows in the summary table, and PATs listed one per line in the log (the outputs carry them all). */
export const MAX_ROWS = 500;

function tempDir(): string {
  return tl.getVariable('Agent.TempDirectory') || os.tmpdir();
}

/** The summary of a failed run: what failed (the message says what is still valid), and what was stored. */
export function failureMarkdown(title: string, message: string, extra: readonly string[] = []): string {
  return [`### ${cell(title)}`, '', `> ❌ ${cell(message).replace(/\n/g, '\n> ')}`, '', ...extra.map(cell)].join('\n');
}

/**
 * The section title on the run's Extensions tab is the attachment's name: "PAT lifecycle: rotate feed-token", with
 * the step's own name when it has one, so that several steps can be told apart.
 */
export function summaryTitle(operation: string, target: string | undefined, stepName: string | undefined): string {
  const what = loc('SummaryTitle', [operation, target].filter((x) => x).join(' '));
  // Default step names: YAML's (the task's name), the classic editor's (instanceNameFormat, old and new).
  return stepName &&
    !stepName.startsWith('PatLifecycle') &&
    !stepName.startsWith('PAT lifecycle') &&
    !/^(rotate|list|get|create|update|revoke|signIn) /.test(stepName)
    ? `${what} (${stepName})`
    : what;
}

export function uploadSummary(title: string, markdown: string): void {
  const file = path.join(tempDir(), `pat-lifecycle-summary-${process.pid}-${Date.now()}.md`);
  fs.writeFileSync(file, markdown, 'utf8');
  // Not task.uploadsummary: that names the section after the file. The name must be a valid file name on any
  // agent (no \\ / : * ? " < > | or control characters).
  const name = [...title.replace(/:/g, ' -')]
    .map((c) => (c < ' ' || '\\/*?"<>|'.includes(c) ? '-' : c))
    .join('')
    .slice(0, 200);
  tl.addAttachment('Distributedtask.Core.Summary', name, file);
}

export type { SummaryRow };
