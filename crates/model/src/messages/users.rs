//! Events about users and their sessions, published by the auth service.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Contract;
use crate::Timestamp;

/// A user account was created (registration, or an admin made from the CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_uuid: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// BCP 47 (`pt-BR`): the language messages to the user are written in.
    /// Absent from events of older versions.
    #[serde(default)]
    pub locale: Option<String>,
}

impl Contract for UserRegistered {
    const TYPE: &'static str = "user.registered";
    const VERSION: u32 = 1;
}

/// A user's contact details changed; the payload carries the new state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserUpdated {
    pub user_uuid: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// BCP 47 (`pt-BR`): the language messages to the user are written in.
    /// Absent from events of older versions.
    #[serde(default)]
    pub locale: Option<String>,
}

impl Contract for UserUpdated {
    const TYPE: &'static str = "user.updated";
    const VERSION: u32 = 1;
}

/// A user account was (soft-)deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDeleted {
    pub user_uuid: Uuid,
}

impl Contract for UserDeleted {
    const TYPE: &'static str = "user.deleted";
    const VERSION: u32 = 1;
}

/// A session (a refresh-token family) was revoked: its access tokens must be
/// refused everywhere until `until`, when the last of them expires anyway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRevoked {
    pub session_uuid: Uuid,
    pub user_uuid: Uuid,
    pub until: Timestamp,
}

impl Contract for SessionRevoked {
    const TYPE: &'static str = "session.revoked";
    const VERSION: u32 = 1;
}
