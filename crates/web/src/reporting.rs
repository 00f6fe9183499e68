//! Error reporting: every 5xx and every panic goes to Sentry (when a DSN is
//! configured) with the release, environment, request id, trace id and user
//! as tags, and never a request body; each new kind of error also raises an
//! alert through the webhook, at most once per kind per alert window across
//! every replica (see [`crate::alerts`]).
//!
//! A kind is the service, the route and the error code (`auth POST
//! /v1/auth/login internal_error`), and it is also the Sentry fingerprint,
//! so Sentry's issues and our alerts group the same way.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use dayone_telemetry::RequestContext;
use secrecy::ExposeSecret;
use sentry::protocol::{Event, Exception, Level, User, Values};

use crate::alerts::Alerter;
use crate::settings::CommonSettings;

/// Keeps the Sentry client alive; dropping it flushes pending events
/// (`main` holds it until the process exits).
pub struct ReportingGuard(#[allow(dead_code)] Option<sentry::ClientInitGuard>);

/// Starts the Sentry client when `sentry.dsn` is set. Panics anywhere in the
/// process are reported by the client's panic hook; the tags of the request
/// or message the panicking task worked for are added on the way out.
pub fn init(service: &'static str, settings: &CommonSettings) -> ReportingGuard {
    let dsn = settings.sentry.dsn.expose_secret().trim();
    if dsn.is_empty() {
        return ReportingGuard(None);
    }
    let release = settings
        .sentry
        .release
        .clone()
        .unwrap_or_else(|| format!("dayone-{service}@{}", env!("CARGO_PKG_VERSION")));
    let mut options = sentry::ClientOptions::new()
        .release(release)
        .environment(settings.environment.as_str())
        // Never headers, cookies, bodies or client IPs.
        .send_default_pii(false);
    options.dsn = dsn.parse().ok();
    if options.dsn.is_none() {
        tracing::error!("sentry.dsn is not a valid DSN; errors are not reported to Sentry");
        return ReportingGuard(None);
    }
    options.server_name = settings.instance.clone().map(Cow::from);
    options.before_send = Some(Arc::new(move |mut event: Event<'static>| {
        event
            .tags
            .entry("service".into())
            .or_insert_with(|| service.into());
        if let Some(ctx) = RequestContext::current() {
            add_context_tags(&mut event, &ctx);
        }
        event.request = None;
        Some(event)
    }));
    tracing::info!("reporting errors to Sentry");
    ReportingGuard(Some(sentry::init(options)))
}

fn add_context_tags(event: &mut Event<'static>, ctx: &RequestContext) {
    let tags = &mut event.tags;
    tags.entry("request_id".into())
        .or_insert_with(|| ctx.request_id.clone());
    tags.entry("trace_id".into())
        .or_insert_with(|| ctx.trace.trace_id.clone());
    if let Some(user) = ctx.user.get() {
        tags.entry("user_uuid".into())
            .or_insert_with(|| user.to_owned());
        event.user.get_or_insert_with(|| User {
            id: Some(user.to_owned()),
            ..Default::default()
        });
    }
}

/// A server error as the middleware saw it.
#[derive(Debug, Clone)]
pub struct ServerError {
    pub method: String,
    pub route: String,
    pub status: u16,
    /// The stable error code (`internal_error`), or `panic`.
    pub code: String,
    /// The internal cause, for Sentry and the logs (never sent to clients).
    pub cause: String,
    pub panicked: bool,
}

/// Sends server errors to Sentry and the alert webhook.
#[derive(Clone)]
pub struct ErrorReporter {
    service: &'static str,
    alerter: Alerter,
}

impl ErrorReporter {
    pub fn new(service: &'static str, alerter: Alerter) -> Self {
        Self { service, alerter }
    }

    pub fn kind(&self, error: &ServerError) -> String {
        format!(
            "{} {} {} {}",
            self.service, error.method, error.route, error.code
        )
    }

    /// Reports one server error of the request `ctx`. The Sentry event is
    /// queued (the client sends in the background) and the alert is raised
    /// on a spawned task, so the response is not held up.
    pub fn report(&self, error: ServerError, ctx: &RequestContext) {
        let kind = self.kind(&error);
        // A panic was captured by the client's panic hook already.
        if !error.panicked {
            let mut event = Event {
                level: Level::Error,
                message: Some(format!(
                    "{} {} answered {}",
                    error.method, error.route, error.status
                )),
                fingerprint: Cow::Owned(vec![Cow::Owned(kind.clone())]),
                exception: Values::from(vec![Exception {
                    ty: error.code.clone(),
                    value: Some(error.cause.clone()),
                    ..Default::default()
                }]),
                tags: BTreeMap::from([
                    ("route".to_owned(), error.route.clone()),
                    ("method".to_owned(), error.method.clone()),
                    ("status".to_owned(), error.status.to_string()),
                ]),
                ..Default::default()
            };
            add_context_tags(&mut event, ctx);
            sentry::capture_event(event);
        }
        let text = format!(
            "{} {} answered {} ({}); request {}, trace {}",
            error.method, error.route, error.status, error.code, ctx.request_id, ctx.trace.trace_id
        );
        let alerter = self.alerter.clone();
        actix_web::rt::spawn(async move {
            alerter.raise(&format!("error:{kind}"), &text).await;
        });
    }
}
