use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;

use crate::preferences;
use crate::state::NotifyState;

#[derive(Deserialize)]
pub struct Query {
    token: String,
}

/// The link in promotional emails (`GET`, a click) and their
/// `List-Unsubscribe-Post` one-click target (`POST`, RFC 8058): turns
/// promotional messages on that channel off (of the message's topic only,
/// when its template has one). Needs no login: the token is signed for one
/// user, channel and topic.
#[utoipa::path(
    post,
    path = "/v1/notifications/unsubscribe",
    operation_id = "unsubscribe_one_click",
    tag = "preferences",
    params(("token" = String, Query, description = "From the email's link")),
    responses(
        (status = 200, description = "Unsubscribed"),
        (status = 400, description = "Invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn unsubscribe_one_click(
    state: web::Data<NotifyState>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    unsubscribe(state, query).await
}

/// The same, as the link in the email (`GET`).
#[utoipa::path(
    get,
    path = "/v1/notifications/unsubscribe",
    operation_id = "unsubscribe",
    tag = "preferences",
    params(("token" = String, Query, description = "From the email's link")),
    responses(
        (status = 200, description = "Unsubscribed"),
        (status = 400, description = "Invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn unsubscribe(
    state: web::Data<NotifyState>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let link = preferences::unsubscribe(
        &state.db,
        state.settings.unsubscribe_secret.expose_secret(),
        &query.token,
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "message": match &link.topic {
            Some(topic) => format!("you will no longer get {topic} messages by {}", link.channel.as_str()),
            None => format!("you will no longer get promotional {} messages", link.channel.as_str()),
        },
    })))
}
