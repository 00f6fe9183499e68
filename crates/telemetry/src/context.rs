//! The request context: which request (and which W3C trace) the current task
//! works for. The HTTP middleware sets it for a request, a consumer sets it
//! for a message, and publishers read it to put `traceparent` and the request
//! id into the AMQP headers, so one id follows the work across services.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use rand::RngCore;

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// What identifies the unit of work a task is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The gateway's `X-Request-Id` (or one made here when there is none).
    pub request_id: String,
    /// The span this unit of work runs as, within its trace.
    pub trace: TraceParent,
    /// The authenticated user, once the request's token has been verified
    /// (error reports and logs name them).
    pub user: UserSlot,
}

/// Set once per request by whatever authenticates it; shared by the clones
/// of a context so the middleware sees what the handler learned.
#[derive(Debug, Clone, Default)]
pub struct UserSlot(Arc<OnceLock<String>>);

impl UserSlot {
    pub fn set(&self, user: impl fmt::Display) {
        let _ = self.0.set(user.to_string());
    }

    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

impl PartialEq for UserSlot {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for UserSlot {}

impl RequestContext {
    /// Runs `fut` with `self` as the current context.
    pub fn scope<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, fut)
    }

    /// The context of the current task, if it runs inside [`Self::scope`].
    pub fn current() -> Option<RequestContext> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// The current request id, or `None` outside a request or message.
    pub fn current_request_id() -> Option<String> {
        CURRENT.try_with(|c| c.request_id.clone()).ok()
    }

    /// A context for work that nothing upstream started (a timer, a command).
    pub fn new_root() -> Self {
        let trace = TraceParent::new_root();
        Self {
            request_id: trace.trace_id.clone(),
            trace,
            user: UserSlot::default(),
        }
    }

    /// Records the authenticated user of the current request, if any.
    pub fn set_current_user(user: impl fmt::Display) {
        let _ = CURRENT.try_with(|c| c.user.set(user));
    }
}

/// A W3C Trace Context `traceparent` (version 00).
#[derive(Clone, PartialEq, Eq)]
pub struct TraceParent {
    /// 32 lowercase hex digits, not all zero.
    pub trace_id: String,
    /// 16 lowercase hex digits: the span that sent this header.
    pub span_id: String,
    pub sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` header; `None` for anything malformed, so a bad
    /// header starts a new trace instead of failing the request.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !hex(version, 2) || version == "ff" || !hex(trace_id, 32) || !hex(span_id, 16) {
            return None;
        }
        if !hex(flags, 2) || (version == "00" && parts.next().is_some()) {
            return None;
        }
        if trace_id.bytes().all(|b| b == b'0') || span_id.bytes().all(|b| b == b'0') {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
            sampled: flags & 1 == 1,
        })
    }

    /// A new trace with a new root span.
    pub fn new_root() -> Self {
        let mut rng = rand::rng();
        Self {
            trace_id: random_hex(&mut rng, 16),
            span_id: random_hex(&mut rng, 8),
            sampled: true,
        }
    }

    /// A new span in the same trace, whose parent is `self`.
    pub fn child(&self) -> Self {
        Self {
            trace_id: self.trace_id.clone(),
            span_id: random_hex(&mut rand::rng(), 8),
            sampled: self.sampled,
        }
    }

    /// The header value.
    pub fn to_header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            u8::from(self.sampled)
        )
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_header())
    }
}

fn random_hex(rng: &mut impl RngCore, bytes: usize) -> String {
    loop {
        let mut buf = vec![0u8; bytes];
        rng.fill_bytes(&mut buf);
        if buf.iter().any(|b| *b != 0) {
            return buf.iter().map(|b| format!("{b:02x}")).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_w3c_example() {
        let tp =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.span_id, "00f067aa0ba902b7");
        assert!(tp.sampled);
        assert_eq!(
            tp.to_header(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(TraceParent::parse(bad).is_none(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_child_keeps_the_trace_and_changes_the_span() {
        let root = TraceParent::new_root();
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        assert!(TraceParent::parse(&child.to_header()).is_some());
    }

    #[tokio::test]
    async fn the_context_is_visible_inside_its_scope_only() {
        assert!(RequestContext::current().is_none());
        let ctx = RequestContext::new_root();
        let seen = ctx
            .clone()
            .scope(async { RequestContext::current_request_id() })
            .await;
        assert_eq!(seen, Some(ctx.request_id));
    }
}
