use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use dayone_model::messages::notifications::{
    Category, Channel as MessageChannel, EmailJob, PromotionalSms, PushJob, Recipient,
    TemplatedJob, TransactionalSms,
};
use dayone_model::{Contract, Envelope};
use dayone_web::auth::api_keys::scopes;
use dayone_web::auth::{AuthenticatedUser, Caller, secrets_match};
use dayone_web::{ApiError, ErrorCode, idempotency};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::invalid as invalid_fields;
use crate::notifications::{self, Accepted, Job};
use crate::state::NotifyState;
use crate::templates::builtin::BuiltIn;
use crate::templates::store::{TemplateError, Templates};

/// Admins, API keys granted `notifications:send`, and (deprecated) internal
/// callers presenting the shared service token. Returns who is sending, the
/// owner of their idempotency keys: the admin's or key's uuid, or the nil
/// uuid for the service token.
fn may_send(
    req: &HttpRequest,
    state: &NotifyState,
    caller: Option<&Caller>,
) -> Result<Uuid, ApiError> {
    let presented = req
        .headers()
        .get("x-service-token")
        .and_then(|v| v.to_str().ok());
    if let Some(presented) = presented {
        let expected = state.settings.service_token.expose_secret();
        return if secrets_match(expected, presented) {
            tracing::warn!(
                "X-Service-Token is deprecated: send with an API key granted notifications:send"
            );
            Ok(Uuid::nil())
        } else {
            Err(ApiError::new(
                ErrorCode::InvalidToken,
                "the service token is not valid",
            ))
        };
    }
    match caller {
        Some(caller) => caller
            .require(scopes::NOTIFICATIONS_SEND)
            .map(|()| caller.uuid()),
        None => Err(ApiError::unauthorized(
            "an admin's access token or an API key is required",
        )),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, message)
}

fn parse<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|e| invalid(format!("the notification is not valid: {e}")))
}

fn require(recipient: &Recipient, what: &str, has_address: bool) -> Result<(), ApiError> {
    if has_address || recipient.user_uuid.is_some() {
        Ok(())
    } else {
        Err(ApiError::validation(&[(
            "recipient",
            format!("needs user_uuid or {what}"),
        )]))
    }
}

fn prepare<P: Contract>(
    job: P,
    channel: &'static str,
    template: &str,
    category: Category,
    recipient: Option<Uuid>,
    template_version: Option<i32>,
) -> Result<Job, ApiError> {
    let envelope = Envelope::new(job);
    let value =
        serde_json::to_value(&envelope).map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
    Ok(Job {
        id: envelope.id,
        kind: P::TYPE,
        channel,
        category: category.as_str(),
        template: template.to_owned(),
        recipient,
        template_version,
        envelope: value,
    })
}

/// A template problem as the answer to the caller.
fn template_problem(e: TemplateError) -> ApiError {
    match e {
        TemplateError::Database(e) => ApiError::from(e),
        e @ (TemplateError::NotFound(_) | TemplateError::Unpublished(_)) => {
            ApiError::validation(&[("template", e.to_string())])
        }
        e => ApiError::internal(anyhow::Error::new(e)),
    }
}

/// The version of `key` a job queued now keeps: the published one.
async fn published(state: &NotifyState, key: &str) -> Result<i32, ApiError> {
    let template = Templates::find(&state.db, key)
        .await
        .map_err(template_problem)?;
    template
        .published_version
        .ok_or_else(|| template_problem(TemplateError::Unpublished(key.to_owned())))
}

/// A job naming a template managed at run time: checked now against the
/// published version, which it keeps. Without a user to take the language
/// from, `Accept-Language` picks it among the template's.
async fn templated(state: &NotifyState, req: &HttpRequest, body: Value) -> Result<Job, ApiError> {
    let mut job: TemplatedJob = parse(body)?;
    if job.digest.is_some() {
        return Err(ApiError::validation(&[(
            "digest",
            "is written by the notification service when a digest window closes".into(),
        )]));
    }
    match job.channel {
        MessageChannel::Email => require(&job.recipient, "email", job.recipient.email.is_some())?,
        MessageChannel::Sms => require(&job.recipient, "phone", job.recipient.phone.is_some())?,
        // Devices and the inbox belong to a user.
        MessageChannel::Push | MessageChannel::InApp if job.recipient.user_uuid.is_none() => {
            return Err(ApiError::validation(&[(
                "recipient",
                "needs user_uuid".into(),
            )]));
        }
        MessageChannel::Push | MessageChannel::InApp => {}
    }
    let resolved = state
        .templates
        .resolve(&state.db, &job.template, None)
        .await
        .map_err(template_problem)?;
    let compiled = &resolved.compiled;
    if !compiled.has(job.channel) {
        return Err(ApiError::validation(&[(
            "channel",
            format!(
                "template `{}` has no {} part",
                job.template,
                job.channel.as_str()
            ),
        )]));
    }
    compiled.check(&job.variables).map_err(invalid_fields)?;
    if job.recipient.user_uuid.is_none() && job.locale.is_none() {
        let accepted = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(dayone_model::locale::accept_language)
            .unwrap_or_default();
        job.locale = compiled.best_locale(job.channel, &accepted);
    }
    if let Some(locale) = &job.locale {
        job.locale = Some(
            dayone_model::locale::parse(locale)
                .map_err(|why| ApiError::validation(&[("locale", why)]))?,
        );
    }
    job.version = Some(resolved.version);
    let (channel, category, recipient) = (
        job.channel.as_str(),
        compiled.category,
        job.recipient.user_uuid,
    );
    let template = job.template.clone();
    prepare(
        job,
        channel,
        &template,
        category,
        recipient,
        Some(resolved.version),
    )
}

