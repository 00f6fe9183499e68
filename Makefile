# Dayone: the two commands a new engineer needs are `make up` and `make test`.
# Everything runs natively (no Docker needed); see README.md.

SHELL := /bin/bash
REPLICAS ?= 1
PROFILE ?= debug
export REPLICAS PROFILE

.PHONY: up down status logs test test-infra test-down admin lint fmt build check-deploy api-check client bench bench-auth bench-notification bench-revocations bench-search

## Install what is missing, start the infrastructure, the services and the gateway.
up:
	@scripts/stack local up

## Stop exactly what `make up` started.
down:
	@scripts/stack local down

status:
	@scripts/stack local status

## Follow the logs (all, or one: make logs SERVICE=auth).
logs:
	@scripts/stack local logs $(SERVICE)

## Everything: unit, black-box against real servers, gateway and fault tests.
test:
	@scripts/test

## Only the test infrastructure (for running `cargo nextest run` by hand).
test-infra:
	@scripts/stack test infra-up

test-down:
	@scripts/stack test down

## Create an admin on the running local stack: make admin EMAIL=a@b.c PASSWORD=...
admin:
	@test -n "$(EMAIL)" -a -n "$(PASSWORD)" || { echo "usage: make admin EMAIL=... PASSWORD=..."; exit 2; }
	@scripts/stack local admin "$(EMAIL)" "$(PASSWORD)"

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

build:
	cargo build --workspace --bins

## The typed TypeScript client of every API, from the running local stack.
client:
	@scripts/client local

## The OpenAPI documents against the running test stack (schemathesis).
api-check:
	@scripts/api-check

## Static checks of Dockerfile, docker-compose.yml, deploy/k8s, firewall, Prometheus rules.
check-deploy:
	@scripts/check-deploy

## Every performance figure on a release build, in one command (a quiet machine, please).
bench:
	@scripts/bench

## The revocation list: 1,000,000 revoked sessions loaded from Redis.
bench-revocations:
	scripts/stack test infra-up
	cargo run --release -p dayone-bench --bin bench-revocations

## Benchmarks against the running local stack (best with PROFILE=release make up).
bench-auth:
	cargo run --release -p dayone-bench --bin bench-auth -- --gateway http://127.0.0.1:8080

## The notification pipeline: emails/s to a fast SMTP sink (and its ceiling), jobs/s with the no-op provider.
bench-notification:
	scripts/stack test infra-up
	cargo run --release -p dayone-bench --bin bench-notification -- --jobs 10000

## Search over 100,000 products: tantivy vs PostgreSQL ILIKE and full-text.
bench-search:
	scripts/stack test infra-up
	cargo run --release -p dayone-bench --bin bench-search
