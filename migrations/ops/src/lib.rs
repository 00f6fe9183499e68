//! The ops service's schema, applied by `ops migrate`.

use sea_orm_migration::prelude::*;

mod m0001_messaging;
mod m0002_audit_log;
mod m0003_audit_events;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_messaging::Migration),
            Box::new(m0002_audit_log::Migration),
            Box::new(m0003_audit_events::Migration),
        ]
    }
}
