// The Node baseline the benchmark compares `PatLifecycle@1 operation=rotate authorizationId=... verifyNewToken=false`
// with: the least a Node script can do for the same four requests, with `node:https` and one keep-alive agent
// (one connection per origin, reused), no libraries, no checks beyond the status codes.
//   1. POST {authority}/{tenant}/oauth2/v2.0/token   refresh token -> access token
//   2. GET  {serviceUrl}/_apis/tokens/pats?authorizationId=ID   the old PAT's name and scope
//   3. POST {serviceUrl}/_apis/tokens/pats   the replacement, same name and scope, 30 days
//   4. DELETE {serviceUrl}/_apis/tokens/pats?authorizationId=ID   the old PAT
// Inputs (environment): AUTHORITY_HOST TENANT_ID CLIENT_ID REFRESH_TOKEN SERVICE_URL AUTHORIZATION_ID; the CA comes
// from NODE_EXTRA_CA_CERTS, as for the task. Prints the new authorization ID.
import https from 'node:https';

const env = process.env;
const agent = new https.Agent({ keepAlive: true });
const API = 'api-version=7.1-preview.1';
const pats = `${env.SERVICE_URL}/_apis/tokens/pats`;

function call(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve(text) : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`))));
    });
    req.end(body);
  });
}

const form = new URLSearchParams({
  grant_type: 'refresh_token',
  client_id: env.CLIENT_ID,
  refresh_token: env.REFRESH_TOKEN,
  scope: '499b84ac-1321-427f-aa17-267ca6975798/.default offline_access',
}).toString();
const token = JSON.parse(
  await call('POST', `${env.AUTHORITY_HOST}/${env.TENANT_ID}/oauth2/v2.0/token`, { 'content-type': 'application/x-www-form-urlencoded' }, form),
);
const auth = { authorization: `Bearer ${token.access_token}`, accept: 'application/json' };

const old = JSON.parse(await call('GET', `${pats}?authorizationId=${env.AUTHORIZATION_ID}&${API}`, auth)).patToken;
const validTo = new Date(Date.now() + 30 * 86_400_000).toISOString();
const body = JSON.stringify({ displayName: old.displayName, scope: old.scope, validTo, allOrgs: false });
const created = JSON.parse(await call('POST', `${pats}?${API}`, { ...auth, 'content-type': 'application/json' }, body)).patToken;
await call('DELETE', `${pats}?authorizationId=${env.AUTHORIZATION_ID}&${API}`, auth);
agent.destroy();
console.log(created.authorizationId);
