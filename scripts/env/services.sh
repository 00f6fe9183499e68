# Generated from services.toml by `cargo xtask gen`: do not edit.
# The services for the shell scripts (sourced by scripts/stack): names in
# start order, port offsets, their own path (/ready is under it) and database.
SERVICES=(auth notification scheduler core ops)
declare -A SERVICE_PORT=([auth]=1 [notification]=2 [scheduler]=3 [core]=4 [ops]=5)
declare -A SERVICE_PATH=([auth]=/v1/auth [notification]=/v1/notifications [scheduler]=/v1/scheduler [core]=/v1/core [ops]=/v1/ops)
declare -A SERVICE_DATABASE=([auth]=dayone_auth [notification]=dayone_notification [scheduler]=dayone_scheduler [core]=dayone_core [ops]=dayone_ops)
OPENAPI_DOCUMENTS=(/v1/auth/openapi.json /v1/notifications/openapi.json /v1/scheduler/openapi.json /v1/openapi.json /v2/openapi.json /v1/ops/openapi.json)
