//! The JSON line format: one flat object per event, with the fields of every
//! enclosing span merged in (outermost first, inner spans win), so a line
//! logged deep inside a handler still carries `request_id` and `trace_id` at
//! the top level where a log shipper and Kibana look for them.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// Span fields, stored in each span's extensions by [`JsonLayer`].
struct SpanFields(Fields);

/// Field values by name (field names are static in `tracing`).
type Fields = BTreeMap<&'static str, Value>;

/// Writes each event as one JSON line (to stdout unless told otherwise).
pub struct JsonLayer<W = fn() -> std::io::Stdout> {
    service: &'static str,
    instance: Option<String>,
    make_writer: W,
}

impl JsonLayer {
    /// Lines of `service`, naming `instance` (`auth-1`) when it has a name.
    pub fn new(service: &'static str, instance: Option<String>) -> Self {
        Self::with_writer(service, instance, std::io::stdout)
    }
}

impl<W> JsonLayer<W> {
    pub fn with_writer(service: &'static str, instance: Option<String>, make_writer: W) -> Self {
        Self {
            service,
            instance,
            make_writer,
        }
    }
}

struct JsonVisitor<'a>(&'a mut Fields);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The whole cause chain: the top message alone rarely says why.
        let mut chain = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        self.0.insert(field.name(), Value::String(chain));
    }
}

/// One value of a line, borrowed from wherever it lives.
enum Entry<'a> {
    Str(&'a str),
    Value(&'a Value),
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Str(s) => serializer.serialize_str(s),
            Entry::Value(v) => v.serialize(serializer),
        }
    }
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut JsonVisitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // The line borrows every value where it lives (the spans' stored
        // fields, the event's), so writing a line copies nothing twice.
        let meta = event.metadata();
        let timestamp = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let spans: Vec<_> = ctx
            .event_scope(event)
            .map(|scope| scope.from_root().collect())
            .unwrap_or_default();
        let extensions: Vec<_> = spans.iter().map(|span| span.extensions()).collect();
        let mut event_fields = Fields::new();
        event.record(&mut JsonVisitor(&mut event_fields));

        let mut line: BTreeMap<&str, Entry<'_>> = BTreeMap::new();
        line.insert("timestamp", Entry::Str(&timestamp));
        line.insert("level", Entry::Str(meta.level().as_str()));
        line.insert("service", Entry::Str(self.service));
        if let Some(instance) = &self.instance {
            line.insert("instance", Entry::Str(instance));
        }
        line.insert("target", Entry::Str(meta.target()));
        // Outermost first, so inner spans win, and the event's own fields
        // win over all.
        for fields in extensions.iter().filter_map(|e| e.get::<SpanFields>()) {
            for (k, v) in &fields.0 {
                line.insert(k, Entry::Value(v));
            }
        }
        if let Some(span) = spans.last() {
            line.insert("span", Entry::Str(span.name()));
        }
        for (k, v) in &event_fields {
            line.insert(k, Entry::Value(v));
        }
        // One write per line, so concurrent lines never interleave.
        let mut bytes = Vec::with_capacity(512);
        if serde_json::to_writer(&mut bytes, &line).is_ok() {
            bytes.push(b'\n');
            let _ = self.make_writer.make_writer().write_all(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_logged_in_a_nested_span_carries_the_outer_spans_fields_at_the_top() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::registry()
                .with(JsonLayer::with_writer("auth", None, move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!(
                "http_request",
                request_id = "req-1",
                route = tracing::field::Empty
            );
            let _r = request.enter();
            request.record("route", "/v1/auth/login");
            let inner = tracing::info_span!("verify_password", user_id = 42);
            let _i = inner.enter();
            tracing::warn!(attempts = 3, "too many attempts");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["request_id"], "req-1");
        assert_eq!(line["route"], "/v1/auth/login");
        assert_eq!(line["user_id"], 42);
        assert_eq!(line["attempts"], 3);
        assert_eq!(line["message"], "too many attempts");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["service"], "auth");
        assert_eq!(line["span"], "verify_password");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
