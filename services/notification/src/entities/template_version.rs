//! `template_versions`: one immutable row per saved edit of a template.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "template_versions";
    pub struct Model {
        pub template_id: i64,
        pub version: i32,
        pub default_locale: String,
        /// `[{"name", "required", "sample"}]`.
        pub variables: Json,
        /// `{locale: {channel: {part: source}}}`.
        pub content: Json,
        pub created_by: Option<Uuid>,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
