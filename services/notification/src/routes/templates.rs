//! Templates for admins: create, edit (each edit a new version), preview,
//! publish and roll back. Every change is in the audit trail.

use std::collections::BTreeMap;

use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use dayone_model::messages::notifications::{Category, Channel};
use dayone_web::ApiError;
use dayone_web::AuthenticatedUser;
use dayone_web::audit::AdminAct;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{template, template_version};
use crate::error::invalid;
use crate::state::NotifyState;
use crate::templates::store::{self, Templates};
use crate::templates::{Compiled, Draft, Parts, Variable};

/// What a template key may be.
pub const KEY_PATTERN: &str = "^[a-z][a-z0-9_.-]{0,63}$";
const DESCRIPTION_MAX: usize = 500;

fn key_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(json!({"type": "string", "pattern": KEY_PATTERN}))
}

fn topic_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(json!({"type": ["string", "null"], "pattern": KEY_PATTERN}))
}

/// Absent stays `None`; `null` becomes `Some(None)` (clear the field).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn category_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(json!({"type": "string", "enum": ["transactional", "promotional"]}))
}

fn description_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    dayone_web::openapi::schema(json!({"type": ["string", "null"], "maxLength": DESCRIPTION_MAX}))
}

/// A new template: its key and category (both fixed for its life) and its
/// first version, not yet published.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// Lower-case letters, digits, `_`, `.` and `-`; at most 64.
    #[schema(schema_with = key_schema)]
    pub key: String,
    /// Transactional (always sent) or promotional (opt-outs, quiet hours,
    /// its own SMS sender).
    #[schema(schema_with = category_schema)]
    pub category: String,
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    /// Promotional templates only: events for one user inside this many
    /// seconds (1 to 86,400) go out as one message, whose parts read them
    /// as `items` (each one's variables) and `count`.
    #[schema(minimum = 1, maximum = 86400)]
    pub digest_secs: Option<i32>,
    /// What users opt out of per channel (`GET /v1/notifications/preferences`);
    /// promotional messages of the topic honour it.
    #[schema(schema_with = topic_schema)]
    pub topic: Option<String>,
    /// The locale used when the recipient's is not written (`en`).
    pub default_locale: String,
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// `{locale: {channel: {part: source}}}`: `email` has `subject`, `text`
    /// and `html`, `sms` has `text`, `push` and `in_app` have `title` and
    /// `body`.
    #[schema(value_type = Object)]
    pub content: BTreeMap<String, BTreeMap<String, Parts>>,
}

/// A new version of a template (published separately).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditTemplate {
    /// Replaces the description when given (`null` removes it).
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = description_schema)]
    pub description: Option<Option<String>>,
    /// Replaces the digest window when given (`null`: no digest).
    #[serde(default, deserialize_with = "present")]
    #[schema(minimum = 1, maximum = 86400)]
    pub digest_secs: Option<Option<i32>>,
    /// Replaces the topic when given (`null`: none).
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = topic_schema)]
    pub topic: Option<Option<String>>,
    pub default_locale: String,
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[schema(value_type = Object)]
    pub content: BTreeMap<String, BTreeMap<String, Parts>>,
}

/// What to render: a saved version (default: the newest) or an unsaved
/// draft, in a locale, with values over the declared samples.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    /// An unsaved edit to render instead of a saved version.
    pub draft: Option<Draft>,
    /// The reader's language (`pt-BR`); falls back as a message would.
    pub locale: Option<String>,
    /// Variable values; declared samples fill the others.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
}

/// Which version to publish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    #[schema(minimum = 1)]
    pub version: i32,
}

/// A template and its versions.
#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    pub key: String,
    pub category: String,
    pub description: Option<String>,
    /// Shipped with the service: its variables and category are a typed
    /// job's.
    pub built_in: bool,
    pub published_version: Option<i32>,
    /// Seconds of the digest window, if it has one.
    pub digest_secs: Option<i32>,
    pub topic: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Newest first (only in a single template's view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionSummary>>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The admin who saved it (`null`: seeded).
    pub created_by: Option<Uuid>,
}

/// One version as written.
#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub key: String,
    pub version: i32,
    pub published: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: Option<Uuid>,
    pub default_locale: String,
    pub variables: Vec<Variable>,
    #[schema(value_type = Object)]
    pub content: BTreeMap<String, BTreeMap<String, Parts>>,
}

fn view(t: template::Model, versions: Option<Vec<template_version::Model>>) -> TemplateView {
    TemplateView {
        key: t.key,
        category: t.category,
        description: t.description,
        built_in: t.built_in,
        published_version: t.published_version,
        digest_secs: t.digest_secs,
        topic: t.topic,
        created_at: t.created_at,
        updated_at: t.updated_at,
        versions: versions.map(|versions| {
            versions
                .into_iter()
                .map(|v| VersionSummary {
                    version: v.version,
                    created_at: v.created_at,
                    created_by: v.created_by,
                })
                .collect()
        }),
    }
}

