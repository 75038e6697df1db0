// Replays Microsoft's recorded REST examples (test/data/specs, see its README) against the emulator: for each example
// the emulator is seeded so the request makes sense, the recorded request is sent (method, path with the emulator's
// organization, query with the recorded api-version, body with ids substituted), and the answer must have the
// recorded status and the recorded body's shape: the same keys at every level, the same JSON types, and the same
// value formats (GUIDs, the service's dates, non-empty or empty strings). Where a value can be reproduced (dates
// rounded the way the service rounds them, names, scopes) it must be equal too.
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emulator, startEmulator } from '../../emulator/src/index';
import { repoRoot } from '../support/paths';
import { bearer, call, HttpResult, makeWorld, World } from './helpers';

const DATA = path.join(repoRoot, 'test', 'data', 'specs');

/**
 * The service variants to replay under. Every profile must answer the recorded requests as recorded, except where
 * a profile plays a documented alternative to the recording (see `skipUnder`). Add profile names here as the
 * emulator gets them (emu.useProfile).
 */
const PROFILES_TO_REPLAY: readonly string[] = ['server2022', 'alternative', 'mixed'];

/** The emulator's default profile: replaying under it needs no switch, so the loop also runs before useProfile exists. */
const DEFAULT_PROFILE = 'server2022';

function useProfile(emu: Emulator, name: string): void {
  const api = emu as unknown as { useProfile?: (profile: string) => void; variant?: Record<string, string> };
  if (typeof api.useProfile === 'function') api.useProfile(name);
  else if (name !== DEFAULT_PROFILE) throw new Error(`This emulator has no useProfile(), so it cannot play profile '${name}'.`);
}

/** The current variant's value of a switch, or undefined on an emulator without variants. */
function variantSwitch(emu: Emulator, name: string): string | undefined {
  return (emu as unknown as { variant?: Record<string, string> }).variant?.[name];
}

interface RecordedExample {
  'x-ms-vss-request-method': string;
  'x-ms-vss-request-url': string;
  parameters: { body?: unknown; accept?: string; [name: string]: unknown };
  responses: Record<string, { headers: Record<string, string>; body: unknown }>;
}

function loadExample(relative: string): RecordedExample {
  return JSON.parse(fs.readFileSync(path.join(DATA, relative), 'utf8').replace(/^\uFEFF/, '')) as RecordedExample;
}

// ---- shape comparison ----

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The service's date format: seconds, then up to seven fraction digits with trailing zeros removed, then Z. */
const SERVICE_DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,6}[1-9])?Z$/;

type Format = 'guid' | 'serviceDate' | 'url' | 'empty' | 'nonEmpty';

