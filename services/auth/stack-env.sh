# Sourced by scripts/stack (service_env): the auth service's settings on a
# native stack, printed as NAME=value lines. Sign-in with a provider goes to
# the fake SaaS (crates/fakes): `example`, an OpenID Connect provider, and
# `github`. Its sign-in page is the authorize URL plus who signs in, e.g.
# `&fake_sub=1&fake_email=you@example.com`.
if [[ -n ${FAKES_PORT:-} ]]; then
    fakes="http://127.0.0.1:$FAKES_PORT"
    echo "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__KIND=oidc"
    echo "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__ISSUER=$fakes/oidc/example"
    echo "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__CLIENT_ID=dayone-dev"
    echo "APP_AUTH__OAUTH__PROVIDERS__EXAMPLE__CLIENT_SECRET=dev-insecure-example-client-secret"
    echo "APP_AUTH__OAUTH__PROVIDERS__GITHUB__KIND=github"
    echo "APP_AUTH__OAUTH__PROVIDERS__GITHUB__CLIENT_ID=dayone-dev"
    echo "APP_AUTH__OAUTH__PROVIDERS__GITHUB__CLIENT_SECRET=dev-insecure-github-client-secret"
    echo "APP_AUTH__OAUTH__PROVIDERS__GITHUB__WEB_URL=$fakes/github"
    echo "APP_AUTH__OAUTH__PROVIDERS__GITHUB__API_URL=$fakes/github/api"
fi
