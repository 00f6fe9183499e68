//! The core service's schema, applied by `core migrate`.

use sea_orm_migration::prelude::*;

mod m0001_products;
mod m0002_orders;
mod m0003_outbox_pending_by_id;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_products::Migration),
            Box::new(m0002_orders::Migration),
            Box::new(m0003_outbox_pending_by_id::Migration),
        ]
    }
}
