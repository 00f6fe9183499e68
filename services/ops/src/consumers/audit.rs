//! `ops.audit`: the admin actions the other services report, into the
//! audit log (once each, however often RabbitMQ delivers them).

use dayone_broker::{Handler, Incoming, Outcome};
use dayone_model::messages::audit::AdminActed;
use sea_orm::DatabaseConnection;

use crate::audit;

pub struct Reported {
    pub db: DatabaseConnection,
}

impl Handler for Reported {
    async fn handle(&self, message: Incoming) -> Outcome {
        let event = match message.envelope.decode::<AdminActed>() {
            Ok(event) => event,
            Err(e) => return Outcome::DeadLetter(e.to_string()),
        };
        match audit::record_reported(&self.db, &event).await {
            Ok(true) => Outcome::Done,
            Ok(false) => {
                tracing::debug!(event = %event.id, "an admin action recorded already");
                Outcome::Done
            }
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}
