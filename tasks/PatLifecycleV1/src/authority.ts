/**
 * MSAL configuration for any authority host without discovery requests: the authority's metadata and the
 * cloud discovery metadata are supplied, so a token redemption costs exactly one POST to Entra, whether the
 * host is login.microsoftonline.com, a sovereign cloud, or a local emulator.
 */
export interface AuthorityEndpoints {
  authority: string;
  knownAuthorities: string[];
  authorityMetadata: string;
  cloudDiscoveryMetadata: string;
  tokenEndpoint: string;
}

export function authorityEndpoints(authorityHost: string, tenant: string): AuthorityEndpoints {
  const origin = new URL(authorityHost).origin;
  const host = new URL(authorityHost).host;
  const base = `${origin}/${encodeURIComponent(tenant)}`;
  const tokenEndpoint = `${base}/oauth2/v2.0/token`;
  const metadata = {
    token_endpoint: tokenEndpoint,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    issuer: `${base}/v2.0`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    request_uri_parameter_supported: false,
    tenant_region_scope: null,
    cloud_instance_name: host,
  };
  const discovery = {
    tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
  return {
    authority: base,
    knownAuthorities: [host],
    authorityMetadata: JSON.stringify(metadata),
    cloudDiscoveryMetadata: JSON.stringify(discovery),
    tokenEndpoint,
  };
}
