//! Local stand-ins for the SaaS Dayone talks to but cannot run here. The
//! real client code talks to them over HTTP; they check each request the
//! way the provider would and answer with the provider's real shapes:
//!
//! - `sms.rs`: an SMS gateway with Twilio's Messages API;
//! - `fcm.rs`: Firebase Cloud Messaging HTTP v1 and the OAuth 2.0 token
//!   endpoint a service account's JWT is exchanged at;
//! - `apns.rs`: Apple Push Notification service over HTTP/2 (h2c here);
//! - `slack.rs`: a Slack incoming webhook (where alerts go);
//! - `sentry.rs`: Sentry's event ingest (envelopes);
//! - `otlp.rs`: an OpenTelemetry collector's OTLP/HTTP trace receiver;
//! - `smtp.rs`: a fast SMTP sink that counts messages, for benchmarks;
//! - `oidc.rs`: OpenID Connect providers (`/oidc/{tenant}`) and GitHub's
//!   OAuth apps (`/github`), for sign-in with a provider.
//!
//! Tests read what arrived at `GET /_fake/{sms,fcm,apns,slack,sentry,spans}` and script
//! failures with `POST /_fake/fail` and `POST /_fake/unregistered`. Bodies
//! are never logged: SMS carry login codes.

mod apns;
mod control;
mod fcm;
mod http;
mod oidc;
mod otlp;
mod sentry;
mod slack;
mod sms;
mod smtp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use http::Request;
pub use smtp::SmtpSink;

/// Keys the fakes verify signatures with (unset: only the shape is checked).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    /// PEM of the public key matching the APNs `.p8` key (ES256).
    pub apns_public_key: Option<String>,
    /// PEM of the public key of the FCM service account (RS256).
    pub fcm_public_key: Option<String>,
}

/// One request that reached a fake, as tests read it back.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub at: chrono::DateTime<chrono::Utc>,
    /// HTTP version the request came over (`HTTP/2.0` for APNs).
    pub version: String,
    pub path: String,
    pub headers: Value,
    pub body: Value,
    /// The status the fake answered with.
    pub status: u16,
}

/// A scripted failure: the next `times` requests to `channel` get `status`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Failure {
    pub channel: String,
    pub status: u16,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

pub(crate) struct State {
    pub(crate) keys: Keys,
    pub(crate) oidc_key: oidc::SigningKey,
    pub(crate) providers: oidc::Providers,
    pub(crate) sms: Vec<Received>,
    /// SMS idempotency keys seen, with their first answer.
    pub(crate) sms_keys: std::collections::HashMap<String, Value>,
    pub(crate) fcm: Vec<Received>,
    pub(crate) apns: Vec<Received>,
    pub(crate) slack: Vec<Received>,
    pub(crate) sentry: Vec<Received>,
    pub(crate) spans: Vec<Received>,
    pub(crate) tokens: Vec<String>,
    pub(crate) failures: Vec<Failure>,
    /// Device tokens the providers report unregistered, per channel.
    pub(crate) unregistered: Vec<(String, String)>,
}

impl State {
    fn new(keys: Keys) -> std::io::Result<Self> {
        Ok(Self {
            keys,
            oidc_key: oidc::SigningKey::generate()?,
            providers: oidc::Providers::default(),
            sms: Vec::new(),
            sms_keys: std::collections::HashMap::new(),
            fcm: Vec::new(),
            apns: Vec::new(),
            slack: Vec::new(),
            sentry: Vec::new(),
            spans: Vec::new(),
            tokens: Vec::new(),
            failures: Vec::new(),
            unregistered: Vec::new(),
        })
    }

    /// Forgets what arrived and what was scripted; keeps the keys (clients
    /// cache the provider's JWKS).
    pub(crate) fn reset(&mut self) {
        self.providers = oidc::Providers::default();
        self.sms.clear();
        self.sms_keys.clear();
        self.fcm.clear();
        self.apns.clear();
        self.slack.clear();
        self.sentry.clear();
        self.spans.clear();
        self.tokens.clear();
        self.failures.clear();
        self.unregistered.clear();
    }
}

impl State {
    /// What reached one fake (`sms`, `fcm`, `apns`, `slack`, `sentry`,
    /// `spans`); `None` for any other name.
    pub(crate) fn channel(&self, name: &str) -> Option<&Vec<Received>> {
        match name {
            "sms" => Some(&self.sms),
            "fcm" => Some(&self.fcm),
            "apns" => Some(&self.apns),
            "slack" => Some(&self.slack),
            "sentry" => Some(&self.sentry),
            "spans" => Some(&self.spans),
            _ => None,
        }
    }

    /// Takes one scripted failure for `channel`, if any.
    pub(crate) fn take_failure(&mut self, channel: &str) -> Option<u16> {
        let failure = self
            .failures
            .iter_mut()
            .find(|f| f.channel == channel && f.times > 0)?;
        failure.times -= 1;
        Some(failure.status)
    }

    pub(crate) fn is_unregistered(&self, channel: &str, token: &str) -> bool {
        self.unregistered
            .iter()
            .any(|(c, t)| c == channel && t == token)
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

/// What a long-running `make up` keeps of the chatty fakes (spans, error
/// events): the most recent entries only.
const KEEP: usize = 10_000;

pub(crate) fn keep_recent(list: &mut Vec<Received>, item: Received) {
    if list.len() >= KEEP {
        list.drain(..KEEP / 10);
    }
    list.push(item);
}

/// A running fake server.
pub struct FakeSaas {
    pub addr: SocketAddr,
    state: Shared,
    task: JoinHandle<()>,
}

impl FakeSaas {
    /// Serves HTTP/1.1 and HTTP/2 (prior knowledge) on `addr` (port 0 picks
    /// one) until dropped.
    pub async fn start(addr: SocketAddr, keys: Keys) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(State::new(keys)?));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| http::handle(state.clone(), req));
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What reached one fake (`sms`, `fcm`, `apns`, `slack`, `sentry`, `spans`).
    pub fn received(&self, channel: &str) -> Vec<Received> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.channel(channel).cloned().unwrap_or_default()
    }

    /// The next `times` requests to `channel` fail with `status`.
    pub fn fail(&self, channel: &str, status: u16, times: u32) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failures.push(Failure {
            channel: channel.into(),
            status,
            times,
        });
    }

    /// The provider reports this device token unregistered from now on.
    pub fn unregister(&self, channel: &str, token: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.unregistered.push((channel.into(), token.into()));
    }
}

impl Drop for FakeSaas {
    fn drop(&mut self) {
        self.task.abort();
    }
}
