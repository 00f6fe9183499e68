//! `templates`: wording managed at run time, one row per key.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "templates";
    pub struct Model {
        pub key: String,
        pub category: String,
        pub description: Option<String>,
        /// Seeded from the files the service ships; cannot be removed.
        pub built_in: bool,
        pub published_version: Option<i32>,
        /// Promotional only: events inside this many seconds, per user,
        /// go out as one message.
        pub digest_secs: Option<i32>,
        /// What users opt out of per channel (promotional only).
        pub topic: Option<String>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
