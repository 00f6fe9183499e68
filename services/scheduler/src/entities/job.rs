//! `jobs`: a cron expression in a time zone and the task message it
//! publishes when it fires.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "jobs";
    pub struct Model {
        pub name: String,
        pub schedule: String,
        pub timezone: String,
        pub task: String,
        pub paused: bool,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