function formatOf(value: string): Format {
  if (GUID_RE.test(value)) return 'guid';
  if (SERVICE_DATE_RE.test(value)) return 'serviceDate';
  if (/^https:\/\//.test(value)) return 'url';
  return value === '' ? 'empty' : 'nonEmpty';
}

/**
 * Every date in the recorded examples is a multiple of 1/300 s (.1033333, .72, .0166667, .08): the service stores
 * SQL datetime values and prints them with up to seven digits. A printed fraction must round-trip to such a tick.
 */
function isServiceDate(value: string): boolean {
  if (!SERVICE_DATE_RE.test(value)) return false;
  const m = /\.(\d+)Z$/.exec(value);
  if (!m) return true;
  const ticks = Number(`0.${m[1]}`) * 300;
  return Math.abs(ticks - Math.round(ticks)) < 1e-4;
}

function hasFormat(value: string, format: Format): boolean {
  switch (format) {
    case 'guid':
      return GUID_RE.test(value);
    case 'serviceDate':
      return isServiceDate(value);
    case 'url':
      return /^https?:\/\/\S+$/.test(value);
    case 'empty':
      return value === '';
    case 'nonEmpty':
      return value !== '';
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return jsonType(v) === 'object';
}

/** The key an array item is paired by (items of a list are seeded with the recorded names). */
function itemKey(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  const k = v.displayName ?? v.name;
  return typeof k === 'string' ? k : undefined;
}

interface ShapeOptions {
  /** Paths (a[] for array items) of keys the answer may have beyond the recording: properties a newer spec declares. */
  allowedExtra: ReadonlySet<string>;
}

/** Differences between the recorded body and the answer, one line each, starting with the path (a[] = items of a). */
function shapeDifferences(expected: unknown, actual: unknown, options: ShapeOptions, at = ''): string[] {
  const here = at === '' ? '(body)' : at;
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) return [`${here}: type ${ta}, recorded ${te}`];
  if (typeof expected === 'string') {
    const format = formatOf(expected);
    return hasFormat(actual as string, format) ? [] : [`${here}: ${JSON.stringify(actual)} is not in the recorded format (${format})`];
  }
  if (Array.isArray(expected)) {
    const items = actual as unknown[];
    const out: string[] = [];
    const keyed = expected.length > 0 && expected.every((e) => itemKey(e) !== undefined);
    if (keyed) {
      const recorded = expected.map(itemKey);
      const answered = items.map(itemKey);
      if ([...recorded].sort().join('\n') !== [...answered].sort().join('\n')) {
        return [`${here}: items ${JSON.stringify(answered)}, recorded ${JSON.stringify(recorded)}`];
      }
      if (recorded.join('\n') !== answered.join('\n')) out.push(`${at}[] (order): ${JSON.stringify(answered)}, recorded ${JSON.stringify(recorded)}`);
      for (const e of expected) out.push(...shapeDifferences(e, items[answered.indexOf(itemKey(e))], options, `${at}[]`));
    } else if (expected.length > 0) {
      if (items.length === 0) out.push(`${here}: empty, recorded ${expected.length} item(s)`);
      for (const item of items) out.push(...shapeDifferences(expected[0], item, options, `${at}[]`));
    }
    return [...new Set(out)];
  }
  if (isRecord(expected) && isRecord(actual)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(expected)) {
      const p = at === '' ? k : `${at}.${k}`;
      if (!(k in actual)) out.push(`${p}: missing`);
      else out.push(...shapeDifferences(v, actual[k], options, p));
    }
    for (const k of Object.keys(actual)) {
      const p = at === '' ? k : `${at}.${k}`;
      if (!(k in expected) && !options.allowedExtra.has(p)) out.push(`${p}: not in the recording`);
    }
    return out;
  }
  return [];
}

// ---- the examples ----

interface Seeded {
  /** Path of the request after substitution (the recorded path with the emulator's organization, project and ids). */
  path: string;
  /** The recorded query with ids substituted. */
  query: string;
  body?: unknown;
  token: string;
  /** Checks after the shape: values that must be equal, state the request must have changed. */
  verify(res: HttpResult): void;
}

interface ReplayCase {
  file: string;
  /** Seeds the emulator and returns the request to send. */
  seed(ctx: Context): Seeded;
  allowedExtra?: readonly string[];
  /**
   * Differences this emulator is known to have from the recording, by path, with the reason. Each must still occur
   * (a fixed one fails the test until it is taken off this list). Every entry is reported in the lead's issue.
   */
  knownDifferences?: Readonly<Record<string, string>>;
  /** A reason to skip under the current variant: the profile plays a documented alternative to the recording. */
  skipUnder?(emu: Emulator): string | undefined;
  /** The whole replay differs from the recording for a reported reason: skipped with this reason. */
  skip?: string;
}

interface Context {
  emu: Emulator;
  w: World;
  example: RecordedExample;
}

/** 2020-11-02T22:56:52.1033333Z: the creation time in CreatePat.json (a 1/300 s tick, so it prints the same). */
const RECORDED_CREATE_MS = Date.UTC(2020, 10, 2, 22, 56, 52) + 310 / 3;
/** Variable group replays run at a 1/300 s tick whose millisecond form ends in 0 (.520). */
const VG_CLOCK = '2026-05-01T10:00:00.520Z';

function recordedUrl(example: RecordedExample): URL {
  return new URL(example['x-ms-vss-request-url']);
}

/** The recorded path with the organization (first segment) and, for variable groups, project and id replaced. */
function substitutePath(example: RecordedExample, org: string, project?: string, groupId?: number): string {
  const segments = recordedUrl(example).pathname.split('/');
  segments[1] = encodeURIComponent(org);
  if (project !== undefined) segments[2] = encodeURIComponent(project);
  if (groupId !== undefined) segments[segments.length - 1] = String(groupId);
  return segments.join('/');
}

/** The recorded query with authorizationId replaced. */
function substituteQuery(example: RecordedExample, authorizationId?: string): string {
  const q = new URLSearchParams(recordedUrl(example).search);
  if (authorizationId !== undefined && q.has('authorizationId')) q.set('authorizationId', authorizationId);
  return q.toString();
}

