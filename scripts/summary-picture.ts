/**
 * Makes images/run-summary.png, the picture of a run summary in README.md and overview.md: runs the packaged task
 * (after `node scripts/build.mjs`) against the emulator as the agent would, for a daily rotation that is due
 * (feed-token with 8 days left, rotateWhenExpiringWithinDays 10, the PAT delivered to a consumer group), takes the
 * summary it uploads, and renders it as the run's Extensions tab shows a section. Run by hand, once:
 *
 *   node scripts/build.mjs && node build/scripts/summary-picture.js [--png images/run-summary.png]
 *
 * Without --png it writes only build/run-summary.html. With --png it also screenshots that page with Chromium
 * (CHROMIUM, default /usr/bin/chromium), then makes it a palette PNG with pngquant if installed. CI never runs this:
 * the PNG is committed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator } from '../emulator/src';
import { runTaskAsAgent } from './lib/agentRunner';

const root = path.resolve(__dirname, '..', '..');
const taskDir = path.join(root, 'build', 'stage', 'tasks', 'PatLifecycleV1');
const DAY = 86_400_000;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pngIndex = args.indexOf('--png');
  const png = pngIndex >= 0 ? path.resolve(args[pngIndex + 1] ?? 'images/run-summary.png') : undefined;

  const emu = await startEmulator();
  try {
    const tenantId = emu.addTenant().id;
    const clientId = emu.addApp({ tenantId, displayName: 'PAT rotation' }).clientId;
    const userId = emu.addUser({ tenantId, name: 'Ada Lovelace', upn: 'ada@contoso.example' }).id;
    const org = 'fabrikam';
    const project = 'Platform';
    emu.addOrg(org, tenantId);
    const refreshToken = emu.issueRefreshToken({ tenantId, clientId, userId });
    emu.addVariableGroup({ org, project, name: 'pat-rotation', variables: { 'PatLifecycle.RefreshToken': { value: refreshToken, isSecret: true } } });
    emu.addVariableGroup({ org, project, name: 'feed-consumers', variables: {} });
    const now = emu.now().getTime();
    emu.seedPats(userId, org, [{ displayName: 'feed-token', scope: 'vso.packaging', validFrom: new Date(now - 22 * DAY), validTo: new Date(now + 8 * DAY) }]);

    const run = await runTaskAsAgent({
      taskDir,
      inputs: {
        operation: 'rotate',
        organization: org,
        tenantId,
        clientId,
        refreshToken,
        authorityHost: emu.url,
        serviceUrl: `${emu.url}/${org}`,
        displayName: 'feed-token',
        scope: 'vso.packaging',
        lifetimeDays: '30',
        rotateWhenExpiringWithinDays: '10',
        variableGroup: 'pat-rotation',
        refreshTokenVariable: 'PatLifecycle.RefreshToken',
        tokenVariableGroup: 'feed-consumers',
        tokenVariable: 'FeedToken',
        verifyNewToken: 'true',
      },
      variables: { 'System.TeamProject': project },
      collectionUri: `${emu.url}/${org}/`,
      jobToken: emu.issueJobToken(org),
      knownSecrets: [refreshToken],
      env: { NODE_EXTRA_CA_CERTS: emu.caCertPath },
    });
    if (run.result?.result !== 'Succeeded' || run.summaries.length !== 1)
      throw new Error(`the rotation did not succeed with one summary:\n${run.log.join('\n')}\n${run.stderr}`);
    const html = page(run.summaryTitles[0], run.summaries[0]);
    const htmlFile = path.join(root, 'build', 'run-summary.html');
    fs.writeFileSync(htmlFile, html, 'utf8');
    console.error(`wrote ${path.relative(process.cwd(), htmlFile)}`);
    if (png) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-picture-'));
      execFileSync(
        process.env.CHROMIUM || '/usr/bin/chromium',
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--hide-scrollbars',
          `--user-data-dir=${profile}`,
          '--window-size=1040,360',
          `--screenshot=${png}`,
          `file://${htmlFile}`,
        ],
        { stdio: 'ignore' },
      );
      fs.rmSync(profile, { recursive: true, force: true });
      quantize(png);
      console.error(`wrote ${path.relative(process.cwd(), png)} (${fs.statSync(png).size} bytes)`);
    }
  } finally {
    await emu.close();
  }
}

/**
 * Turns the screenshot into a 256-colour palette PNG with pngquant (Debian/Ubuntu package `pngquant`) when it is
 * installed: about a third of the bytes in the .vsix, the same picture. Without it the screenshot is kept as it is.
 */
function quantize(png: string): void {
  try {
    execFileSync(process.env.PNGQUANT || 'pngquant', ['--quality=80-95', '--speed', '1', '--strip', '--force', '--output', png, png], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    console.error('pngquant is not installed: the screenshot stays full-colour (apt-get install pngquant for a smaller one)');
  }
}

/** The run's Extensions tab, one section: its title (the attachment's name) and the Markdown the task wrote. */
function page(title: string, markdown: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #f8f8f8; font: 14px/1.5 "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #201f1e; }
.tabs { background: #fff; border-bottom: 1px solid #e1dfdd; padding: 0 24px; display: flex; gap: 24px; }
.tabs span { padding: 12px 0 10px; color: #605e5c; }
.tabs .on { color: #201f1e; font-weight: 600; border-bottom: 2px solid #0078d4; }
.section { background: #fff; margin: 16px 24px; border-radius: 4px; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
.head { padding: 10px 16px; font-weight: 600; border-bottom: 1px solid #edebe9; }
.head::before { content: "\\2304"; display: inline-block; margin-right: 8px; color: #605e5c; }
.body { padding: 4px 16px 12px; }
h3 { font-size: 16px; margin: 8px 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #e1dfdd; padding: 4px 8px; text-align: left; }
th { background: #f3f2f1; }
td.r { text-align: right; }
code { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; background: #f3f2f1; padding: 1px 3px; }
p { margin: 6px 0; }
blockquote { margin: 6px 0; padding: 2px 10px; border-left: 4px solid #c8c6c4; }
</style></head><body>
<div class="tabs"><span>Summary</span><span>Tests</span><span class="on">Extensions</span></div>
<div class="section"><div class="head">${escape(title)}</div><div class="body">${markdownToHtml(markdown)}</div></div>
</body></html>`;
}

function escape(s: string): string {
  return s
    .replace(/&(?![a-z]+;|#\d+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Only what summaryMarkdown writes: ### headings, paragraphs, one table, quotes, `code` and **bold**. */
function markdownToHtml(markdown: string): string {
  const inline = (s: string) =>
    escape(s)
      .replace(/\\\|/g, '|')
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>');
  const cells = (line: string) =>
    line
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('### ')) out.push(`<h3>${inline(line.slice(4))}</h3>`);
    else if (line.startsWith('|') && lines[i + 1]?.startsWith('|---')) {
      const right = cells(lines[i + 1]).map((c) => c.endsWith(':'));
      out.push('<table><tr>', ...cells(line).map((c) => `<th>${inline(c)}</th>`), '</tr>');
      for (i += 2; i < lines.length && lines[i].startsWith('|'); i++)
        out.push('<tr>', ...cells(lines[i]).map((c, j) => `<td${right[j] ? ' class="r"' : ''}>${inline(c)}</td>`), '</tr>');
      out.push('</table>');
      i--;
    } else if (line.startsWith('> ')) out.push(`<blockquote>${inline(line.slice(2))}</blockquote>`);
    else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
