//! End-to-end tests; everything is in `tests/`:
//!
//! - `round_trip.rs`: auth and notification in-process, exchanging a real
//!   message through RabbitMQ (needs only the test infrastructure);
//! - `gateway.rs`: the running test stack through nginx (`make test` starts
//!   it: `scripts/stack test up`), with its CORS and link pages in
//!   `gateway/`;
//! - `browser.rs`: the same stack in headless Chromium through chromedriver
//!   (CORS as a browser enforces it, the emailed-link pages), harness in
//!   `browser/`;
//! - `outage.rs`: stops and starts RabbitMQ and a service of the running
//!   test stack, so it runs on its own, after the others;
//! - `faults.rs`: the fault suite — notifications through the gateway while
//!   one part of the stack fails at a time, counted where they land.