interface PatJson {
  displayName: string;
  validTo: string;
  validFrom: string;
  scope: string;
  targetAccounts: string[] | null;
  authorizationId: string;
  token: string | null;
}

function recordedPat(example: RecordedExample): PatJson {
  return (example.responses['200'].body as { patToken: PatJson }).patToken;
}

/** The values a seeded PAT reproduces exactly: everything but the ids (and the secret). */
function reproducible(p: PatJson): Record<string, unknown> {
  return { displayName: p.displayName, validTo: p.validTo, validFrom: p.validFrom, scope: p.scope, allOrgs: p.targetAccounts === null };
}

const VG_EXTRA = [
  // Declared by VariableGroup / IdentityRef in distributedTask 7.1 (taskAgent.json); the 2017 recordings predate them.
  'isShared',
  'variableGroupProjectReferences',
  'providerData',
  ...['createdBy', 'modifiedBy'].flatMap((who) => ['displayName', 'uniqueName', 'url', 'imageUrl'].map((k) => `${who}.${k}`)),
  'value[].isShared',
  'value[].variableGroupProjectReferences',
  'value[].providerData',
];

function addGroup(emu: Emulator, org: string, project: string, g: { name: string; description: string; variables: Record<string, unknown> }): number {
  const variables: Record<string, string | { value: string; isSecret: boolean }> = {};
  for (const [name, v] of Object.entries(g.variables)) {
    const recorded = v as { value: string | null; isSecret?: boolean };
    variables[name] = recorded.isSecret ? { value: `secret-of-${name}`, isSecret: true } : (recorded.value ?? '');
  }
  return emu.addVariableGroup({ org, project, name: g.name, description: g.description, variables }).id;
}

interface GroupJson {
  name: string;
  description: string;
  variables: Record<string, { value: string | null; isSecret?: boolean }>;
}

interface EndpointJson {
  id: string;
  name: string;
  type: string;
  url: string;
  data: Record<string, string>;
  authorization: { scheme: string; parameters: Record<string, string | null> };
}

/** The recorded endpoint path with the organization, project (second segment, when given) and endpoint id replaced. */
function substituteEndpointPath(example: RecordedExample, org: string, project?: string, id?: string): string {
  const segments = recordedUrl(example).pathname.split('/');
  segments[1] = encodeURIComponent(org);
  if (project !== undefined) segments[2] = encodeURIComponent(project);
  if (id !== undefined) segments[segments.length - 1] = id;
  return segments.join('/');
}

