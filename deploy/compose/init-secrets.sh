#!/usr/bin/env bash
# Creates the secret files docker-compose.yml mounts (deploy/compose/secrets/
# <name>, one value per file, read by the services as APP_*_FILE) from the
# committed templates <name>.example. Never overwrites an existing file.
#
#   deploy/compose/init-secrets.sh            # development values (the same
#                                             # dev-insecure-* defaults as `make up`)
#   deploy/compose/init-secrets.sh --random   # strong random passwords and tokens
#                                             # and a fresh Ed25519 signing key
#
# With --random the stack can run with APP_ENVIRONMENT=production; the
# templates that are empty (SMTP password, APNs/FCM keys, Sentry DSN, alert
# webhook, search password) stay empty and are filled in by hand when used.
#
# Permissions: the directory is 0700 (other users of the host cannot reach the
# files) and the files 0644, because compose bind-mounts them as they are and
# the containers read them as their own users (postgres, rabbitmq, redis,
# 65532 for the services), not as the owner of the file.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
MODE=dev
case ${1:-} in
    "") ;;
    --random) MODE=random ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "usage: $0 [--random]" >&2; exit 2 ;;
esac

random_value() { openssl rand -hex 32; }

# Files whose template is a development value and that get a random value
# with --random; every other template is copied as it is (empty).
generated=(pg_password rabbitmq_password redis_password auth_otp_pepper
    notification_service_token notification_unsubscribe_secret grafana_admin_password)

if [[ $MODE == random ]] && ! command -v openssl >/dev/null; then
    echo "openssl is needed for --random" >&2
    exit 1
fi

chmod 0700 "$DIR"
created=0
for template in "$DIR"/*.example; do
    name=$(basename "$template" .example)
    target="$DIR/$name"
    [[ -e $target ]] && continue
    if [[ $MODE == random && $name == auth_signing_key ]]; then
        openssl genpkey -algorithm ed25519 >"$target"
    elif [[ $MODE == random && " ${generated[*]} " == *" $name "* ]]; then
        random_value >"$target"
    elif [[ $MODE == random && $name == sms_*_auth_token ]]; then
        # Only checked when the SMS provider is twilio; fill in the real token then.
        : >"$target"
    else
        cp "$template" "$target"
    fi
    chmod 0644 "$target"
    echo "created $target"
    created=$((created + 1))
done
echo "$created secret file(s) created in $DIR ($MODE values); existing files were kept."
