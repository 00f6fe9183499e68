//! Accounts: search, view, disable and enable, roles, sessions; through
//! the accounts API as the signed-in admin. The accounts service is found
//! in services.toml as the one the gateway routes `/v1/users` to.

use dayone_model::services::SERVICES;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{CallError, call};
use crate::queues::percent_encode;

/// Where the accounts API lives.
const USERS: &str = "/v1/users";

fn base() -> Result<&'static str, CallError> {
    SERVICES
        .iter()
        .flat_map(|s| s.routes.iter())
        .find(|r| **r == USERS)
        .copied()
        .ok_or_else(|| CallError::Unreachable("no service keeps the accounts".into()))
}

/// What an admin may do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Disable,
    Enable,
    MakeAdmin,
    RemoveAdmin,
}

impl UserAction {
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "disable" => Some(Self::Disable),
            "enable" => Some(Self::Enable),
            "make-admin" => Some(Self::MakeAdmin),
            "remove-admin" => Some(Self::RemoveAdmin),
            _ => None,
        }
    }

    /// Its name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "user.disable",
            Self::Enable => "user.enable",
            Self::MakeAdmin => "user.make_admin",
            Self::RemoveAdmin => "user.remove_admin",
        }
    }
}

pub async fn search(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    query: &str,
    page: u64,
) -> Result<Value, CallError> {
    let path = format!(
        "{}?q={}&page={page}&per_page=20",
        base()?,
        percent_encode(query.trim())
    );
    call(http, api_url, token, Method::GET, &path).await
}

/// The account and its live sessions.
pub async fn view(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    uuid: Uuid,
) -> Result<(Value, Value), CallError> {
    let user = call(
        http,
        api_url,
        token,
        Method::GET,
        &format!("{}/{uuid}", base()?),
    )
    .await?;
    let sessions = call(
        http,
        api_url,
        token,
        Method::GET,
        &format!("{}/{uuid}/sessions", base()?),
    )
    .await?;
    Ok((user, sessions))
}

pub async fn act(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    uuid: Uuid,
    action: UserAction,
) -> Result<Value, CallError> {
    let base = base()?;
    match action {
        UserAction::Disable => {
            call(
                http,
                api_url,
                token,
                Method::POST,
                &format!("{base}/{uuid}/disable"),
            )
            .await
        }
        UserAction::Enable => {
            call(
                http,
                api_url,
                token,
                Method::POST,
                &format!("{base}/{uuid}/enable"),
            )
            .await
        }
        UserAction::MakeAdmin | UserAction::RemoveAdmin => {
            let roles = if action == UserAction::MakeAdmin {
                json!(["user", dayone_web::auth::ADMIN])
            } else {
                json!(["user"])
            };
            crate::api::call_with(
                http,
                api_url,
                token,
                Method::PATCH,
                &format!("{base}/{uuid}"),
                Some(json!({"roles": roles})),
            )
            .await
        }
    }
}

pub async fn end_session(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    uuid: Uuid,
    session: Uuid,
) -> Result<Value, CallError> {
    call(
        http,
        api_url,
        token,
        Method::DELETE,
        &format!("{}/{uuid}/sessions/{session}", base()?),
    )
    .await
}
