// Where the sources leave the service's behaviour open, the emulator plays each plausible answer. One switch per
// open point; named profiles combine them so that every value of every switch is played by at least one profile.
// Sources and reasons for each switch: emulator/FIDELITY.md.

export interface ServiceVariant {
  /** A `patTokenError` comes in an HTTP 200 or an HTTP 400 (FIELD-NOTES: unconfirmed). */
  errorStyle: 'ok200' | 'http400';
  /**
   * GET/PUT of an id the caller has no PAT for: `patTokenError: tokenNotFound` (decompiled Server 2022 code),
   * `authorizationNotFound` (a value the spec lists), or a 404 typed error.
   */
  unknownId: 'tokenNotFound' | 'authorizationNotFound' | 'http404';
  /** GET of a revoked PAT: returned with nothing that marks it revoked (Server 2022 code), or the unknown-id answer. */
  revokedGet: 'unmarked' | 'notFound';
  /** DELETE of a PAT that is already revoked: an error (Server 2022 code; played as a 404 typed error), or 204. */
  revokeRevoked: 'error' | 'noContent';
  /** Scopes stored lower-cased and sorted (Server 2022 code), or as sent. */
  scopes: 'normalized' | 'asSent';
  /** Display names stored HTML-encoded (`&` -> `&amp;`; Server 2022 code), or as sent. */
  names: 'htmlEncoded' | 'asSent';
  /** App-only (service principal) tokens: 302 "Object moved" to `_signin`, or 403 "Service principals are not allowed...". */
  servicePrincipal: 'redirect' | 'forbidden';
  /**
   * List order and continuation token when the caller does not choose a sort: displayName ascending with a row
   * offset token (Server 2022 code; rows shift when PATs change between pages), or newest first with keyset tokens.
   */
  listOrder: 'displayNameOffset' | 'newestFirstKeyset';
  /** The project-level variable group PUT (4.1 recorded example; in no 7.x document): accepted or 404. */
  variableGroupProjectPut: 'accepted' | 'refused';
  /**
   * Service endpoint PUT: a confidential authorization parameter left out of the body keeps its stored value, or is
   * wiped (the examples show only secrets sent as strings; the answers carry them as null).
   */
  endpointSecretOmitted: 'keeps' | 'wipes';
}

export type ProfileName = 'server2022' | 'alternative' | 'mixed';

export const PROFILES: Readonly<Record<ProfileName, Readonly<ServiceVariant>>> = {
  server2022: {
    errorStyle: 'ok200',
    unknownId: 'tokenNotFound',
    revokedGet: 'unmarked',
    revokeRevoked: 'error',
    scopes: 'normalized',
    names: 'htmlEncoded',
    servicePrincipal: 'redirect',
    listOrder: 'displayNameOffset',
    variableGroupProjectPut: 'accepted',
    endpointSecretOmitted: 'keeps',
  },
  alternative: {
    errorStyle: 'http400',
    unknownId: 'authorizationNotFound',
    revokedGet: 'notFound',
    revokeRevoked: 'noContent',
    scopes: 'asSent',
    names: 'asSent',
    servicePrincipal: 'forbidden',
    listOrder: 'newestFirstKeyset',
    variableGroupProjectPut: 'refused',
    endpointSecretOmitted: 'wipes',
  },
  mixed: {
    errorStyle: 'http400',
    unknownId: 'http404',
    revokedGet: 'unmarked',
    revokeRevoked: 'noContent',
    scopes: 'normalized',
    names: 'asSent',
    servicePrincipal: 'redirect',
    listOrder: 'newestFirstKeyset',
    variableGroupProjectPut: 'refused',
    endpointSecretOmitted: 'keeps',
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

const DEFAULT_PROFILE: ProfileName = 'server2022';

export function defaultVariant(): ServiceVariant {
  return { ...PROFILES[DEFAULT_PROFILE] };
}

/**
 * HTML encoding as .NET's HtmlEncode does it: the five markup characters by name (`'` as `&#39;`) and the
 * Latin-1 characters U+00A0 to U+00FF as numeric entities.
 */
export function htmlEncode(text: string): string {
  return text.replace(/[&<>"'\u00a0-\u00ff]/g, (c) => {
    const named: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    return named[c] ?? `&#${c.charCodeAt(0)};`;
  });
}

/** Scopes as the variant stores them: lower-cased and sorted, or as sent (whitespace folded). */
export function storeScopes(parts: readonly string[], variant: ServiceVariant): string {
  if (variant.scopes === 'asSent') return parts.join(' ');
  return [...new Set(parts.map((p) => p.toLowerCase()))].sort().join(' ');
}
