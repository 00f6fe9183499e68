//! The audit trail of admin actions: a handler that changes something as an
//! admin writes an [`AdminActed`] event into its outbox in the transaction
//! that makes the change, so the record exists exactly when the change
//! does. The owner of the queue bound to it (services.toml) keeps the log.

use dayone_broker::Outbox;
use dayone_model::Envelope;
use dayone_model::messages::audit::AdminActed;
use dayone_telemetry::RequestContext;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::AuthenticatedUser;
use crate::auth::Caller;

/// Whoever a request acts for: an admin, or an API key.
pub trait Actor {
    /// The admin's user id, or the key's id.
    fn actor_uuid(&self) -> uuid::Uuid;
    /// The service the request came to.
    fn service(&self) -> &'static str;
}

impl Actor for AuthenticatedUser {
    fn actor_uuid(&self) -> uuid::Uuid {
        self.user_uuid
    }
    fn service(&self) -> &'static str {
        self.service
    }
}

impl Actor for Caller {
    fn actor_uuid(&self) -> uuid::Uuid {
        self.uuid()
    }
    fn service(&self) -> &'static str {
        Caller::service(self)
    }
}

/// An admin's action, to be recorded with the change it makes.
#[derive(Debug, Clone)]
pub struct AdminAct(AdminActed);

impl AdminAct {
    /// The act when `by` is an admin acting on someone else's `target`
    /// account (what an admin does to their own is not an admin action).
    pub fn on_account(by: &AuthenticatedUser, action: &str, target: uuid::Uuid) -> Option<Self> {
        (by.is_admin() && by.user_uuid != target).then(|| Self::new(by, action, target))
    }

    /// `by` did `action` (`<thing>.<verb>`) to `target`, in the current
    /// request (to the service it came to).
    pub fn new(by: &impl Actor, action: &str, target: impl ToString) -> Self {
        Self(AdminActed {
            actor_uuid: by.actor_uuid(),
            action: action.to_owned(),
            target: target.to_string(),
            request_id: RequestContext::current_request_id().unwrap_or_default(),
            service: by.service().to_owned(),
        })
    }

    /// The same act on `target` (one known only once done: a new record).
    pub fn on(&self, target: impl ToString) -> Self {
        let mut act = self.clone();
        act.0.target = target.to_string();
        act
    }

    /// Who acts.
    pub fn actor(&self) -> uuid::Uuid {
        self.0.actor_uuid
    }

    /// Writes the event within `txn` (the change's transaction). Wake the
    /// outbox after the commit.
    pub async fn record<C: ConnectionTrait>(&self, txn: &C, outbox: &Outbox) -> Result<(), DbErr> {
        let act = &self.0;
        tracing::info!(action = %act.action, target = %act.target, by = %act.actor_uuid, "admin action");
        outbox.enqueue(txn, &Envelope::new(act.clone())).await
    }

    /// Records an act already done outside PostgreSQL (messages moved in
    /// RabbitMQ, a policy in Redis), so no transaction carries it. Done is
    /// done: a failure to record is logged as an error, not answered.
    pub async fn record_done(&self, db: &DatabaseConnection, outbox: &Outbox) {
        if let Err(e) = self.record(db, outbox).await {
            let act = &self.0;
            tracing::error!(error = %e, action = %act.action, target = %act.target, "an admin action could not be put in the audit log");
        }
        outbox.wake();
    }
}
