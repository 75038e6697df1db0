/**
 * Every YAML snippet in README.md and overview.md runs as written. Each ```yaml block is parsed; its
 * `PatLifecycle@1` steps (of `steps`, `jobs[].steps`, `stages[].jobs[].steps`, a bare list of steps or a single
 * step) run in order through the packaged task against the emulator, the way the agent runs them: every input the
 * step leaves out gets its task.json default, and `$(...)` macros are expanded from the job's variables, which are
 * the pipeline's own `variables` (name/value entries and the linked groups' variables, read from the emulator at
 * the start of each run) plus the agent's (System.CollectionUri) and earlier steps' outputs (`<name>.<Output>`).
 *
 * The emulator holds what the README's setup creates: the tenant and app the snippet names, a user, the
 * organization, `pat-rotation` with the refresh token and an empty `feed-consumers`. Only where Azure is
 * (authorityHost, serviceUrl) is supplied by the test. The scheduled pipeline runs twice to show that its thresholds
 * fit: the first run rotates feed-token (8 days left) and warns about a PAT nobody rotates (4 days left), not about
 * feed-token; the second does not rotate (a month left) and fails on a PAT nobody rotates with 1 day left.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { startEmulator, type Emulator } from '../../emulator/src';
import { runTaskAsAgent, type AgentRun } from '../../scripts/lib/agentRunner';
import { repoRoot, stagedTaskDir, taskJsonPath } from '../support/paths';
import { explain } from '../support/world';

const DAY = 86_400_000;
const ORG = 'fabrikam';
const PROJECT = 'Platform';
/** What the agent sets, as Azure DevOps would: the organization input's default expands to this. */
const COLLECTION_URI = `https://dev.azure.com/${ORG}/`;

interface Step {
  task: string;
  name?: string;
  displayName?: string;
  condition?: string;
  inputs?: Record<string, unknown>;
}

interface Snippet {
  file: string;
  index: number;
  doc: unknown;
}

/** The ```yaml blocks of a Markdown file. */
function yamlBlocks(file: string): Snippet[] {
  const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
  return [...text.matchAll(/^```ya?ml[^\n]*\n([\s\S]*?)^```/gm)].map((m, index) => ({ file, index, doc: parse(m[1]) as unknown }));
}

/** Steps in pipeline order, whatever the snippet's shape. */
function stepsOf(doc: unknown): Step[] {
  if (Array.isArray(doc)) return doc.flatMap((item) => stepsOf(item));
  if (!doc || typeof doc !== 'object') return [];
  const node = doc as Record<string, unknown>;
  if (typeof node.task === 'string') return [node as unknown as Step];
  return ['stages', 'jobs', 'steps'].flatMap((key) => (Array.isArray(node[key]) ? stepsOf(node[key]) : []));
}

/** A YAML scalar as the agent sees it: text. */
function scalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  assert.fail(`not a scalar: ${JSON.stringify(value)}`);
}

/** Linked groups and name/value variables, in either of YAML's forms. */
function pipelineVariables(doc: unknown): { groups: string[]; values: Record<string, string> } {
  const groups: string[] = [];
  const values: Record<string, string> = {};
  const variables = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).variables : undefined;
  if (Array.isArray(variables)) {
    for (const v of variables as Array<Record<string, unknown>>) {
      if (typeof v.group === 'string') groups.push(v.group);
      else if (typeof v.name === 'string') values[v.name] = scalar(v.value);
    }
  } else if (variables && typeof variables === 'object') for (const [k, v] of Object.entries(variables)) values[k] = scalar(v);
  return { groups, values };
}

const task = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as { inputs: Array<{ name: string; defaultValue?: string }> };

/** Macro expansion as the agent does it: names are case-insensitive; an unknown macro stays as written. */
function expand(value: string, variables: Record<string, string>): string {
  const byLower = new Map(Object.entries(variables).map(([k, v]) => [k.toLowerCase(), v]));
  return value.replace(/\$\(([^)]+)\)/g, (whole, name: string) => byLower.get(name.trim().toLowerCase()) ?? whole);
}

interface Fixture {
  emu: Emulator;
  userId: string;
  jobToken: string;
}