/// Reads `{"channel": ..., ...}` into the job it describes: a typed job of
/// `dayone_model`, or (with `variables`, or naming a template only the
/// database knows) a [`TemplatedJob`].
async fn job_from(
    state: &NotifyState,
    req: &HttpRequest,
    mut body: Value,
) -> Result<Job, ApiError> {
    let Some(object) = body.as_object_mut() else {
        return Err(invalid("the body must be a JSON object"));
    };
    let template = object.get("template").and_then(Value::as_str);
    let typed = template.is_some_and(|t| BuiltIn::named(t).is_some());
    if object.contains_key("variables") || (template.is_some() && !typed) {
        return templated(state, req, body).await;
    }
    let channel = object
        .remove("channel")
        .and_then(|c| c.as_str().map(str::to_owned))
        .ok_or_else(|| ApiError::validation(&[("channel", "must be email, sms or push".into())]))?;
    match channel.as_str() {
        "email" => {
            let job: EmailJob = parse(body)?;
            require(&job.recipient, "email", job.recipient.email.is_some())?;
            let (category, recipient) = (job.template.category(), job.recipient.user_uuid);
            let template = job.template.name();
            let version = published(state, template).await?;
            prepare(job, "email", template, category, recipient, Some(version))
        }
        "sms" => {
            let category = object
                .remove("category")
                .and_then(|c| c.as_str().map(str::to_owned));
            match category.as_deref() {
                Some("transactional") => {
                    let job: TransactionalSms = parse(body)?;
                    require(&job.recipient, "phone", job.recipient.phone.is_some())?;
                    let (template, recipient) = (job.template.name(), job.recipient.user_uuid);
                    let version = published(state, template).await?;
                    prepare(
                        job,
                        "sms",
                        template,
                        Category::Transactional,
                        recipient,
                        Some(version),
                    )
                }
                Some("promotional") => {
                    let job: PromotionalSms = parse(body)?;
                    require(&job.recipient, "phone", job.recipient.phone.is_some())?;
                    let (template, recipient) = (job.template.name(), job.recipient.user_uuid);
                    let version = published(state, template).await?;
                    prepare(
                        job,
                        "sms",
                        template,
                        Category::Promotional,
                        recipient,
                        Some(version),
                    )
                }
                _ => Err(ApiError::validation(&[(
                    "category",
                    "must be transactional or promotional".into(),
                )])),
            }
        }
        "push" => {
            let job: PushJob = parse(body)?;
            require(&job.recipient, "a device", false)?;
            let (category, recipient) = (job.category, job.recipient.user_uuid);
            prepare(job, "push", "push", category, recipient, None)
        }
        _ => Err(ApiError::validation(&[(
            "channel",
            "must be email, sms or push".into(),
        )])),
    }
}

/// The body of `POST /v1/notifications`, for the OpenAPI document: one
/// shape per channel and template, as [`job_from`] reads them.
pub struct NotificationRequest;