const CASES: ReplayCase[] = [
  {
    file: 'tokens/7.2/httpExamples/Pats/CreatePat.json',
    seed({ emu, w, example }) {
      emu.setNow(RECORDED_CREATE_MS);
      const body = example.parameters.body as Record<string, unknown>;
      return {
        path: substitutePath(example, w.org),
        query: substituteQuery(example),
        body,
        token: w.accessToken,
        verify(res) {
          const got = res.json<{ patToken: PatJson }>().patToken;
          assert.deepStrictEqual(reproducible(got), reproducible(recordedPat(example)), 'validTo rounded to 1/300 s, validFrom = the recorded time');
          assert.deepStrictEqual(got.targetAccounts, [emu.orgAccountId(w.org)]);
          const stored = emu.findPat(got.authorizationId);
          assert.ok(stored, 'the PAT was stored');
          assert.strictEqual(stored.token, got.token, 'the answer carries the secret of the stored PAT');
        },
      };
    },
  },
  {
    file: 'tokens/7.2/httpExamples/Pats/GetPat.json',
    seed({ emu, w, example }) {
      emu.setNow(RECORDED_CREATE_MS);
      const p = recordedPat(example);
      const [pat] = emu.seedPats(w.userId, w.org, [{ displayName: p.displayName, scope: p.scope, validFrom: p.validFrom, validTo: p.validTo }]);
      return {
        path: substitutePath(example, w.org),
        query: substituteQuery(example, pat.authorizationId),
        token: w.accessToken,
        verify(res) {
          const got = res.json<{ patToken: PatJson }>().patToken;
          assert.strictEqual(got.authorizationId, pat.authorizationId);
          assert.deepStrictEqual(reproducible(got), reproducible(p));
        },
      };
    },
  },
  {
    file: 'tokens/7.2/httpExamples/Pats/ListPats.json',
    knownDifferences: {
      'patTokens[] (order)':
        'the recorded order (all_access, work, new, analytics) is neither displayName ascending nor newest first, the two orders the emulator plays (FIDELITY.md, listOrder)',
    },
    seed({ emu, w, example }) {
      emu.setNow(RECORDED_CREATE_MS);
      const recorded = (example.responses['200'].body as { patTokens: PatJson[] }).patTokens;
      emu.seedPats(
        w.userId,
        w.org,
        recorded.map((p) => ({ displayName: p.displayName, scope: p.scope, validFrom: p.validFrom, validTo: p.validTo, allOrgs: p.targetAccounts === null })),
      );
      return {
        path: substitutePath(example, w.org),
        query: substituteQuery(example),
        token: w.accessToken,
        verify(res) {
          const got = res.json<{ patTokens: PatJson[] }>().patTokens;
          const byName = (list: PatJson[]): Record<string, unknown> => Object.fromEntries(list.map((p) => [p.displayName, reproducible(p)]));
          assert.deepStrictEqual(byName(got), byName(recorded));
        },
      };
    },
  },
  {
    file: 'tokens/7.2/httpExamples/Pats/UpdatePat.json',
    seed({ emu, w, example }) {
      emu.setNow(RECORDED_CREATE_MS);
      // The PAT the recording updates: analytics_token of GetPat.json/ListPats.json (same validFrom in the answer).
      const before = recordedPat(loadExample('tokens/7.2/httpExamples/Pats/GetPat.json'));
      const [pat] = emu.seedPats(w.userId, w.org, [
        { displayName: before.displayName, scope: before.scope, validFrom: before.validFrom, validTo: before.validTo },
      ]);
      const body = { ...(example.parameters.body as Record<string, unknown>), authorizationId: pat.authorizationId };
      return {
        path: substitutePath(example, w.org),
        query: substituteQuery(example),
        body,
        token: w.accessToken,
        verify(res) {
          const got = res.json<{ patToken: PatJson }>().patToken;
          assert.strictEqual(got.authorizationId, pat.authorizationId);
          assert.deepStrictEqual(reproducible(got), reproducible(recordedPat(example)));
          const stored = emu.findPat(pat.authorizationId)!;
          assert.strictEqual(stored.allOrgs, true, 'allOrgs: true made the PAT global');
          assert.strictEqual(stored.displayName, 'updated_token');
        },
      };
    },
  },
  {
    file: 'tokens/7.2/httpExamples/Pats/RevokePat.json',
    seed({ emu, w, example }) {
      emu.setNow(RECORDED_CREATE_MS);
      const p = recordedPat(loadExample('tokens/7.2/httpExamples/Pats/GetPat.json'));
      const [pat] = emu.seedPats(w.userId, w.org, [{ displayName: p.displayName, scope: p.scope, validFrom: p.validFrom, validTo: p.validTo }]);
      return {
        path: substitutePath(example, w.org),
        query: substituteQuery(example, pat.authorizationId),
        token: w.accessToken,
        verify() {
          assert.strictEqual(emu.findPat(pat.authorizationId)?.revoked, true, 'the PAT is revoked');
          assert.strictEqual(emu.checkPat(pat.token, w.org), 'revoked');
        },
      };
    },
  },
  {
    file: 'distributedTask/7.1/httpExamples/variablegroups/GET_VariableGroup.json',
    allowedExtra: VG_EXTRA,
    seed: seedGetGroup,
  },
  {
    file: 'distributedTask/7.1/httpExamples/variablegroups/GET_VariableGroupsByGroupName.json',
    allowedExtra: VG_EXTRA,
    seed({ emu, w, example }) {
      emu.setNow(VG_CLOCK);
      const project = String(example.parameters.project);
      const recorded = (example.responses['200'].body as { value: Array<GroupJson & { id: number }> }).value;
      for (const g of [...recorded].sort((a, b) => a.id - b.id)) addGroup(emu, w.org, project, g);
      return {
        path: substitutePath(example, w.org, project),
        query: substituteQuery(example),
        token: emu.issueJobToken(w.org),
        verify(res) {
          const got = res.json<{ count: number; value: GroupJson[] }>();
          assert.strictEqual(got.count, recorded.length);
        },
      };
    },
  },
  {
    file: 'distributedTask/7.1/httpExamples/variablegroups/PUT_UpdateVariableGroup.json',
    allowedExtra: VG_EXTRA,
    skipUnder(emu) {
      return variantSwitch(emu, 'variableGroupProjectPut') === 'refused'
        ? 'this profile refuses the project-level PUT (variableGroupProjectPut: refused), a documented alternative to the recording'
        : undefined;
    },
    seed({ emu, w, example }) {
      emu.setNow(VG_CLOCK);
      const project = String(example.parameters.project);
      const body = example.parameters.body as GroupJson;
      // The group before the update: same name, other values, so that the PUT visibly changes it.
      const id = emu.addVariableGroup({
        org: w.org,
        project,
        name: body.name,
        description: 'before the update',
        variables: { key1: 'old value', key2: { value: 'kept-secret', isSecret: true }, dropped: 'gone after the PUT' },
      }).id;
      return {
        path: substitutePath(example, w.org, project, id),
        query: substituteQuery(example),
        body,
        token: emu.issueJobToken(w.org),
        verify() {
          const after = emu.getVariableGroup(w.org, project, id)!;
          assert.strictEqual(after.description, body.description);
          assert.deepStrictEqual(after.variables, {
            key1: { value: 'value1', isSecret: false },
            key2: { value: 'kept-secret', isSecret: true },
          });
        },
      };
    },
  },
  // ---- service endpoints (serviceEndpoint 7.1 examples; the recordings name api-version in `parameters`) ----
  {
    file: 'serviceEndpoint/7.1/httpExamples/GetServiceEndpointDetails.json',
    seed({ emu, w, example }) {
      const rec = example.responses['200'].body as EndpointJson;
      const project = recordedUrl(example).pathname.split('/')[2];
      const { id } = emu.addServiceEndpoint({
        org: w.org,
        project,
        name: rec.name,
        type: rec.type,
        url: rec.url,
        scheme: rec.authorization.scheme,
        parameters: { username: 'myusername', password: 'the-stored-password' },
      });
      return {
        path: substituteEndpointPath(example, w.org, project, id),
        query: `api-version=${String(example.parameters['api-version'])}`,
        token: emu.issueJobToken(w.org),
        verify(res) {
          const got = res.json<EndpointJson>();
          assert.strictEqual(got.id, id);
          assert.deepStrictEqual(got.authorization.parameters, { username: 'myusername', password: null }, 'the secret comes back as null');
          assert.ok(!res.text.includes('the-stored-password'));
        },
      };
    },
  },
  {
    file: 'serviceEndpoint/7.1/httpExamples/GetServiceEndpointsByName.json',
    seed({ emu, w, example }) {
      const rec = (example.responses['200'].body as { value: EndpointJson[] }).value[0];
      const project = 'TestProject';
      emu.addServiceEndpoint({
        org: w.org,
        project,
        name: rec.name,
        type: rec.type,
        url: rec.url,
        scheme: 'UsernamePassword',
        parameters: { username: 'myusername', password: 'pw-1' },
      });
      emu.addServiceEndpoint({
        org: w.org,
        project,
        name: 'NotAsked',
        type: 'generic',
        scheme: 'UsernamePassword',
        parameters: { username: 'u', password: 'pw-2' },
      });
      const q = new URLSearchParams(recordedUrl(example).search);
      q.set('api-version', String(example.parameters['api-version']));
      return {
        path: substituteEndpointPath(example, w.org, emu.projectId(w.org, project)),
        query: q.toString(),
        token: emu.issueJobToken(w.org),
        verify(res) {
          const got = res.json<{ count: number; value: EndpointJson[] }>();
          assert.deepStrictEqual(
            got.value.map((e) => [e.name, e.authorization.parameters]),
            [[rec.name, { username: 'myusername' }]],
            'only the named endpoint; the secret left out as recorded',
          );
        },
      };
    },
  },
  {
    file: 'serviceEndpoint/7.1/httpExamples/UpdateServiceEndpoint.json',
    seed({ emu, w, example }) {
      const body = example.parameters.body as EndpointJson & { serviceEndpointProjectReferences: Array<{ projectReference: { id: string; name: string } }> };
      const project = body.serviceEndpointProjectReferences[0].projectReference.name;
      const { id } = emu.addServiceEndpoint({
        org: w.org,
        project,
        name: 'MyNewServiceEndpoint',
        type: body.type,
        url: body.url,
        scheme: 'UsernamePassword',
        parameters: { username: 'myusername', password: 'old-password' },
      });
      const projectId = emu.projectId(w.org, project);
      const sent = {
        ...body,
        id,
        serviceEndpointProjectReferences: body.serviceEndpointProjectReferences.map((r) => ({ ...r, projectReference: { id: projectId, name: project } })),
      };
      return {
        path: substituteEndpointPath(example, w.org, undefined, id),
        query: `api-version=${String(example.parameters['api-version'])}`,
        body: sent,
        token: emu.issueJobToken(w.org),
        verify(res) {
          assert.deepStrictEqual(res.json<EndpointJson>().authorization.parameters, { username: 'myupdatedusername', password: null });
          const stored = emu.getServiceEndpoint(w.org, id)!;
          assert.strictEqual(stored.name, 'UpdatedServiceEndpoint');
          assert.deepStrictEqual(stored.parameters, { username: 'myupdatedusername', password: 'myupdatedpassword' });
        },
      };
    },
  },
  {
    file: 'serviceEndpoint/7.1/httpExamples/PUT__UpdateServiceEndpoint.json',
    allowedExtra: ['createdBy._links', 'createdBy.descriptor', 'description', 'isShared', 'owner', 'serviceEndpointProjectReferences'],
    seed({ emu, w, example }) {
      const body = example.parameters.body as EndpointJson;
      const project = recordedUrl(example).pathname.split('/')[2];
      const { id } = emu.addServiceEndpoint({
        org: w.org,
        project,
        name: 'TestEndpoint',
        type: body.type,
        url: 'https://management.core.windows.net/',
        scheme: 'UsernamePassword',
        parameters: { Username: 'old-user', Password: 'old-password' },
        data: body.data,
      });
      return {
        path: substituteEndpointPath(example, w.org, project, id),
        query: '',
        body: { ...body, id },
        token: emu.issueJobToken(w.org),
        verify(res) {
          assert.deepStrictEqual(res.json<EndpointJson>().authorization.parameters, { Username: 'username', Password: null });
          const stored = emu.getServiceEndpoint(w.org, id)!;
          assert.deepStrictEqual(stored.parameters, { Username: 'username', Password: 'password' }, 'the capitalised Password is the confidential one');
          assert.strictEqual(stored.url, 'https://testAcount.core.endpoint.net/');
        },
      };
    },
  },
];

