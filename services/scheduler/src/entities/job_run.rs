//! `job_runs`: one per fired tick (or manual trigger), with its outcome.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "job_runs";
    pub struct Model {
        pub job_id: i64,
        pub scheduled_for: DateTimeUtc,
        pub trigger: String,
        pub status: String,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub duration_ms: Option<i64>,
        pub error: Option<String>,
        pub worker: Option<String>,
        pub fired_by: String,
        pub output: Option<Json>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