/// The checks of a request's own fields (the draft's are the store's).
fn check_fields(
    key: Option<&str>,
    category: Option<&str>,
    description: Option<&str>,
) -> Result<Option<Category>, ApiError> {
    let mut problems = Vec::new();
    if let Some(key) = key
        && !crate::templates::is_key(key)
    {
        problems.push(("key", crate::templates::KEY_RULE.to_owned()));
    }
    let category = match category {
        Some("transactional") => Some(Category::Transactional),
        Some("promotional") => Some(Category::Promotional),
        Some(_) => {
            problems.push((
                "category",
                "must be transactional or promotional".to_owned(),
            ));
            None
        }
        None => None,
    };
    if description.is_some_and(|d| d.chars().count() > DESCRIPTION_MAX) {
        problems.push((
            "description",
            format!("at most {DESCRIPTION_MAX} characters"),
        ));
    }
    if problems.is_empty() {
        Ok(category)
    } else {
        Err(ApiError::validation(&problems))
    }
}

/// Every template (admins).
#[utoipa::path(
    get,
    path = "/v1/notifications/templates",
    operation_id = "list_templates",
    tag = "templates",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The templates by key", body = Vec<TemplateView>),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn list(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let templates = store::list(&state.db).await?;
    Ok(HttpResponse::Ok().json(
        templates
            .into_iter()
            .map(|t| view(t, None))
            .collect::<Vec<_>>(),
    ))
}

/// Creates a template with its first version, unpublished: preview it,
/// then publish it (admins). Every part must parse and use only declared
/// variables; problems name the part and the line.
#[utoipa::path(
    post,
    path = "/v1/notifications/templates",
    operation_id = "create_template",
    tag = "templates",
    security(("bearer" = [])),
    request_body = CreateTemplate,
    responses(
        (status = 201, description = "Created, as version 1", body = TemplateView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "A template with this key exists", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Not a valid template: `details.fields` names each part and line", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn create(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    body: web::Json<CreateTemplate>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let body = body.into_inner();
    let category = check_fields(
        Some(&body.key),
        Some(&body.category),
        body.description.as_deref(),
    )?
    .unwrap_or(Category::Transactional);
    let settings = store::Settings {
        description: Some(body.description),
        digest_secs: Some(body.digest_secs),
        topic: Some(body.topic),
    };
    let draft = Draft {
        default_locale: body.default_locale,
        variables: body.variables,
        content: body.content,
    };
    let act = AdminAct::new(&user, "template.create", &body.key);
    let created = store::create(
        &state.db,
        &state.outbox,
        &act,
        &body.key,
        category,
        settings,
        &draft,
    )
    .await?;
    let versions = store::versions(&state.db, &created).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/v1/notifications/templates/{}", created.key),
        ))
        .json(view(created, Some(versions))))
}

/// A template and its versions (admins).
#[utoipa::path(
    get,
    path = "/v1/notifications/templates/{key}",
    operation_id = "get_template",
    tag = "templates",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The template's key")),
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn get(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let template = Templates::find(&state.db, &key).await?;
    let versions = store::versions(&state.db, &template).await?;
    Ok(HttpResponse::Ok().json(view(template, Some(versions))))
}

/// Saves a new version (admins). It is not sent until published; messages
/// already accepted keep the version they were accepted with.
#[utoipa::path(
    put,
    path = "/v1/notifications/templates/{key}",
    operation_id = "edit_template",
    tag = "templates",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The template's key")),
    request_body = EditTemplate,
    responses(
        (status = 201, description = "Saved as the next version", body = VersionView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Not a valid template: `details.fields` names each part and line", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn edit(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    key: web::Path<String>,
    body: web::Json<EditTemplate>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let body = body.into_inner();
    check_fields(
        None,
        None,
        body.description.as_ref().and_then(|d| d.as_deref()),
    )?;
    let settings = store::Settings {
        description: body.description,
        digest_secs: body.digest_secs,
        topic: body.topic,
    };
    let draft = Draft {
        default_locale: body.default_locale,
        variables: body.variables,
        content: body.content,
    };
    let act = AdminAct::new(&user, "template.edit", key.as_str());
    let (template, row) =
        store::add_version(&state.db, &state.outbox, &act, &key, settings, &draft).await?;
    let version = row.version;
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/v1/notifications/templates/{key}/versions/{version}"),
        ))
        .json(version_view(&template, row, draft)))
}

fn version_view(
    template: &template::Model,
    row: template_version::Model,
    draft: Draft,
) -> VersionView {
    VersionView {
        key: template.key.clone(),
        version: row.version,
        published: template.published_version == Some(row.version),
        created_at: row.created_at,
        created_by: row.created_by,
        default_locale: draft.default_locale,
        variables: draft.variables,
        content: draft.content,
    }
}

