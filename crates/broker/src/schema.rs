//! Tables the broker crate needs in every service's database. Each service's
//! first migration runs [`MESSAGING_TABLES`], and a later one
//! [`OUTBOX_PENDING_BY_ID`].

/// The transactional outbox and the processed-message record.
pub const MESSAGING_TABLES: &str = r#"
-- Messages written in the same transaction as the change they report; the
-- relay publishes them with confirms and stamps published_at.
CREATE TABLE outbox_messages (
    id              BIGSERIAL PRIMARY KEY,
    message_id      UUID NOT NULL UNIQUE,
    exchange        TEXT NOT NULL,
    routing_key     TEXT NOT NULL,
    body            JSONB NOT NULL,
    headers         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    published_at    TIMESTAMPTZ
);
-- The relay only ever scans the unpublished rows.
CREATE INDEX outbox_messages_pending_idx ON outbox_messages (next_attempt_at, id)
    WHERE published_at IS NULL;

-- One row per (consumer, message) whose effect was committed: written in the
-- same transaction as that effect, so a redelivery finds it and does nothing.
CREATE TABLE processed_messages (
    consumer     TEXT NOT NULL,
    message_id   UUID NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX processed_messages_processed_at_idx ON processed_messages (processed_at);
"#;

/// The relay takes the oldest due rows (`ORDER BY id`). Indexed by
/// `(next_attempt_at, id)`, that order could not come from the pending rows'
/// index, and once the planner's statistics lagged (as after any burst) it
/// walked the primary key through every published row instead: 82 ms a poll
/// at 120,000 rows, on every poll of every instance. Indexed by `id`, a poll
/// reads only the pending rows, in order. The index holds only unpublished
/// rows, so building it is quick even on a large table.
pub const OUTBOX_PENDING_BY_ID: &str = r#"
CREATE INDEX IF NOT EXISTS outbox_messages_pending_id_idx ON outbox_messages (id)
    WHERE published_at IS NULL;
DROP INDEX IF EXISTS outbox_messages_pending_idx;
"#;
