//! Admin actions, reported by the service that did them for the audit log
//! (kept by the owner of the queue bound to them in services.toml).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;

/// An admin changed something through a service's API. The envelope's
/// `occurred_at` is when; its id keeps a redelivery from being logged twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminActed {
    /// Who: the admin's user id (the token's subject), or the id of the
    /// API key used.
    pub actor_uuid: Uuid,
    /// What, as `<thing>.<verb>`: `user.disable`, `job.run`,
    /// `dead_letters.replay`.
    pub action: String,
    /// To what: a record's id, a job or queue name.
    pub target: String,
    /// The request that did it (the gateway's `X-Request-Id`).
    pub request_id: String,
    /// The service that did it.
    pub service: String,
}

impl Contract for AdminActed {
    const TYPE: &'static str = "audit.admin-acted";
    const VERSION: u32 = 1;
}
