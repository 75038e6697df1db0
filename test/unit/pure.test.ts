import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { authorityEndpoints } from '../../tasks/PatLifecycleV1/src/authority';
import { describeDeviceCodeError, describeEntraError } from '../../tasks/PatLifecycleV1/src/entra';
import { ApiError, SignInError, TransportError } from '../../tasks/PatLifecycleV1/src/errors';
import { HttpLayer, retryAfterMs } from '../../tasks/PatLifecycleV1/src/http';
import { parseAnswer, patTokenError } from '../../tasks/PatLifecycleV1/src/patsApi';
import { AdaptivePool } from '../../tasks/PatLifecycleV1/src/pool';
import { prepareCertificates } from '../../tasks/PatLifecycleV1/src/certificates';
import { clip, neutralize, proxyUrlPassword, rememberSecret } from '../../tasks/PatLifecycleV1/src/sanitize';
import { findLoggingCommand } from '../../scripts/lib/agentRunner';

const ids = { tenantId: 'contoso.onmicrosoft.com', clientId: '11111111-2222-3333-4444-555555555555' };

describe('neutralize', () => {
  // The agent finds `##vso[` with a culture-sensitive search that skips ignorable characters: the rule the helper
  // below applies (findLoggingCommand: every default-ignorable, format and control character removed, case ignored).
  const agentSeesCommand = (line: string) => findLoggingCommand(line) !== undefined;
  const INVISIBLE = ['\u2060', '\u200B', '\u00AD', '\u200D', '\uFEFF', '\u034F', '\u180E', '\u0001'];
  /** `##vso[` in several cases with one invisible character at every position, and at all of them at once. */
  function hostile(prefixes = ['##vso[', '##VSO[', '##Vso[', '##vSo[', '##[']): string[] {
    const out: string[] = [];
    for (const prefix of prefixes) {
      out.push(`${prefix}task.setvariable variable=Injected]pwned`);
      for (const ch of INVISIBLE) {
        for (let at = 0; at <= prefix.length; at++) out.push(`name ${prefix.slice(0, at)}${ch}${prefix.slice(at)}task.complete result=Failed]boom`);
        out.push(`${[...prefix].join(ch)}task.setvariable variable=Injected]x`);
      }
    }
    if (prefixes.length === 1) return out;
    out.push('###vso[task.setsecret]x', '#\u2060##\u200Bvso[task.debug]x', '##v##vso[so[task.complete]x', 'a\r\n##vso[task.complete]x');
    out.push('TF400813: the service said ##vso[task.setvariable variable=X]1 and ##\u00ADvso[task.complete result=Failed]');
    return out;
  }

  it('the helper finds commands through invisible characters (so the next test can fail)', () => {
    for (const text of hostile(['##vSo['])) assert.ok(agentSeesCommand(text), JSON.stringify(text));
    assert.ok(agentSeesCommand('#\u2060#vso[task.complete]x'), 'the old neutralisation (U+2060 between the #) is no defence');
  });

  it('leaves no logging command the agent could find, however the text hides it', () => {
    const texts = hostile();
    assert.ok(texts.length > 200);
    for (const text of texts) {
      const out = neutralize(text);
      assert.ok(!agentSeesCommand(out), `${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
      assert.ok(!/##[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}]*\[/u.test(out), `##[ survives in ${JSON.stringify(out)}`);
    }
  });

  it('folds line breaks, so API text cannot start a line, and stays readable', () => {
    const out = neutralize('x ##vso[task.setvariable variable=Injected]pwned\n##[error]boom\u2028y\rz');
    assert.ok(!/[\r\n\u2028\u2029]/.test(out));
    assert.equal(out, 'x # #vso[task.setvariable variable=Injected]pwned # #[error]boom y z');
  });

  it('changes nothing else', () => {
    for (const text of ['feed-token', 'C# #1 build', 'issue #42 [draft]', '👩‍💻 dev token', 'Ünïcødé\u00ADname']) assert.equal(neutralize(text), text);
  });
});

describe('clip', () => {
  it('redacts known secrets before it cuts, so no part of one is left', () => {
    const secret = 'proxy-secret-9f8e7d6c5b4a';
    rememberSecret(secret);
    const text = `${'x'.repeat(50)} ${secret} tail`;
    const out = clip(text, 60);
    assert.ok(!out.includes(secret.slice(0, 6)), out);
    assert.equal(out, `${'x'.repeat(50)} *** tail`);
    assert.equal(clip('short'), 'short');
    assert.equal(clip('y'.repeat(10), 4), 'yyyy…');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  it('reads seconds', () => assert.equal(retryAfterMs({ 'retry-after': '3' }, now), 3000));
  it('reads an HTTP date', () => assert.equal(retryAfterMs({ 'retry-after': 'Sat, 28 Nov 2026 12:00:05 GMT' }, now), 5000));
  it('falls back to X-RateLimit-Reset', () => assert.equal(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 7) }, now), 7000));
  it('is undefined without hints', () => assert.equal(retryAfterMs({}, now), undefined));
});