/// One version as written (admins).
#[utoipa::path(
    get,
    path = "/v1/notifications/templates/{key}/versions/{version}",
    operation_id = "get_template_version",
    tag = "templates",
    security(("bearer" = [])),
    params(
        ("key" = String, Path, description = "The template's key"),
        ("version" = i32, Path, description = "The version", minimum = 1),
    ),
    responses(
        (status = 200, description = "The version", body = VersionView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template or version", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn version(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let (key, version) = path.into_inner();
    let template = Templates::find(&state.db, &key).await?;
    let row = Templates::row(&state.db, &template, version).await?;
    let draft = store::draft(&row)?;
    Ok(HttpResponse::Ok().json(version_view(&template, row, draft)))
}

/// Renders a version, or an unsaved draft, on every channel it has, with
/// the declared samples under the given values (admins). A draft's problems
/// and a render's failure are a 422 naming the part and line.
#[utoipa::path(
    post,
    path = "/v1/notifications/templates/{key}/preview",
    operation_id = "preview_template",
    tag = "templates",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The template's key")),
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "Each channel as it would be sent: `{locale, email: {locale, subject, text, html}, sms: {locale, text}, push: {locale, title, body}, in_app: {locale, title, body}}`"),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template or version", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "The draft or the values do not render: `details.fields` names each part and line", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn preview(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    key: web::Path<String>,
    body: web::Json<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let body = body.into_inner();
    let template = Templates::find(&state.db, &key).await?;
    let locale = match body.locale.as_deref() {
        Some(l) => Some(
            dayone_model::locale::parse(l)
                .map_err(|why| ApiError::validation(&[("locale", why)]))?,
        ),
        None => None,
    };
    let compiled = match (body.draft, body.version) {
        (Some(draft), _) => std::sync::Arc::new(
            Compiled::compile(store::category(&template), &draft).map_err(invalid)?,
        ),
        (None, version) => {
            let version = match version {
                Some(v) => v,
                // Every template has a version 1 from its creation.
                None => store::latest_version(&state.db, template.id).await?.max(1),
            };
            state
                .templates
                .compiled(&state.db, &template, version)
                .await?
        }
    };
    let values = compiled.with_samples(&body.values);
    let wanted = locale.as_deref();
    let failed = |e: crate::templates::RenderError| invalid(vec![("values".into(), e.0)]);
    let mut out = Map::new();
    out.insert("locale".into(), json!(locale));
    for channel in Channel::ALL.into_iter().filter(|c| compiled.has(*c)) {
        let written_in = compiled.locale_for(channel, wanted).to_owned();
        let mut rendered = match channel {
            Channel::Email => serde_json::to_value(
                compiled
                    .email(
                        wanted,
                        &values,
                        Some("Ada"),
                        Some("https://example.com/unsubscribe"),
                    )
                    .map_err(failed)?,
            ),
            Channel::Sms => {
                Ok(json!({"text": compiled.sms(wanted, &values, Some("Ada")).map_err(failed)?}))
            }
            Channel::Push | Channel::InApp => serde_json::to_value(
                compiled
                    .titled(channel, wanted, &values, Some("Ada"))
                    .map_err(failed)?,
            ),
        }
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
        rendered["locale"] = json!(written_in);
        out.insert(channel.as_str().into(), rendered);
    }
    Ok(HttpResponse::Ok().json(out))
}

/// Publishes a version: the next message is written with it, messages
/// already accepted keep theirs (admins).
#[utoipa::path(
    post,
    path = "/v1/notifications/templates/{key}/publish",
    operation_id = "publish_template",
    tag = "templates",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The template's key")),
    request_body = PublishRequest,
    responses(
        (status = 200, description = "Published", body = TemplateView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template or version", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn publish(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    key: web::Path<String>,
    body: web::Json<PublishRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let act = AdminAct::new(&user, "template.publish", key.as_str());
    let template = store::publish(&state.db, &state.outbox, &act, &key, Some(body.version)).await?;
    Ok(HttpResponse::Ok().json(view(template, None)))
}

/// Publishes the version before the published one (admins).
#[utoipa::path(
    post,
    path = "/v1/notifications/templates/{key}/rollback",
    operation_id = "roll_back_template",
    tag = "templates",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The template's key")),
    responses(
        (status = 200, description = "The earlier version is published", body = TemplateView),
        (status = 401, description = "Missing or invalid token", body = dayone_web::error::ErrorDoc),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 404, description = "No such template", body = dayone_web::error::ErrorDoc),
        (status = 409, description = "No earlier version", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn rollback(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let act = AdminAct::new(&user, "template.rollback", key.as_str());
    let template = store::publish(&state.db, &state.outbox, &act, &key, None).await?;
    Ok(HttpResponse::Ok().json(view(template, None)))
}