function seedGetGroup({ emu, w, example }: Context): Seeded {
  emu.setNow(VG_CLOCK);
  const project = String(example.parameters.project);
  const recorded = example.responses['200'].body as GroupJson;
  const id = addGroup(emu, w.org, project, recorded);
  return {
    path: substitutePath(example, w.org, project, id),
    query: substituteQuery(example),
    token: emu.issueJobToken(w.org),
    verify(res) {
      const got = res.json<GroupJson>();
      assert.strictEqual(got.name, recorded.name);
      assert.deepStrictEqual(got.variables, recorded.variables, 'secret values come back as null');
    },
  };
}

/** The recorded Accept header, or the same header with another api-version. */
function acceptHeader(example: RecordedExample, apiVersion?: string): Record<string, string> {
  const accept = example.parameters.accept;
  if (typeof accept !== 'string') return {};
  return { accept: apiVersion === undefined ? accept : accept.replace(/api-version=[^;,\s]+/, `api-version=${apiVersion}`) };
}

function recordedStatus(example: RecordedExample): number {
  const statuses = Object.keys(example.responses);
  assert.strictEqual(statuses.length, 1, 'one recorded answer');
  return Number(statuses[0]);
}

describe('emulator: Microsoft recorded examples replayed', function () {
  let emu: Emulator;
  let w: World;
  let n = 0;

  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());

  for (const profile of PROFILES_TO_REPLAY) {
    describe(`profile ${profile}`, () => {
      beforeEach(() => {
        emu.reset();
        useProfile(emu, profile);
        // A fresh organization per replay: variable groups and PATs of earlier replays stay out of the lists.
        w = makeWorld(emu, `replay-org-${++n}`);
      });

      for (const c of CASES) {
        const example = loadExample(c.file);
        const status = recordedStatus(example);
        const method = example['x-ms-vss-request-method'];
        const title = `${path.basename(c.file, '.json')}: ${method} answers ${status} with the recorded shape`;

        async function replay(ctx: Mocha.Context, apiVersion?: string): Promise<void> {
          const why = c.skipUnder?.(emu);
          if (why) ctx.skip();
          const req = c.seed({ emu, w, example });
          let query = req.query;
          if (apiVersion !== undefined) {
            const q = new URLSearchParams(query);
            q.set('api-version', apiVersion);
            query = q.toString();
          }
          const res = await call(emu, method, `${req.path}${query ? `?${query}` : ''}`, {
            headers: { ...bearer(req.token), ...(apiVersion === undefined ? acceptHeader(example) : {}) },
            json: req.body,
          });
          assert.strictEqual(res.status, status, `${method} ${req.path}?${query}: ${res.text.slice(0, 300)}`);
          const recordedBody = example.responses[String(status)].body;
          if (status === 204) {
            // RevokePat.json writes `{}` for the body of a 204, which HTTP forbids to carry content (RFC 9110, 15.3.5),
            // and the spec declares Revoke's answer without a schema: the recorder's `{}` stands for "no body".
            assert.deepStrictEqual(recordedBody, {});
            assert.strictEqual(res.text, '', 'a 204 has an empty body');
          } else {
            const differences = shapeDifferences(recordedBody, res.json<unknown>(), { allowedExtra: new Set(c.allowedExtra ?? []) });
            const known = c.knownDifferences ?? {};
            const pathOf = (d: string): string => d.slice(0, d.indexOf(':'));
            const unexpected = differences.filter((d) => !(pathOf(d) in known));
            assert.deepStrictEqual(unexpected, [], `answer: ${res.text.slice(0, 600)}`);
            const stale = Object.keys(known).filter((p) => !differences.some((d) => pathOf(d) === p));
            assert.deepStrictEqual(stale, [], 'known differences that no longer occur: take them off knownDifferences (and FIDELITY.md)');
          }
          req.verify(res);
        }

        if (c.skip !== undefined) {
          it.skip(`${title} (${c.skip})`, async function () {
            await replay(this);
          });
          // The same request at 7.1, the version whose specification files these examples.
          it(`${path.basename(c.file, '.json')} at api-version 7.1: ${method} answers ${status} with the recorded shape`, async function () {
            await replay(this, '7.1');
          });
        } else {
          it(title, async function () {
            await replay(this);
          });
        }
      }
    });
  }
});

