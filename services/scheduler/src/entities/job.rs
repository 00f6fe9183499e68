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
        pub overlap: String,
        pub catch_up: String,
        pub timeout_secs: i32,
        /// When the job was last resumed: ticks before it are not caught up.
        pub resumed_at: Option<DateTimeUtc>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
