//! The support case, "the user says the receipt never arrived": someone's
//! notifications with every delivery and attempt, and sending one again,
//! through the notification service's admin API as the signed-in admin. The
//! service is found in services.toml as the one that takes email jobs.

use dayone_model::Contract;
use dayone_model::messages::notifications::EmailJob;
use dayone_model::services::{SERVICES, Service};
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::api::{CallError, call};
use crate::queues::percent_encode;

/// The service that sends email (and keeps every delivery's history).
pub fn sender() -> Option<&'static Service> {
    SERVICES.iter().find(|s| {
        s.queues
            .iter()
            .any(|q| q.bindings.contains(&EmailJob::TYPE))
    })
}

fn base() -> Result<&'static str, CallError> {
    sender()
        .map(|s| s.path)
        .ok_or_else(|| CallError::Unreachable("no service sends notifications".into()))
}

/// `{"contact", "notifications"}` for a user id, email or phone.
pub async fn lookup(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    query: &str,
) -> Result<Value, CallError> {
    let path = format!(
        "{}/admin/lookup?q={}",
        base()?,
        percent_encode(query.trim())
    );
    call(http, api_url, token, Method::GET, &path).await
}

/// Queues notification `uuid` again; the new notification's id.
pub async fn resend(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    uuid: Uuid,
) -> Result<Value, CallError> {
    let path = format!("{}/{uuid}/resend", base()?);
    call(http, api_url, token, Method::POST, &path).await
}
