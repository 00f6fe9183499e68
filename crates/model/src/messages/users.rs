//! Events about users, published by the auth service.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;

/// A user account was created (registration, or an admin made from the CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_uuid: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Contract for UserRegistered {
    const TYPE: &'static str = "user.registered";
    const VERSION: u32 = 1;
}