describe('parseAnswer', () => {
  const answer = (status: number, body: string, type = 'application/json') => ({ status, headers: { 'content-type': type }, body });
  it('203 with the sign-in page says the token was not accepted as a user Entra token', () => {
    assert.throws(() => parseAnswer(answer(203, '<html><title>Sign In</title></html>', 'text/html')), /not accepted as a user's Entra token/);
  });
  it('a redirect to _signin is the same story', () => assert.throws(() => parseAnswer(answer(302, '', 'text/html')), /sign-in page/));
  it("another API is named with the credential it was sent, without the PAT API's hints", () => {
    const source = { service: 'The variable group API', credential: "the job's access token" };
    const body = JSON.stringify({ message: 'VS402924: bad group' });
    assert.throws(
      () => parseAnswer(answer(400, body), false, source),
      (e: ApiError) => e.message === "The variable group API answered HTTP 400 to a request made with the job's access token: VS402924: bad group",
    );
    assert.throws(
      () => parseAnswer(answer(203, '<html></html>', 'text/html'), false, source),
      (e: ApiError) =>
        /The variable group API answered HTTP 203 with a sign-in page.*the job's access token was not accepted/.test(e.message) &&
        !/entraScope|PAT API/.test(e.message),
    );
  });
  it('truncated JSON is a clear error, not a stack trace', () =>
    assert.throws(() => parseAnswer(answer(200, '{"patToken": {"displ')), /truncated or malformed/));
  it('a typed error body gives its message', () => {
    const body = JSON.stringify({ $id: '1', message: 'TF400813: The user is not authorized', typeKey: 'UnauthorizedRequestException' });
    assert.throws(
      () => parseAnswer(answer(401, body)),
      (e: ApiError) => e.status === 401 && /TF400813/.test(e.message),
    );
  });
  it('service principals get their own message', () => {
    assert.throws(
      () => parseAnswer(answer(401, JSON.stringify({ message: 'Service principals are not allowed to perform this action.' }))),
      /Sign in as a user/,
    );
  });
  it('patTokenError in a 400 becomes a PAT error with a hint', () => {
    assert.throws(
      () => parseAnswer(answer(400, JSON.stringify({ patToken: null, patTokenError: 'fullScopePatPolicyViolation' }))),
      (e: ApiError) => e.patTokenError === 'fullScopePatPolicyViolation' && /instead of app_token/.test(e.message),
    );
  });
  it('patTokenError text from the API is neutralised', () => {
    const e = patTokenError({ patTokenError: 'invalidScope', patTokenErrorMessage: 'bad ##vso[task.complete result=Succeeded]' });
    assert.ok(!e.message.includes('##vso['));
  });
});

describe('describeDeviceCodeError', () => {
  const server = (errorCode: string, errorNo: string, text: string) => ({ errorCode, errorNo, errorMessage: `AADSTS${errorNo}: ${text}\r\nTrace ID: abc` });
  const fallback = { command: 'npx pat-lifecycle login --tenant t --client-id c', minutes: 15 };
  it('a tenant that blocks device code (53003): says so, and gives the browser sign-in command to run instead', () => {
    const m = describeDeviceCodeError(server('invalid_grant', '53003', 'Access has been blocked by Conditional Access policies.'), ids, fallback).message;
    assert.match(m, /Conditional Access policy of tenant contoso\.onmicrosoft\.com does not allow the device code sign-in/);
    assert.ok(m.includes(`from there: ${fallback.command}`), m);
  });
  it('declined, expired (Entra or MSAL), public client flows off', () => {
    assert.match(describeDeviceCodeError(server('authorization_declined', '65004', 'declined'), ids, fallback).message, /declined/);
    assert.match(describeDeviceCodeError(server('expired_token', '70019', 'expired'), ids, fallback).message, /before it expired \(15 minutes\)/);
    assert.match(describeDeviceCodeError({ errorCode: 'device_code_expired', errorMessage: 'Device code is expired.' }, ids, fallback).message, /expired/);
    assert.match(describeDeviceCodeError(server('invalid_client', '7000218', 'client_assertion'), ids, fallback).message, /Allow public client flows' to Yes/);
  });
  it('anything else as any sign-in error', () =>
    assert.match(describeDeviceCodeError(server('invalid_grant', '65001', 'consent'), ids, fallback).message, /vso\.pats_manage.*admin consent/));
});

describe('describeEntraError', () => {
  const server = (errorCode: string, errorNo: string, text: string) => ({ errorCode, errorNo, errorMessage: `AADSTS${errorNo}: ${text}\r\nTrace ID: abc` });
  it('expired refresh token says sign in again and update the secret variable', () => {
    const e = describeEntraError(server('invalid_grant', '700082', 'The refresh token has expired due to inactivity.'), ids);
    assert.ok(e instanceof SignInError);
    assert.match(e.message, /Sign in again .* update the secret variable that holds it \(PatLifecycle\.RefreshToken by default\)/);
    assert.doesNotMatch(e.message, /Trace ID/);
  });
  it('consent names the permission to grant', () =>
    assert.match(describeEntraError(server('invalid_grant', '65001', 'consent'), ids).message, /vso\.pats_manage.*admin consent/));
  it('MFA', () => assert.match(describeEntraError(server('interaction_required', '50076', 'mfa'), ids).message, /multi-factor/));
  it('bad client secret', () => assert.match(describeEntraError(server('invalid_client', '7000215', 'Invalid client secret'), ids).message, /secret's Value/));
  it('temporarily unavailable is a transport error', () =>
    assert.ok(describeEntraError(server('temporarily_unavailable', '', 'busy'), ids) instanceof TransportError));
  // Meanings from Microsoft's Entra error-code reference (learn.microsoft.com/entra/identity-platform/reference-error-codes).
  it('70043 (sign-in frequency) says the policy bounds unattended rotation', () => {
    const m = describeEntraError(server('invalid_grant', '70043', 'The refresh token has expired or is invalid due to sign-in frequency checks'), ids).message;
    assert.match(m, /sign-in frequency policy/);
    assert.match(m, /Sign in again .*bounds how long unattended rotation can run/);
  });
  it('50199 (CmsiInterrupt) asks for a confirmed interactive sign-in, not conditional access', () => {
    const m = describeEntraError(server('interaction_required', '50199', 'For security reasons, user confirmation is required'), ids).message;
    assert.match(m, /wants the user to confirm this sign-in/);
    assert.doesNotMatch(m, /conditional access/i);
  });
  it('700084 is about single-page-app refresh tokens (24 hours); 70008/700082 are not', () => {
    assert.match(describeEntraError(server('invalid_grant', '700084', 'SPA'), ids).message, /single-page app.*24 hours/);
    assert.doesNotMatch(describeEntraError(server('invalid_grant', '70008', 'inactive'), ids).message, /single-page/);
  });
  it('90023 is a generic invalid request, not an unknown tenant; 530033 is not in the reference', () => {
    const generic = describeEntraError(server('invalid_request', '90023', 'The authentication service request is not valid.'), ids).message;
    assert.doesNotMatch(generic, /does not know this tenant/);
    assert.match(generic, /refused the sign-in \(invalid_request\)/);
    assert.doesNotMatch(describeEntraError(server('invalid_grant', '530033', 'x'), ids).message, /conditional access policy blocked/);
  });
});

describe('authorityEndpoints', () => {
  it('builds metadata for any host so MSAL needs no discovery', () => {
    const a = authorityEndpoints('https://127.0.0.1:8443', 'contoso');
    assert.equal(a.authority, 'https://127.0.0.1:8443/contoso');
    assert.deepEqual(a.knownAuthorities, ['127.0.0.1:8443']);
    assert.equal((JSON.parse(a.authorityMetadata) as { token_endpoint: string }).token_endpoint, 'https://127.0.0.1:8443/contoso/oauth2/v2.0/token');
  });
});

describe('AdaptivePool', () => {
  it('never has more than the limit in flight, and shrinks when told', async () => {
    const pool = new AdaptivePool(4);
    let inFlight = 0;
    let max = 0;
    const results = await pool.run([...Array(20).keys()], async (i) => {
      inFlight++;
      max = Math.max(max, inFlight);
      if (i === 5) pool.shrink();
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (i === 7) throw new Error('seven');
      return i * 2;
    });
    assert.equal(max, 4);
    assert.equal(pool.currentLimit, 2);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    assert.deepEqual(results[3], { status: 'fulfilled', value: 6 });
  });
});

describe('HttpLayer', () => {
  it('refuses to send credentials to a host it was not told to trust, before any request', async () => {
    const http = new HttpLayer({ timeoutMs: 1000, userAgent: 'test', maxSockets: 1, trustedOrigins: ['https://login.microsoftonline.com'], debug: () => {} });
    try {
      await assert.rejects(
        http.send({ method: 'GET', url: 'https://evil.example/x', headers: { Authorization: 'Bearer abc' }, retry: 'idempotent' }),
        /Refused to send credentials to https:\/\/evil\.example/,
      );
      assert.equal(http.requestCount, 0);
    } finally {
      http.dispose();
    }
  });

  it('a timed-out attempt gives up its connection, so a retry with one socket allowed does not wait behind it', async () => {
    // The first connection sends a header line every 100 ms and never finishes the headers: never idle, never
    // answered. Every later connection answers at once.
    let connections = 0;
    const trickles: NodeJS.Timeout[] = [];
    const server = net.createServer((socket) => {
      const n = ++connections;
      socket.on('error', () => undefined);
      socket.once('data', () => {
        if (n > 1) return void socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
        socket.write('HTTP/1.1 200 OK\r\n');
        trickles.push(setInterval(() => socket.writable && socket.write('x-slow: 1\r\n'), 100));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const http = new HttpLayer({
      timeoutMs: 600,
      userAgent: 'test',
      maxSockets: 1,
      trustedOrigins: [url],
      retry: { maxAttempts: 3, baseDelayMs: 50, maxElapsedMs: 10_000 },
      debug: () => {},
    });
    try {
      const started = Date.now();
      const response = await http.send({ method: 'GET', url: `${url}/x`, retry: 'idempotent' });
      assert.equal(response.status, 200);
      assert.equal(http.requestCount, 2);
      assert.equal(connections, 2);
      assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    } finally {
      http.dispose();
      trickles.forEach(clearInterval);
      server.close();
    }
  });
});

describe('prepareCertificates', () => {
  const PEM = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pat-certs-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("trusts the union of Node's roots, NODE_EXTRA_CA_CERTS and Agent.CAInfo, and removes its file on dispose", () => {
    fs.writeFileSync(path.join(dir, 'agent.pem'), PEM('AGENTCA'));
    fs.writeFileSync(path.join(dir, 'extra.pem'), PEM('EXTRACA'));
    const prepared = prepareCertificates({ caFile: path.join(dir, 'agent.pem') }, path.join(dir, 'extra.pem'), dir);
    const file = prepared.cert?.caFile ?? '';
    const bundle = fs.readFileSync(file, 'utf8');
    assert.ok(bundle.includes('AGENTCA') && bundle.includes('EXTRACA'));
    assert.ok(tls.rootCertificates.length > 50 && tls.rootCertificates.every((root) => bundle.includes(root)));
    prepared.dispose();
    assert.ok(!fs.existsSync(file));
  });

  it('without Agent.CAInfo it leaves trust to Node (roots and NODE_EXTRA_CA_CERTS)', () => {
    assert.equal(prepareCertificates(null, undefined, dir).cert, undefined);
    assert.equal(prepareCertificates({}, undefined, dir).cert, undefined);
  });

  it('passes the PEM client certificate and key with the passphrase; a certificate without its key is a problem, not a crash', () => {
    fs.writeFileSync(path.join(dir, 'c.pem'), 'c');
    fs.writeFileSync(path.join(dir, 'k.pem'), 'k');
    const ok = prepareCertificates(
      { certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'k.pem'), passphrase: 'pw', certArchiveFile: path.join(dir, 'c.pfx') },
      undefined,
      dir,
    );
    assert.deepEqual(ok.cert, { certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'k.pem'), passphrase: 'pw' });
    assert.deepEqual(prepareCertificates({ certFile: path.join(dir, 'c.pem') }, undefined, dir).problems, ['ClientCertNoKey']);
    assert.deepEqual(prepareCertificates({ certFile: path.join(dir, 'c.pem'), keyFile: path.join(dir, 'missing.pem') }, undefined, dir).problems, [
      'ClientCertUnreadable',
    ]);
  });

  it('an unreadable Agent.CAInfo throws', () => assert.throws(() => prepareCertificates({ caFile: path.join(dir, 'none.pem') }, undefined, dir), /ENOENT/));
});

describe('proxyUrlPassword', () => {
  it('finds the password in a proxy URL, as written and decoded', () => {
    assert.deepEqual(proxyUrlPassword('http://user:p%40ss@proxy.example:8080'), ['p%40ss', 'p@ss']);
    assert.deepEqual(proxyUrlPassword('http://user:plain@proxy.example'), ['plain']);
    assert.deepEqual(proxyUrlPassword('http://proxy.example:8080'), []);
    assert.deepEqual(proxyUrlPassword('http://user@proxy.example'), []);
  });
});
