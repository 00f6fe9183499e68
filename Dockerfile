# syntax=docker/dockerfile:1
#
# One image per Dayone service, from one Dockerfile:
#
#   docker build --build-arg SERVICE=<name> -t dayone/<name>:local .
#   (SERVICE: a folder of services/, as listed in services.toml)
#
# Stages:
#   chef     Rust toolchain + cargo-chef (build tools live only here)
#   planner  reduces the workspace to a "recipe" (manifests + Cargo.lock)
#   builder  compiles the dependencies from the recipe (a layer that is reused
#            until a manifest or Cargo.lock changes), then the service itself
#   api-reference  Swagger UI from npm (tools/api-reference, locked), whose
#            three files the console service serves at /docs/
#   runtime  distroless: glibc, libgcc, CA certificates and our binary; no
#            shell, no package manager, no compiler, runs as uid 65532
#
# The image holds no secret: the settings files carry only development defaults
# (prefixed `dev-insecure-`, which APP_ENVIRONMENT=production refuses), and
# config/dev-keys/ is excluded by .dockerignore. Secrets arrive at run time as
# APP_*_FILE files (compose secrets, Kubernetes Secrets); see deploy/README.md.

ARG RUST_VERSION=1.95
ARG DEBIAN_CODENAME=bookworm

# ---------------------------------------------------------------- chef
FROM rust:${RUST_VERSION}-${DEBIAN_CODENAME} AS chef
# cmake: aws-lc-sys (rustls' crypto provider, via jsonwebtoken and lettre)
# falls back to a CMake build on some targets; having it avoids a surprise.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake \
 && rm -rf /var/lib/apt/lists/*
# Pinned: a recipe is only valid for the cargo-chef version that cooks it.
# 0.1.71+ understands edition 2024 / resolver 3 workspaces.
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

# ---------------------------------------------------------------- planner
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json
# SERVICE must name a service: a folder of services/ with its Cargo.toml.
# Checked here, where the sources are, before the builder cooks anything.
ARG SERVICE
RUN case "${SERVICE}" in ""|*[!a-z0-9]*) false ;; esac && test -f "services/${SERVICE}/Cargo.toml" \
 || { echo "build with --build-arg SERVICE=<a folder of services/> (got '${SERVICE}'); one of:" $(ls services) >&2; exit 1; }

# ---------------------------------------------------------------- builder
FROM chef AS builder
ARG SERVICE
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only, for exactly the package we build (same feature set as
# the final `cargo build` below, so nothing is compiled twice). This layer is
# cached per SERVICE until Cargo.toml/Cargo.lock change.
RUN cargo chef cook --release --recipe-path recipe.json --package "dayone-${SERVICE}"
COPY . .
# The binary goes to a fixed path (/app/service) so HEALTHCHECK, ENTRYPOINT
# and the Kubernetes manifests are the same for every service; /app/<name>
# is a symlink to it for humans reading `ls /app`.
RUN cargo build --release --locked --package "dayone-${SERVICE}" --bin "${SERVICE}" \
 && mkdir -p /out/app \
 && install -m 0755 "target/release/${SERVICE}" /out/app/service \
 && ln -s service "/out/app/${SERVICE}"

# ---------------------------------------------------------------- api-reference
FROM node:20-${DEBIAN_CODENAME}-slim AS api-reference
WORKDIR /src
COPY tools/api-reference/package.json tools/api-reference/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && mkdir -p /out \
 && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js \
       node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
       node_modules/swagger-ui-dist/swagger-ui.css /out/

# ---------------------------------------------------------------- runtime
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="dayone-${SERVICE}" \
      org.opencontainers.image.description="Dayone ${SERVICE} service" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
# Binary and settings are owned by root and read-only for the service user.
COPY --from=builder /out/app/ /app/
COPY config/*.yaml /app/config/
COPY services/${SERVICE}/config.yaml /app/config/${SERVICE}.yaml
# 2 MB of static files every image carries so that one Dockerfile stays one:
# only ops serves them (APP_OPS__DOCS_ASSETS_DIR).
COPY --from=api-reference /out/ /app/api-reference/
# The image defaults to production: a container started without explicit
# configuration refuses the development secrets instead of running with
# them. docker-compose.yml sets APP_ENVIRONMENT=local for laptops.
# Inside a container the service must listen on all interfaces; the fixed
# ports 8080 (HTTP) and 9090 (metrics) override the service's config.yaml
# native ports (8101.., 9101..) so every image looks the same from outside.
ENV APP_CONFIG_DIR=/app/config \
    APP_ENVIRONMENT=production \
    APP_APPLICATION__HOST=0.0.0.0 \
    APP_APPLICATION__PORT=8080 \
    APP_APPLICATION__METRICS_PORT=9090 \
    DAYONE_SERVICE=${SERVICE}
# 65532 is distroless' "nonroot"; numeric so Kubernetes' runAsNonRoot can
# verify it without a passwd lookup.
USER 65532:65532
EXPOSE 8080 9090
# `healthcheck` GETs http://127.0.0.1:$APP_APPLICATION__PORT/health and exits
# 0 on 200 (no shell or curl in a distroless image, so the binary probes
# itself). Liveness only: readiness (/ready) is for load balancers.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/app/service", "healthcheck"]
ENTRYPOINT ["/app/service"]
CMD ["serve"]
