#!/usr/bin/env bash
# The baseline the benchmark compares `PatLifecycle@1 operation=rotate authorizationId=...` with: the same
# four calls as a plain script would make them, one curl process per call (so one TLS handshake per call).
#   1. POST {authority}/{tenant}/oauth2/v2.0/token   refresh token -> access token
#   2. GET  {serviceUrl}/_apis/tokens/pats?authorizationId=ID   the old PAT's name and scope
#   3. POST {serviceUrl}/_apis/tokens/pats   the replacement, same name and scope, 30 days
#   4. DELETE {serviceUrl}/_apis/tokens/pats?authorizationId=ID   the old PAT
# Inputs (environment): AUTHORITY_HOST TENANT_ID CLIENT_ID REFRESH_TOKEN SERVICE_URL AUTHORIZATION_ID CA_FILE.
# JSON fields are read with jq when it is installed, else with sed. Prints the new authorization ID.
set -euo pipefail

API='api-version=7.1-preview.1'
PATS="$SERVICE_URL/_apis/tokens/pats"
SCOPE='499b84ac-1321-427f-aa17-267ca6975798/.default offline_access'

# field JSON NAME: the first string value of "NAME" anywhere in JSON.
if command -v jq >/dev/null 2>&1; then
  field() { jq -r --arg k "$2" 'first(.. | objects | select(has($k)) | .[$k]) // empty' <<<"$1"; }
else
  field() { sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" <<<"$1" | head -n 1; }
fi

call() { curl --silent --show-error --fail-with-body --cacert "$CA_FILE" "$@"; }

token_json=$(call -X POST "$AUTHORITY_HOST/$TENANT_ID/oauth2/v2.0/token" \
  --data-urlencode grant_type=refresh_token \
  --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "refresh_token=$REFRESH_TOKEN" \
  --data-urlencode "scope=$SCOPE")
access_token=$(field "$token_json" access_token)
auth=(-H "Authorization: Bearer $access_token" -H 'Accept: application/json')

old_json=$(call "${auth[@]}" "$PATS?authorizationId=$AUTHORIZATION_ID&$API")
name=$(field "$old_json" displayName)
scope=$(field "$old_json" scope)
valid_to=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)

new_json=$(call "${auth[@]}" -X POST -H 'Content-Type: application/json' \
  --data "{\"displayName\":\"$name\",\"scope\":\"$scope\",\"validTo\":\"$valid_to\",\"allOrgs\":false}" \
  "$PATS?$API")
new_id=$(field "$new_json" authorizationId)
[ -n "$new_id" ] || { echo "create failed: $new_json" >&2; exit 1; }

call "${auth[@]}" -X DELETE "$PATS?authorizationId=$AUTHORIZATION_ID&$API" >/dev/null
echo "$new_id"
