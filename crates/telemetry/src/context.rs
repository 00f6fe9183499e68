//! The request context: which request (and which W3C trace) the current task
//! works for. The HTTP middleware sets it for a request, a consumer sets it
//! for a message, and publishers read it to put `traceparent` and the request
//! id into the AMQP headers, so one id follows the work across services.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
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
        let trace_id = random_hex(&mut rng, 16);
        Self {
            sampled: sampled(&trace_id),
            trace_id,
            span_id: random_hex(&mut rng, 8),
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

    /// A child of a trace that a hop exporting no spans (the gateway) has
    /// started: that hop could not make the sampling decision, so this span,
    /// the first that can be exported, makes it as a new root would.
    pub fn child_deciding(&self) -> Self {
        Self {
            sampled: sampled(&self.trace_id),
            ..self.child()
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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let buf = &mut buf[..bytes];
    loop {
        rng.fill_bytes(buf);
        if buf.iter().any(|b| *b != 0) {
            let mut hex = String::with_capacity(bytes * 2);
            for b in buf.iter() {
                hex.push(char::from(DIGITS[usize::from(b >> 4)]));
                hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
            }
            return hex;
        }
    }
}

/// The share of new traces that are sampled (exported), as the bits of an
/// `f64`; 1.0 until [`set_sample_ratio`] says otherwise.
static SAMPLE_RATIO: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000);

/// Sets the share of new root traces that are sampled, clamped to 0..=1.
/// A trace that arrives with a `traceparent` keeps its caller's decision,
/// so a trace is exported whole or not at all (OpenTelemetry's
/// `parentbased_traceidratio`).
pub fn set_sample_ratio(ratio: f64) {
    let ratio = if ratio.is_nan() {
        1.0
    } else {
        ratio.clamp(0.0, 1.0)
    };
    SAMPLE_RATIO.store(ratio.to_bits(), Ordering::Relaxed);
}

/// Whether a new trace with this id is sampled: its last 16 hex digits,
/// read as a number, fall below the ratio's share of the range (so the
/// decision follows from the id, as in OpenTelemetry's `TraceIdRatioBased`).
fn sampled(trace_id: &str) -> bool {
    let ratio = f64::from_bits(SAMPLE_RATIO.load(Ordering::Relaxed));
    if ratio >= 1.0 {
        return true;
    }
    let low = trace_id
        .get(trace_id.len().saturating_sub(16)..)
        .and_then(|tail| u64::from_str_radix(tail, 16).ok())
        .unwrap_or(0);
    (low as f64) < ratio * (u64::MAX as f64)
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

    #[test]
    fn a_ratio_samples_that_share_of_new_traces_and_children_follow_their_root() {
        let count = |n: usize| (0..n).filter(|_| TraceParent::new_root().sampled).count();
        assert_eq!(count(1000), 1000, "every trace is sampled by default");
        set_sample_ratio(0.25);
        let share = count(20_000) as f64 / 20_000.0;
        let unsampled = (0..100)
            .map(|_| TraceParent::new_root())
            .find(|t| !t.sampled)
            .unwrap();
        set_sample_ratio(0.0);
        let none = count(1000);
        let gateway_root =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let (kept, decided) = (gateway_root.child(), gateway_root.child_deciding());
        set_sample_ratio(1.0);
        assert!(kept.sampled, "a caller's decision is kept");
        assert!(
            !decided.sampled,
            "a trace the gateway started is decided here"
        );
        assert_eq!(decided.trace_id, gateway_root.trace_id);
        assert!((0.22..0.28).contains(&share), "sampled share {share}");
        assert_eq!(none, 0);
        assert!(!unsampled.child().sampled, "a child follows its root");
        assert!(unsampled.to_header().ends_with("-00"));
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
