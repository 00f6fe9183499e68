# Sourced by scripts/stack (service_env): the ops service's settings on a
# native stack, printed as NAME=value lines. The console reaches the other
# services' APIs through this stack's gateway; Swagger UI comes from npm
# (scripts/stack install).
echo "APP_OPS__API_URL=http://127.0.0.1:$GATEWAY_PORT"
echo "APP_OPS__DOCS_ASSETS_DIR=$ROOT/tools/api-reference/node_modules/swagger-ui-dist"