/** What the README's setup makes, for the tenant and app the snippet names. */
async function setUp(values: Record<string, string>, inputs: Array<Record<string, unknown>>): Promise<Fixture> {
  const emu = await startEmulator();
  const tenantValue = expand(scalar(inputs.find((i) => i.tenantId)?.tenantId), values);
  const clientValue = expand(scalar(inputs.find((i) => i.clientId)?.clientId), values);
  assert.ok(tenantValue && clientValue, 'the snippet names a tenant and an app');
  const tenantId = emu.addTenant(tenantValue).id;
  emu.addApp({ tenantId, clientId: clientValue, displayName: 'PAT rotation' });
  const userId = emu.addUser({ tenantId, name: 'Ada Lovelace', upn: 'ada@contoso.example' }).id;
  emu.addOrg(ORG, tenantId);
  const refreshToken = emu.issueRefreshToken({ tenantId, clientId: clientValue, userId });
  emu.addVariableGroup({
    org: ORG,
    project: PROJECT,
    name: 'pat-rotation',
    variables: { 'PatLifecycle.RefreshToken': { value: refreshToken, isSecret: true } },
  });
  emu.addVariableGroup({ org: ORG, project: PROJECT, name: 'feed-consumers', variables: {} });
  return { emu, userId, jobToken: emu.issueJobToken(ORG) };
}

/** One run of the snippet's pipeline: the job's variables are read at its start, then each step runs in order. */
async function runPipeline(f: Fixture, snippet: Snippet): Promise<Array<{ step: Step; run: AgentRun }>> {
  const { groups, values } = pipelineVariables(snippet.doc);
  const variables: Record<string, string> = { 'System.CollectionUri': COLLECTION_URI, 'System.TeamProject': PROJECT, ...values };
  const secrets: string[] = [];
  for (const name of groups) {
    const group = f.emu.getVariableGroup(ORG, PROJECT, name);
    assert.ok(group, `${snippet.file}: the pipeline links variable group '${name}', which the README's setup does not create`);
    for (const [key, v] of Object.entries(group.variables)) {
      variables[key] = v.value ?? '';
      if (v.isSecret && v.value) secrets.push(v.value);
    }
  }
  const results: Array<{ step: Step; run: AgentRun }> = [];
  for (const step of stepsOf(snippet.doc).filter((s) => s.task === 'PatLifecycle@1')) {
    assert.equal(step.condition, undefined, `${snippet.file}: a step condition is not simulated here`);
    const given = step.inputs ?? {};
    for (const key of ['authorityHost', 'serviceUrl']) assert.equal(given[key], undefined, `${snippet.file}: ${key} is the test's to set`);
    const inputs: Record<string, string> = {};
    for (const input of task.inputs) {
      const raw = given[input.name] ?? input.defaultValue;
      if (raw !== undefined && raw !== '') inputs[input.name] = expand(scalar(raw), variables);
    }
    for (const key of Object.keys(given))
      assert.ok(
        task.inputs.some((i) => i.name === key),
        `${snippet.file}: unknown input '${key}'`,
      );
    const run = await runTaskAsAgent({
      taskDir: stagedTaskDir,
      inputs: { ...inputs, authorityHost: f.emu.url, serviceUrl: `${f.emu.url}/${ORG}` },
      variables: { 'System.TeamProject': PROJECT, 'Task.DisplayName': step.displayName ?? '' },
      collectionUri: `${f.emu.url}/${ORG}/`,
      jobToken: f.jobToken,
      knownSecrets: [...secrets, f.jobToken],
      env: { NODE_EXTRA_CA_CERTS: f.emu.caCertPath },
      debug: true,
    });
    const leaks = run.leaks(Object.fromEntries(f.emu.issuedSecrets().map((s, i) => [`${s.kind} #${i}`, s.value])));
    assert.deepEqual(leaks, [], `${snippet.file}: secrets leaked\n${explain(run)}`);
    assert.equal(run.exitCode, 0, explain(run));
    assert.equal(run.completions, 1, explain(run));
    if (step.name) for (const [out, v] of Object.entries(run.variables)) variables[`${step.name}.${out}`] = v.value;
    results.push({ step, run });
  }
  return results;
}

const snippets = ['README.md', 'overview.md'].flatMap(yamlBlocks);

/** A pipeline that rotates and monitors: run as a schedule would, over several days. */
function isScheduledRotation(snippet: Snippet): boolean {
  const ops = stepsOf(snippet.doc).map((s) => s.inputs?.operation);
  return ops.includes('rotate') && ops.includes('list');
}