describe('recorded example replay: the shape comparison', () => {
  const none = { allowedExtra: new Set<string>() };
  it('finds a missing key, an extra key, a type change and a format change', () => {
    const recorded = { a: { id: '3d3aca0c-9ad3-4b07-8334-08ec8b1ddc32', when: '2020-10-29T17:26:46.72Z', list: [{ n: 1 }] }, t: null };
    assert.deepStrictEqual(shapeDifferences(recorded, recorded, none), []);
    const answer = { a: { id: 'not-a-guid', when: '2020-10-29T17:26:46.720Z', list: [{ n: '1' }], more: true } };
    assert.deepStrictEqual(shapeDifferences(recorded, answer, none), [
      'a.id: "not-a-guid" is not in the recorded format (guid)',
      'a.when: "2020-10-29T17:26:46.720Z" is not in the recorded format (serviceDate)',
      'a.list[].n: type string, recorded number',
      'a.more: not in the recording',
      't: missing',
    ]);
  });
  it('accepts only dates on a 1/300 s tick, printed without trailing zeros', () => {
    for (const ok of ['2020-11-02T22:56:52.1033333Z', '2020-10-29T17:26:46.72Z', '2017-12-12T06:35:52.0166667Z', '2020-10-29T17:26:46Z']) {
      assert.ok(isServiceDate(ok), ok);
    }
    for (const bad of ['2020-10-29T17:26:46.720Z', '2020-10-29T17:26:46.693Z', '2020-10-29T17:26:46.12345678Z', '2020-10-29 17:26:46Z']) {
      assert.ok(!isServiceDate(bad), bad);
    }
  });
  it('pairs list items by name and reports a different order separately', () => {
    const recorded = [{ name: 'b', v: 1 }, { name: 'a' }];
    assert.deepStrictEqual(shapeDifferences(recorded, [{ name: 'a' }, { name: 'b', v: 2 }], none), ['[] (order): ["a","b"], recorded ["b","a"]']);
    assert.deepStrictEqual(shapeDifferences(recorded, [{ name: 'a' }], none), ['(body): items ["a"], recorded ["b","a"]']);
  });
});
