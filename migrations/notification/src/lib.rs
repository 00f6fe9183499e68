//! The notification service's schema, applied by `notification migrate`.

use sea_orm_migration::prelude::*;

mod m0001_contacts;
mod m0002_deliveries;
mod m0003_delivery_claims;
mod m0004_hot_deliveries;
mod m0005_outbox_pending_by_id;
mod m0006_templates;
mod m0007_inbox;
mod m0008_digests_and_topics;
mod m0009_digest_versions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_contacts::Migration),
            Box::new(m0002_deliveries::Migration),
            Box::new(m0003_delivery_claims::Migration),
            Box::new(m0004_hot_deliveries::Migration),
            Box::new(m0005_outbox_pending_by_id::Migration),
            Box::new(m0006_templates::Migration),
            Box::new(m0007_inbox::Migration),
            Box::new(m0008_digests_and_topics::Migration),
            Box::new(m0009_digest_versions::Migration),
        ]
    }
}