describe('end to end: every YAML snippet of README.md and overview.md runs as written', function () {
  this.timeout(180_000);

  it('finds the snippets, each with PatLifecycle@1 steps; both files show the scheduled rotation', () => {
    for (const file of ['README.md', 'overview.md'])
      assert.ok(
        snippets.some((s) => s.file === file && isScheduledRotation(s)),
        `${file} has no scheduled rotation`,
      );
    for (const s of snippets)
      assert.ok(
        stepsOf(s.doc).some((step) => step.task === 'PatLifecycle@1'),
        `${s.file} block ${s.index + 1} has no PatLifecycle@1 step`,
      );
  });

  for (const snippet of snippets.filter((s) => !isScheduledRotation(s))) {
    it(`${snippet.file}, yaml block ${snippet.index + 1}: every PatLifecycle@1 step runs, with its inputs accepted`, async () => {
      const steps = stepsOf(snippet.doc).filter((s) => s.task === 'PatLifecycle@1');
      const f = await setUp(
        pipelineVariables(snippet.doc).values,
        steps.map((s) => s.inputs ?? {}),
      );
      try {
        for (const { run } of await runPipeline(f, snippet)) assert.notEqual(run.result?.result, 'Failed', explain(run));
      } finally {
        await f.emu.close();
      }
    });
  }

  for (const snippet of snippets.filter(isScheduledRotation)) {
    it(`${snippet.file}, yaml block ${snippet.index + 1}: rotates when due, keeps the refresh token, and its monitor names only the PATs the rotation will not replace`, async () => {
      const steps = stepsOf(snippet.doc).filter((s) => s.task === 'PatLifecycle@1');
      const rotation = steps.find((s) => s.inputs?.operation === 'rotate');
      const monitor = steps.find((s) => s.inputs?.operation === 'list');
      assert.ok(rotation && monitor);
      const { values } = pipelineVariables(snippet.doc);
      const f = await setUp(
        values,
        steps.map((s) => s.inputs ?? {}),
      );
      try {
        const rotated = scalar(rotation.inputs?.displayName);
        const now = f.emu.now().getTime();
        f.emu.seedPats(f.userId, ORG, [
          { displayName: rotated, scope: 'vso.packaging', validFrom: new Date(now - 22 * DAY), validTo: new Date(now + 8 * DAY) },
          { displayName: 'legacy-token', scope: 'vso.code', validFrom: new Date(now - 26 * DAY), validTo: new Date(now + 4 * DAY) },
        ]);
        const outcome = (runs: Array<{ step: Step; run: AgentRun }>, step: Step) => runs.find((r) => r.step === step)!.run;
        const consumers = () => f.emu.getVariableGroup(ORG, PROJECT, 'feed-consumers')!.variables;
        const refreshTokenInGroup = () => f.emu.getVariableGroup(ORG, PROJECT, 'pat-rotation')!.variables['PatLifecycle.RefreshToken'].value;

        // Day 0: feed-token has 8 days left, within the rotation's window: replaced and delivered.
        const before = refreshTokenInGroup();
        let runs = await runPipeline(f, snippet);
        let rotate = outcome(runs, rotation);
        assert.equal(rotate.result?.result, 'Succeeded', explain(rotate));
        assert.match(rotate.result?.message ?? '', new RegExp(`Rotated PAT '${rotated}'`), explain(rotate));
        const tokenVariable = scalar(rotation.inputs?.tokenVariable);
        const delivered = consumers()[tokenVariable]?.value;
        assert.ok(delivered, `feed-consumers holds ${tokenVariable}`);
        assert.equal(f.emu.checkPat(delivered, ORG), 'active');
        assert.notEqual(refreshTokenInGroup(), before, 'the new refresh token was stored');
        let check = outcome(runs, monitor);
        assert.equal(check.result?.result, 'SucceededWithIssues', explain(check));
        assert.match(check.result?.message ?? '', /legacy-token/);
        assert.doesNotMatch(check.result?.message ?? '', new RegExp(rotated), 'the rotated PAT is not warned about');

        // The next run: nothing to rotate (feed-token has a month left), the group keeps its PAT; a PAT nobody
        // rotates now has 1 day left: the monitor fails naming it, and still not feed-token.
        const now2 = f.emu.now().getTime();
        f.emu.seedPats(f.userId, ORG, [
          { displayName: 'forgotten-token', scope: 'vso.build', validFrom: new Date(now2 - 29 * DAY), validTo: new Date(now2 + DAY + 3_600_000) },
        ]);
        runs = await runPipeline(f, snippet);
        rotate = outcome(runs, rotation);
        assert.equal(rotate.result?.result, 'Succeeded', explain(rotate));
        assert.equal(rotate.variables.Rotated?.value, 'false', explain(rotate));
        assert.equal(consumers()[tokenVariable]?.value, delivered);
        check = outcome(runs, monitor);
        assert.equal(check.result?.result, 'Failed', explain(check));
        assert.match(check.result?.message ?? '', /expire within 2 days: .*forgotten-token/s, explain(check));
        assert.doesNotMatch(check.result?.message ?? '', new RegExp(rotated));
        assert.match(check.summaries[0] ?? '', /forgotten-token/, 'the failed monitor still writes its summary');
      } finally {
        await f.emu.close();
      }
    });
  }
});
