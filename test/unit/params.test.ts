import * as assert from 'node:assert/strict';
import { InputError } from '../../tasks/PatLifecycleV1/src/errors';
import { organizationName, parseParameters } from '../../tasks/PatLifecycleV1/src/params';

const NOW = new Date('2026-11-28T12:00:00Z');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const PAT_ID = '4ab5764f-4193-4f1d-b995-64144880b7d7';
const BASE: Record<string, string> = {
  operation: 'create',
  organization: 'fabrikam',
  tenantId: TENANT,
  clientId: CLIENT,
  refreshToken: '0.AXoA' + 'r'.repeat(60),
  displayName: 'feed-token',
  scope: 'vso.packaging',
};

function parse(overrides: Record<string, string | undefined>) {
  const inputs = { ...BASE, ...overrides };
  return parseParameters((name) => inputs[name], NOW);
}

function problems(overrides: Record<string, string | undefined>): string[] {
  try {
    parse(overrides);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail(`accepted ${JSON.stringify(overrides)}`);
}

describe('parseParameters: valid inputs', () => {
  it('reads a create with defaults', () => {
    const p = parse({});
    assert.equal(p.operation, 'create');
    assert.equal(p.organization, 'fabrikam');
    assert.equal(p.serviceUrl, 'https://vssps.dev.azure.com/fabrikam');
    assert.equal(p.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(p.apiVersion, '7.1-preview.1');
    assert.equal(p.validTo.toISOString(), '2026-12-28T12:00:00.000Z');
    assert.equal(p.expirySpecified, false);
    assert.equal(p.keepPrevious, 0);
    assert.equal(p.createIfMissing, true);
    assert.equal(p.allOrgs, false);
    assert.equal(p.requestTimeoutSeconds, 60);
    assert.ok(Object.isFrozen(p));
  });

  it('normalises scopes given with commas and repeats', () => {
    assert.equal(parse({ scope: 'vso.code, vso.packaging_write,vso.code' }).scope, 'vso.code vso.packaging_write');
  });

  it('takes organization URLs of both forms', () => {
    assert.equal(parse({ organization: 'https://dev.azure.com/contoso/' }).organization, 'contoso');
    assert.equal(parse({ organization: 'https://contoso.visualstudio.com/' }).serviceUrl, 'https://vssps.dev.azure.com/contoso');
    assert.equal(organizationName('https://dev.azure.com/contoso/Project/_git/repo'), 'contoso');
  });

  it('takes validTo instead of lifetimeDays', () => {
    const p = parse({ validTo: '2027-01-15T00:00:00Z' });
    assert.equal(p.validTo.toISOString(), '2027-01-15T00:00:00.000Z');
    assert.equal(p.expirySpecified, true);
  });

  it('accepts a loopback http serviceUrl and an emulator authority', () => {
    const p = parse({ serviceUrl: 'http://127.0.0.1:8080/fabrikam/', authorityHost: 'https://localhost:8443' });
    assert.equal(p.serviceUrl, 'http://127.0.0.1:8080/fabrikam');
    assert.equal(p.authorityHost, 'https://localhost:8443');
  });

  it('rotate by name keeps the old scope when none is given', () => {
    const p = parse({ operation: 'rotate', scope: '', displayName: 'ci-*', rotateWhenExpiringWithinDays: '7', keepPrevious: '1' });
    assert.equal(p.scope, undefined);
    assert.equal(p.rotateWhenExpiringWithinDays, 7);
    assert.equal(p.keepPrevious, 1);
  });

  it('update by id may rename', () => {
    const p = parse({ operation: 'update', authorizationId: PAT_ID.toUpperCase(), displayName: 'renamed', scope: '' });
    assert.equal(p.authorizationId, PAT_ID);
    assert.equal(p.displayName, 'renamed');
  });
});

// Each row: what is wrong, and words the message must contain so that the user knows what to fix.
export const BAD_INPUTS: Array<[string, Record<string, string | undefined>, RegExp]> = [
  ['unknown operation', { operation: 'delete' }, /'operation' is 'delete': use one of list, get, create, update, revoke, rotate/],
  ['operation with a typo', { operation: 'rotat' }, /use one of/],
  ['missing organization', { organization: '' }, /'organization' is required/],
  ['organization with spaces', { organization: 'my org' }, /'organization' is 'my org'/],
  ['organization on another host', { organization: 'https://example.com/fabrikam' }, /name \(fabrikam\) or URL/],
  ['organization over http', { organization: 'http://dev.azure.com/fabrikam' }, /'organization' is 'http:/],
  ['Azure DevOps Server collection', { organization: 'https://tfs.contoso.local/tfs/DefaultCollection' }, /Azure DevOps Services/],
  ['unexpanded System.CollectionUri', { organization: '$(System.CollectionUri)' }, /variable System\.CollectionUri is not defined/],
  ['missing tenant', { tenantId: '' }, /'tenantId' is required/],
  ['tenant neither GUID nor domain', { tenantId: 'contoso' }, /'tenantId' is 'contoso'.*GUID.*domain/],
  ['tenant GUID too short', { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db4' }, /'tenantId'/],
  ['missing client id', { clientId: '' }, /'clientId' is required/],
  ['client id not a GUID', { clientId: 'my-app' }, /'clientId' is 'my-app'.*client\) ID/],
  ['client id with braces', { clientId: '{11111111-2222-3333-4444-555555555555}' }, /'clientId'/],
  ['missing refresh token', { refreshToken: '' }, /'refreshToken' is empty/],
  ['refresh token variable not defined', { refreshToken: '$(PatLifecycle.RefreshToken)' }, /variable PatLifecycle\.RefreshToken is not defined/],
  ['refresh token with a line break', { refreshToken: 'abcdefghijklmnop\nqrstuvwxyz0123456' }, /'refreshToken' does not look like a token/],
  ['refresh token too short', { refreshToken: 'abc' }, /'refreshToken' does not look like a token/],
  ['client secret with spaces', { clientSecret: 'my client secret value' }, /'clientSecret' does not look like a token/],
  ['authorizationId not a GUID', { operation: 'get', displayName: '', authorizationId: '1234' }, /'authorizationId' is '1234'.*GUID/],
  ['authorizationId with a trailing character', { operation: 'revoke', displayName: '', authorizationId: PAT_ID + 'x' }, /'authorizationId'/],
  ['create without a name', { displayName: '' }, /'displayName' is required to create/],
  ['create with a wildcard name', { displayName: 'feed-*' }, /cannot contain '\*'/],
  ['name too long', { displayName: 'x'.repeat(257) }, /257 characters long: use at most 256/],
  ['get without a selector', { operation: 'get', displayName: '' }, /'get' needs 'authorizationId' or 'displayName'/],
  ['revoke without a selector', { operation: 'revoke', displayName: '' }, /'revoke' needs/],
  ['rotate without a selector', { operation: 'rotate', displayName: '' }, /'rotate' needs/],
  ['update without a selector', { operation: 'update', displayName: '', scope: '' }, /'update' needs/],
  ['get with both id and name', { operation: 'get', authorizationId: PAT_ID }, /not both/],
  ['create without scope', { scope: '' }, /'scope' is required to create/],
  ['scope that is not a scope', { scope: 'read write' }, /not Azure DevOps scopes: read write/],
  ['scope with a typo prefix', { scope: 'vso,code vs.packaging' }, /vs\.packaging/],
  ['scope with a URL', { scope: 'https://app.vssps.visualstudio.com/user_impersonation' }, /not Azure DevOps scopes/],
  ['app_token with other scopes', { scope: 'app_token vso.code' }, /app_token \(full access\) cannot be combined/],
  ['negative lifetime', { lifetimeDays: '-5' }, /'lifetimeDays' is '-5': use a whole number from 1 to 365/],
  ['zero lifetime', { lifetimeDays: '0' }, /'lifetimeDays' is '0'/],
  ['huge lifetime', { lifetimeDays: '100000' }, /from 1 to 365/],
  ['fractional lifetime', { lifetimeDays: '1.5' }, /'lifetimeDays' is '1\.5'/],
  ['lifetime in words', { lifetimeDays: 'thirty' }, /'lifetimeDays' is 'thirty'/],
  ['both lifetimeDays and validTo', { lifetimeDays: '10', validTo: '2027-01-01T00:00:00Z' }, /both set: use one or the other/],
  ['validTo in the past', { validTo: '2025-01-01T00:00:00Z' }, /'validTo' is '2025-01-01T00:00:00Z', which is not in the future/],
  ['validTo unparsable', { validTo: 'next tuesday' }, /not an ISO 8601 date-time/],
  ['validTo as a US date', { validTo: '12/31/2026' }, /not an ISO 8601/],
  ['validTo impossible date', { validTo: '2026-13-45' }, /not an ISO 8601/],
  ['validTo beyond a year', { validTo: '2030-01-01T00:00:00Z' }, /more than 365 days/],
  ['allOrgs not a boolean', { allOrgs: 'yes' }, /'allOrgs' is 'yes': use true or false/],
  ['createIfMissing not a boolean', { operation: 'rotate', createIfMissing: '1' }, /'createIfMissing' is '1'/],
  ['dryRun not a boolean', { operation: 'revoke', dryRun: 'maybe' }, /'dryRun' is 'maybe'/],
  ['negative rotate window', { operation: 'rotate', rotateWhenExpiringWithinDays: '-1' }, /'rotateWhenExpiringWithinDays' is '-1'/],
  ['keepPrevious too large', { operation: 'rotate', keepPrevious: '1000' }, /'keepPrevious' is '1000': use a whole number from 0 to 100/],
  [
    'unknown display filter',
    { operation: 'list', displayName: '', displayFilterOption: 'deleted' },
    /'displayFilterOption' is 'deleted': use one of active, revoked, expired, all/,
  ],
  ['non-preview api version', { apiVersion: '7.1' }, /only in preview versions/],
  ['api version too old', { apiVersion: '5.0-preview.1' }, /starts at 6\.1-preview\.1/],
  ['authority host over http', { authorityHost: 'http://login.microsoftonline.com' }, /'authorityHost' is 'http:.*https/],
  ['authority host with a tenant path', { authorityHost: 'https://login.microsoftonline.com/contoso' }, /'authorityHost'.*host only/],
  ['authority host not a URL', { authorityHost: 'login.microsoftonline.com' }, /'authorityHost' is 'login\.microsoftonline\.com', which is not a URL/],
  ['service URL over http on a remote host', { serviceUrl: 'http://vssps.dev.azure.com/fabrikam' }, /'serviceUrl'.*http is allowed only .* loopback/],
  ['service URL with credentials', { serviceUrl: 'https://user:pass@vssps.dev.azure.com/fabrikam' }, /'serviceUrl'.*credentials/],
  ['service URL with a query', { serviceUrl: 'https://vssps.dev.azure.com/fabrikam?api-version=7.1' }, /'serviceUrl'/],
  ['entra scope without a slash', { entraScope: 'user_impersonation' }, /'entraScope' is 'user_impersonation'/],
  ['timeout zero', { requestTimeoutSeconds: '0' }, /'requestTimeoutSeconds' is '0': use a whole number from 1 to 600/],
  ['timeout huge', { requestTimeoutSeconds: '86400' }, /'requestTimeoutSeconds'/],
  ['parallel requests too many', { parallelRequests: '500' }, /'parallelRequests' is '500': use a whole number from 1 to 32/],
  ['warn days negative', { operation: 'list', displayName: '', warnOnExpiringWithinDays: '-2' }, /'warnOnExpiringWithinDays'/],
];

describe(`parseParameters: ${BAD_INPUTS.length} wrong inputs, each with a message that says what to fix`, () => {
  for (const [what, overrides, expected] of BAD_INPUTS) {
    it(what, () => {
      const found = problems(overrides);
      assert.ok(
        found.some((m) => expected.test(m)),
        `expected a message matching ${String(expected)}, got:\n${found.join('\n')}`,
      );
    });
  }

  it('reports every problem at once', () => {
    const found = problems({ clientId: 'x', tenantId: 'y', lifetimeDays: '-1' });
    assert.equal(found.length, 3, found.join('\n'));
  });

  it('never echoes a secret in a message', () => {
    const secret = 'super secret value with spaces';
    const found = problems({ refreshToken: secret, clientSecret: secret });
    assert.ok(found.every((m) => !m.includes(secret)));
  });
});
