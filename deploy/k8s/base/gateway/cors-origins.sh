#!/bin/sh
# Renders GATEWAY_CORS_ORIGINS (space-separated exact origins, e.g.
# "https://app.example.com https://admin.example.com"; empty: none) into the
# entries of the gateway's `map $http_origin $dayone_cors_origin`, one line
# per origin, written to $1 (default /tmp/dayone-cors-origins.map).
#
# One renderer for every gateway: scripts/stack runs it for the native stack;
# the compose and Kubernetes gateways mount it as
# /docker-entrypoint.d/15-dayone-cors-origins.sh, which the nginx image runs
# before nginx starts. A value that is not a plain origin (scheme, host,
# optional port; no path, no wildcard, no "null") stops the gateway from
# starting rather than allowing something nobody meant.
set -eu
# The list is split on spaces below, never expanded as file names.
set -f

out=${1:-/tmp/dayone-cors-origins.map}
tmp="$out.new"
: >"$tmp"
for origin in ${GATEWAY_CORS_ORIGINS:-}; do
    if ! printf '%s\n' "$origin" | grep -Eqx 'https?://([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?'; then
        echo "GATEWAY_CORS_ORIGINS: '$origin' is not an origin (scheme://host[:port], nothing after it)" >&2
        rm -f "$tmp"
        exit 1
    fi
    # Browsers send scheme and host in lower case; the map compares strings
    # without case anyway.
    # shellcheck disable=SC2016 # nginx's $http_origin, literally
    printf '    "%s" $http_origin;\n' "$origin" >>"$tmp"
done
mv "$tmp" "$out"
echo "dayone gateway: CORS origins: ${GATEWAY_CORS_ORIGINS:-(none)}"
