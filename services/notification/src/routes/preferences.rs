use actix_web::{HttpResponse, web};
use chrono::NaiveTime;
use chrono_tz::Tz;
use dayone_web::ApiError;
use dayone_web::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::preference;
use crate::preferences as prefs;
use crate::state::NotifyState;

/// Promotional messages per channel. Transactional ones (codes, receipts,
/// resets) always go out and have no switch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPreference {
    pub promotional: bool,
}

/// No promotional message is sent between `start` and `end` (local `HH:MM`
/// in `timezone`); they wait until `end`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, 00:00 to 23:59.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`, not `start`.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    /// IANA name, e.g. `Europe/Berlin`.
    #[schema(schema_with = time_zones)]
    pub timezone: String,
}

fn time_zones() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    dayone_web::openapi::schema(serde_json::json!({"type": "string", "enum": names}))
}

/// `HH:MM` exactly (two digits each), as the schema says.
fn hh_mm(raw: &str) -> Option<NaiveTime> {
    let (h, m) = raw.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    pub email: ChannelPreference,
    pub sms: ChannelPreference,
    pub push: ChannelPreference,
    pub quiet_hours: Option<QuietHours>,
}

fn shown(p: Option<preference::Model>) -> Preferences {
    let allow = |f: fn(&preference::Model) -> bool| ChannelPreference {
        promotional: p.as_ref().is_none_or(f),
    };
    Preferences {
        email: allow(|p| p.email_promotional),
        sms: allow(|p| p.sms_promotional),
        push: allow(|p| p.push_promotional),
        quiet_hours: p.as_ref().and_then(|p| {
            Some(QuietHours {
                start: p.quiet_start?.format("%H:%M").to_string(),
                end: p.quiet_end?.format("%H:%M").to_string(),
                timezone: p.timezone.clone(),
            })
        }),
    }
}

/// The caller's notification preferences.
#[utoipa::path(
    get,
    path = "/v1/notifications/preferences",
    operation_id = "get_preferences",
    tag = "preferences",
    security(("bearer" = [])),
    responses((status = 200, description = "Preferences", body = Preferences))
)]
pub async fn get(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let current = prefs::of(&state.db, user.user_uuid).await?;
    Ok(HttpResponse::Ok().json(shown(current)))
}

/// Replaces the caller's notification preferences.
#[utoipa::path(
    put,
    path = "/v1/notifications/preferences",
    tag = "preferences",
    security(("bearer" = [])),
    request_body = Preferences,
    responses(
        (status = 200, description = "Saved", body = Preferences),
        (status = 422, description = "Invalid times or time zone", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn put(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    body: web::Json<Preferences>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut problems = Vec::new();
    let quiet = match &body.quiet_hours {
        None => None,
        Some(q) => {
            let start = hh_mm(&q.start);
            if start.is_none() {
                problems.push(("quiet_hours.start", "must be HH:MM".to_owned()));
            }
            let end = hh_mm(&q.end);
            if end.is_none() {
                problems.push(("quiet_hours.end", "must be HH:MM".to_owned()));
            }
            if q.timezone.parse::<Tz>().is_err() {
                problems.push((
                    "quiet_hours.timezone",
                    format!("`{}` is not an IANA time zone", q.timezone),
                ));
            }
            if start.is_some() && start == end {
                problems.push(("quiet_hours.end", "must differ from start".to_owned()));
            }
            start.zip(end).map(|(s, e)| (s, e, q.timezone.clone()))
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let wanted = prefs::Wanted {
        email_promotional: body.email.promotional,
        sms_promotional: body.sms.promotional,
        push_promotional: body.push.promotional,
        quiet_hours: quiet,
    };
    let saved = prefs::replace(&state.db, user.user_uuid, wanted).await?;
    Ok(HttpResponse::Ok().json(shown(saved)))
}

/// A topic and whether its promotional messages reach the caller on each
/// channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicPreference {
    pub topic: String,
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub in_app: bool,
}

/// The channels to change for a topic; the ones left out stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicChange {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
    pub in_app: Option<bool>,
}

fn topic_views(known: Vec<String>, set: &[(String, String, bool)]) -> Vec<TopicPreference> {
    let takes = |topic: &str, channel: &str| {
        set.iter()
            .find(|(t, c, _)| t == topic && c == channel)
            .is_none_or(|(_, _, enabled)| *enabled)
    };
    known
        .into_iter()
        .map(|topic| TopicPreference {
            email: takes(&topic, "email"),
            sms: takes(&topic, "sms"),
            push: takes(&topic, "push"),
            in_app: takes(&topic, "in_app"),
            topic,
        })
        .collect()
}

/// Every topic templates send under, and the caller's channels for each
/// (all on until turned off). Transactional messages ignore topics.
#[utoipa::path(
    get,
    path = "/v1/notifications/preferences/topics",
    tag = "preferences",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The topics", body = Vec<TopicPreference>),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn topics(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let (known, set) = prefs::topics(&state.db, user.user_uuid).await?;
    Ok(HttpResponse::Ok().json(topic_views(known, &set)))
}

/// Turns a topic's promotional messages on or off per channel for the
/// caller.
#[utoipa::path(
    put,
    path = "/v1/notifications/preferences/topics/{topic}",
    tag = "preferences",
    security(("bearer" = [])),
    params(("topic" = String, Path, description = "A topic of `GET /v1/notifications/preferences/topics`")),
    request_body = TopicChange,
    responses(
        (status = 200, description = "The topic after the change", body = TopicPreference),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No template sends under this topic", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn put_topic(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    topic: web::Path<String>,
    body: web::Json<TopicChange>,
) -> Result<HttpResponse, ApiError> {
    let (known, _) = prefs::topics(&state.db, user.user_uuid).await?;
    if !known.contains(&topic) {
        return Err(ApiError::not_found("topic"));
    }
    let change = body.into_inner();
    for (channel, enabled) in [
        ("email", change.email),
        ("sms", change.sms),
        ("push", change.push),
        ("in_app", change.in_app),
    ] {
        if let Some(enabled) = enabled {
            prefs::set_topic(&state.db, user.user_uuid, &topic, channel, enabled).await?;
        }
    }
    let (_, set) = prefs::topics(&state.db, user.user_uuid).await?;
    let view = topic_views(vec![topic.into_inner()], &set).pop();
    Ok(HttpResponse::Ok().json(view))
}
