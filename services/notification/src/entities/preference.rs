//! `preferences`: promotional opt-outs and quiet hours per user.

use sea_orm::entity::prelude::*;

dayone_model::base_entity! {
    table = "preferences";
    pub struct Model {
        pub user_uuid: Uuid,
        pub email_promotional: bool,
        pub sms_promotional: bool,
        pub push_promotional: bool,
        pub quiet_start: Option<Time>,
        pub quiet_end: Option<Time>,
        pub timezone: String,
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
