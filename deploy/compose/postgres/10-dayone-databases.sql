-- Generated from services.toml by `cargo xtask gen`: do not edit.
-- One database per service, as scripts/stack's create_databases does for the
-- native stack. The official postgres image runs this once, on the first
-- start with an empty data volume, as POSTGRES_USER (PG_USER, "dayone"),
-- who therefore owns the databases. Each service creates its own tables with
-- `<service> migrate` (the *-migrate one-shot containers).
CREATE DATABASE dayone_auth;
CREATE DATABASE dayone_notification;
CREATE DATABASE dayone_scheduler;
CREATE DATABASE dayone_core;
CREATE DATABASE dayone_ops;
