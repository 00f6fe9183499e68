//! Messages between services: every message is a JSON [`Envelope`] whose `id`
//! is the idempotency key, whose `type` is also its routing key, and whose
//! `version` lets a consumer refuse a payload shape it does not know.

pub mod audit;
pub mod catalog;
pub mod notifications;
pub mod tasks;
pub mod users;

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// A message payload with a stable name and version.
pub trait Contract: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The `type` field and the routing key, e.g. `user.registered`.
    const TYPE: &'static str;
    /// Bumped on an incompatible change of the payload.
    const VERSION: u32;
}

/// The envelope every message travels in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<P> {
    /// Unique per message; consumers use it to drop redeliveries.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    pub occurred_at: Timestamp,
    pub payload: P,
}

/// An envelope whose payload has not been decoded yet.
pub type RawEnvelope = Envelope<serde_json::Value>;

impl<P: Contract> Envelope<P> {
    pub fn new(payload: P) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: P::TYPE.to_owned(),
            version: P::VERSION,
            occurred_at: Utc::now(),
            payload,
        }
    }
}

/// Why a raw envelope could not become a typed one.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("expected a `{expected}` message, got `{found}`")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("`{kind}` version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        kind: &'static str,
        supported: u32,
        found: u32,
    },
    #[error("malformed payload: {0}")]
    Payload(serde_json::Error),
}

impl RawEnvelope {
    /// Parses the JSON body of a message.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// Decodes the payload as `P`, checking type and version first.
    pub fn decode<P: Contract>(self) -> Result<Envelope<P>, DecodeError> {
        if self.kind != P::TYPE {
            return Err(DecodeError::WrongType {
                expected: P::TYPE,
                found: self.kind,
            });
        }
        if self.version != P::VERSION {
            return Err(DecodeError::UnsupportedVersion {
                kind: P::TYPE,
                supported: P::VERSION,
                found: self.version,
            });
        }
        Ok(Envelope {
            payload: serde_json::from_value(self.payload).map_err(DecodeError::Payload)?,
            id: self.id,
            kind: self.kind,
            version: self.version,
            occurred_at: self.occurred_at,
        })
    }
}

impl<P: Contract> Envelope<P> {
    /// The envelope with its payload as JSON, as the outbox stores it.
    pub fn into_raw(self) -> Result<RawEnvelope, serde_json::Error> {
        Ok(Envelope {
            payload: serde_json::to_value(self.payload)?,
            id: self.id,
            kind: self.kind,
            version: self.version,
            occurred_at: self.occurred_at,
        })
    }
}
