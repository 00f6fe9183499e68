//! `job_runs`: one per fired tick (or manual trigger), with its outcome.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

dayone_model::base_entity! {
    table = "job_runs";
    pub struct Model {
        pub job_id: i64,
        pub scheduled_for: DateTimeUtc,
        pub trigger: String,
        pub status: RunStatus,
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

/// Where a run stands: the one list of its states (`job_runs.status`; the
/// SQL in runs.rs names them by their stored text).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Fired: the task request is on its way or being worked on.
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Not run: the previous run was still going (overlap `skip`).
    #[sea_orm(string_value = "skipped")]
    Skipped,
    /// No result within the job's timeout.
    #[sea_orm(string_value = "lost")]
    Lost,
}

impl RunStatus {
    /// The stored and sent text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Lost => "lost",
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn each_state_is_stored_and_sent_as_its_name() {
        for status in RunStatus::iter() {
            assert_eq!(status.to_value(), status.as_str());
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }
}
