import * as assert from 'node:assert/strict';
import { InputError } from '../../tasks/PatLifecycleV1/src/errors';
import { organizationName, parseParameters } from '../../tasks/PatLifecycleV1/src/params';
import { BAD_INPUTS, BASE_INPUTS, PAT_ID } from '../support/badInputs';

const NOW = new Date('2026-11-28T12:00:00Z');

function parse(overrides: Record<string, string | undefined>) {
  const inputs = { ...BASE_INPUTS, ...overrides };
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

  it('an empty organization falls back to System.CollectionUri', () => {
    const p = parseParameters(
      (name) => ({ ...BASE_INPUTS, organization: '' })[name],
      new Date('2026-11-28T12:00:00Z'),
      (name) => (name === 'System.CollectionUri' ? 'https://dev.azure.com/contoso/' : undefined),
    );
    assert.equal(p.organization, 'contoso');
  });

  it('with a custom serviceUrl, any https collection URL names the organization', () => {
    assert.equal(parse({ organization: 'https://127.0.0.1:8443/fabrikam/', serviceUrl: 'https://127.0.0.1:8443/fabrikam' }).organization, 'fabrikam');
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

describe('parseParameters: signIn', () => {
  const signIn = (inputs: Record<string, string | undefined>, variables: Record<string, string> = {}) =>
    parseParameters(
      (name) => inputs[name],
      NOW,
      (name) => variables[name],
    );
  const ids = { operation: 'signIn', tenantId: BASE_INPUTS.tenantId, clientId: BASE_INPUTS.clientId };

  it('needs tenantId, clientId and variableGroup, and no refresh token', () => {
    const p = signIn({ ...ids, variableGroup: 'pat-rotation' });
    assert.equal(p.operation, 'signIn');
    assert.equal(p.variableGroup, 'pat-rotation');
    assert.equal(p.refreshTokenVariable, 'PatLifecycle.RefreshToken');
    assert.equal(p.refreshToken, '');
  });

  it("ignores the refreshToken input's default, unexpanded while the group holds no token yet, and inputs about PATs", () => {
    const p = signIn({
      ...ids,
      variableGroup: '12',
      refreshToken: '$(PatLifecycle.RefreshToken)',
      organization: '$(System.CollectionUri)',
      displayName: 'feed-*',
      lifetimeDays: '-1',
      tokenVariable: 'FeedToken',
      clientSecret: 'short',
    });
    assert.equal(p.refreshToken, '');
    assert.equal(p.displayName, undefined);
    assert.equal(p.tokenVariable, undefined);
    assert.equal(p.clientSecret, undefined);
  });

  it('without variableGroup: says to set it, and nothing about other inputs', () => {
    assert.throws(
      () => signIn(ids),
      (err: InputError) => {
        assert.deepEqual(err.problems.length, 1, err.problems.join('\n'));
        assert.match(err.problems[0], /signIn stores the refresh token in a variable group: set 'variableGroup'/);
        return true;
      },
    );
  });

  it('still checks what it uses', () => {
    assert.throws(
      () => signIn({ ...ids, tenantId: 'contoso', variableGroup: 'g', refreshTokenVariable: 'bad name', authorityHost: 'http://login.example' }),
      (err: InputError) => {
        assert.equal(err.problems.length, 3, err.problems.join('\n'));
        return true;
      },
    );
  });
});