impl utoipa::PartialSchema for NotificationRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let text = json!({"type": "string"});
        let minutes = json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
        let any = json!({"type": "object"});
        let recipient = |needs: &str| {
            json!({
                "type": "object",
                "description": format!("Addressed by `user_uuid` or {needs}"),
                "properties": {
                    "user_uuid": {"type": ["string", "null"], "format": "uuid"},
                    "email": {"type": ["string", "null"]},
                    "phone": {"type": ["string", "null"]},
                    "name": {"type": ["string", "null"]},
                },
                "anyOf": [
                    {"type": "object", "required": ["user_uuid"], "properties": {"user_uuid": {"type": "string", "format": "uuid"}}},
                    {"type": "object", "required": [needs], "properties": {needs: {"type": "string"}}},
                ],
            })
        };
        let by_user = json!({
            "type": "object",
            "required": ["user_uuid"],
            "properties": {
                "user_uuid": {"type": "string", "format": "uuid"},
                "email": {"type": ["string", "null"]},
                "phone": {"type": ["string", "null"]},
                "name": {"type": ["string", "null"]},
            },
        });
        // One shape: `channel` (and `category`) and `template` fixed; every
        // field is required but the push's `data`.
        let shape = |channel: &str,
                     category: Option<&str>,
                     template: Option<&str>,
                     recipient: &Value,
                     fields: Value| {
            let mut properties = json!({
                "channel": {"type": "string", "enum": [channel]},
                "recipient": recipient,
            });
            if let Some(category) = category {
                properties["category"] = json!({"type": "string", "enum": [category]});
            }
            if let Some(template) = template {
                properties["template"] = json!({"type": "string", "enum": [template]});
            }
            for (name, schema) in fields.as_object().into_iter().flatten() {
                properties[name] = schema.clone();
            }
            let required: Vec<&String> = properties
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
                .filter(|k| *k != "data")
                .collect();
            json!({"type": "object", "required": required, "properties": properties})
        };
        let email = recipient("email");
        let phone = recipient("phone");
        dayone_web::openapi::schema(json!({
            "description": "`channel` email, sms (with `category`) or push; emails and texts name a `template`. With `variables`, any template managed at run time (`/v1/notifications/templates`): its category picks the path, and the variables must be the ones it declares",
            "anyOf": [
                {
                    "type": "object",
                    "required": ["channel", "recipient", "template", "variables"],
                    "properties": {
                        "channel": {"type": "string", "enum": ["email", "sms", "push", "in_app"]},
                        "recipient": recipient("email"),
                        "template": {"type": "string"},
                        "variables": {"type": "object"},
                        "locale": {"type": ["string", "null"], "pattern": dayone_model::locale::PATTERN, "maxLength": dayone_model::locale::MAX_LEN, "description": "Without a user: the language (default: `Accept-Language`)"},
                    },
                },
                shape("email", None, Some("welcome"), &email, json!({})),
                shape("email", None, Some("verify_email"), &email, json!({"link": text})),
                shape("email", None, Some("password_reset"), &email, json!({"link": text, "expires_in_minutes": minutes})),
                shape("email", None, Some("order_receipt"), &email, json!({"order": any})),
                shape("email", None, Some("weekly_recommendations"), &email, json!({"products": any})),
                shape("sms", Some("transactional"), Some("login_code"), &phone, json!({"code": text, "expires_in_minutes": minutes})),
                shape("sms", Some("transactional"), Some("order_receipt"), &phone, json!({"order_number": text, "total": text})),
                shape("sms", Some("promotional"), Some("campaign"), &phone, json!({"text": text})),
                shape("push", None, None, &by_user, json!({
                    "category": {"type": "string", "enum": ["transactional", "promotional"]},
                    "title": text,
                    "body": text,
                    "data": {"type": "object", "additionalProperties": {"type": "string"}},
                })),
            ],
        }))
    }
}

impl utoipa::ToSchema for NotificationRequest {}

/// Queues a notification. For admins and API keys granted
/// `notifications:send` (the shared `X-Service-Token` still works but is
/// deprecated); other services usually publish jobs on RabbitMQ instead. Send an `Idempotency-Key` to make retries safe: a
/// repeat with the same body gets the first answer (and queues nothing), the
/// same key with another body a 422.
#[utoipa::path(
    post,
    path = "/v1/notifications",
    tag = "notifications",
    security(("bearer" = []), ("api_key" = []), ("service_token" = [])),
    request_body = NotificationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request return the first answer")),
    responses(
        (status = 202, description = "Queued", body = Accepted),
        (status = 503, description = "The database is unreachable; retry after `Retry-After`", body = dayone_web::error::ErrorDoc),
        (status = 401, description = "No credentials", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin, or a key without `notifications:send`", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Not a valid notification, or the key was used for another body", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<NotifyState>,
    caller: Option<Caller>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let sender = may_send(&req, &state, caller.as_ref())?;
    let key = idempotency::key(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(body.to_string().as_bytes());
    let job = job_from(&state, &req, body).await?;
    let mut response =
        match notifications::queue(&state.db, &state.outbox, sender, key.as_deref(), &hash, job)
            .await?
        {
            Ok(accepted) => HttpResponse::Accepted()
                .insert_header((LOCATION, format!("/v1/notifications/{}", accepted.uuid)))
                .json(accepted),
            Err(replay) => replay.response(),
        };
    if sender.is_nil() {
        // RFC 9745: the shared service token is on its way out.
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("deprecation"),
            actix_web::http::header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// Status of a notification per recipient and channel, with every attempt.
/// Only its recipient and admins see it; anyone else gets a 404.
#[utoipa::path(
    get,
    path = "/v1/notifications/{uuid}",
    operation_id = "get_notification",
    tag = "notifications",
    security(("bearer" = [])),
    params(("uuid" = Uuid, Path, description = "Notification id (the job's envelope id)")),
    responses(
        (status = 200, description = "The notification and its deliveries"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such notification for the caller", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    uuid: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let n = notifications::visible(
        &state.db,
        uuid.into_inner(),
        user.user_uuid,
        user.is_admin(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(notifications::status(&state.db, n).await?))
}
