//! The scheduler service's schema, applied by `scheduler migrate`.

use sea_orm_migration::prelude::*;

mod m0001_jobs;
mod m0002_runs;
mod m0003_outbox_pending_by_id;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_jobs::Migration),
            Box::new(m0002_runs::Migration),
            Box::new(m0003_outbox_pending_by_id::Migration),
        ]
    }
}
