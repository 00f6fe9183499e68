//! What travels in AMQP headers beside the envelope: the W3C `traceparent`,
//! the request id that started the work, and the delivery attempt.

use std::time::SystemTime;

use dayone_telemetry::otlp::{self, FinishedSpan, Kind};
use dayone_telemetry::{RequestContext, TraceParent};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

pub const TRACEPARENT: &str = "traceparent";
pub const REQUEST_ID: &str = "x-request-id";
/// 1 for the first delivery, incremented by each retry.
pub const ATTEMPT: &str = "x-dayone-attempt";
/// Why a message was dead-lettered.
pub const REASON: &str = "x-dayone-reason";
/// The queue a dead-lettered message came from.
pub const ORIGINAL_QUEUE: &str = "x-dayone-original-queue";
/// Set on a message an operator replayed from its dead-letter queue: work
/// that ended as failed may be tried again (never work that succeeded).
pub const REPLAYED: &str = "x-dayone-replayed";

/// Headers for a message to `destination` (its routing key) published as
/// part of the current request or message. The message gets a producer
/// span, a child of the current one (or the root of a new trace), which
/// its consumers continue.
pub fn for_publish(destination: &str) -> Vec<(String, String)> {
    let ctx = RequestContext::current().unwrap_or_else(RequestContext::new_root);
    let producer = ctx.trace.child();
    if otlp::wants(&producer) {
        let now = SystemTime::now();
        otlp::record(FinishedSpan {
            name: format!("{destination} publish"),
            kind: Kind::Producer,
            context: producer.clone(),
            parent_span_id: Some(ctx.trace.span_id.clone()),
            start: now,
            end: now,
            attributes: vec![
                ("messaging.system", "rabbitmq".into()),
                ("messaging.operation.type", "send".into()),
                ("messaging.destination.name", destination.into()),
                ("request_id", ctx.request_id.clone().into()),
            ],
            error: None,
        });
    }
    vec![
        (TRACEPARENT.to_owned(), producer.to_header()),
        (REQUEST_ID.to_owned(), ctx.request_id),
    ]
}

pub fn to_field_table(headers: &[(String, String)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (key, value) in headers {
        table.insert(
            ShortString::from(key.as_str()),
            AMQPValue::LongString(LongString::from(value.as_bytes())),
        );
    }
    table
}

pub fn get_str(table: Option<&FieldTable>, key: &str) -> Option<String> {
    match table?.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

pub fn get_u32(table: Option<&FieldTable>, key: &str) -> Option<u32> {
    let value = table?.inner().get(key)?;
    match value {
        AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(*n),
        AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
        AMQPValue::ShortInt(n) => u32::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u32::from(*n)),
        AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok()?.parse().ok(),
        _ => None,
    }
}

/// The publisher's span, when the message carries a valid `traceparent`.
pub fn publisher_of(table: Option<&FieldTable>) -> Option<TraceParent> {
    get_str(table, TRACEPARENT).and_then(|h| TraceParent::parse(&h))
}

/// The context a consumer runs a message in: a child span of the
/// publisher's, or a new trace when the publisher sent none; and the
/// publisher's span id, the parent of the consumer's span.
pub fn context_of(table: Option<&FieldTable>) -> (RequestContext, Option<String>) {
    let publisher = publisher_of(table);
    let trace = publisher
        .as_ref()
        .map_or_else(TraceParent::new_root, TraceParent::child);
    let context = RequestContext {
        request_id: get_str(table, REQUEST_ID).unwrap_or_else(|| trace.trace_id.clone()),
        trace,
        user: Default::default(),
    };
    (context, publisher.map(|p| p.span_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_consumer_continues_the_publishers_trace() {
        let publisher = RequestContext::new_root();
        let headers = publisher
            .clone()
            .scope(async { for_publish("test.message") })
            .await;
        let table = to_field_table(&headers);
        let (consumer, parent) = context_of(Some(&table));
        // The consumer's parent is the producer span the header carries.
        let producer = TraceParent::parse(&headers[0].1).unwrap();
        assert_eq!(parent, Some(producer.span_id));
        assert_eq!(consumer.trace.trace_id, publisher.trace.trace_id);
        assert_ne!(consumer.trace.span_id, publisher.trace.span_id);
        assert_eq!(consumer.request_id, publisher.request_id);
    }

    #[test]
    fn a_message_without_headers_starts_a_new_trace() {
        let (ctx, parent) = context_of(None);
        assert_eq!(ctx.request_id, ctx.trace.trace_id);
        assert_eq!(parent, None);
    }
}
