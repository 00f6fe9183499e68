use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::audit::AdminAct;
use dayone_web::auth::AuthenticatedUser;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::app_versions::{self, Platform, Version, VersionCheck};
use crate::settings::AppVersionPolicy;
use crate::state::CoreState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct CheckQuery {
    /// `ios` or `android`.
    #[param(required = true, value_type = String, pattern = "^(ios|android)$")]
    pub platform: Option<String>,
    /// The installed version, `major.minor.patch`.
    #[param(required = true, value_type = String, pattern = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$")]
    pub version: Option<String>,
}

fn platform(raw: Option<&str>) -> Result<Platform, (&'static str, String)> {
    match raw {
        Some("ios") => Ok(Platform::Ios),
        Some("android") => Ok(Platform::Android),
        Some(other) => Err(("platform", format!("`{other}` is not ios or android"))),
        None => Err(("platform", "is required (ios or android)".into())),
    }
}

/// Whether the installed app must (hard) or may (soft) update. The
/// thresholds change at runtime, without a restart.
#[utoipa::path(
    get,
    path = "/v1/app/version-check",
    tag = "app",
    params(CheckQuery),
    responses(
        (status = 200, description = "What the app should do", body = VersionCheck),
        (status = 422, description = "Unknown platform or malformed version", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn version_check(
    state: web::Data<CoreState>,
    query: web::Query<CheckQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Vec::new();
    let platform = platform(query.platform.as_deref())
        .map_err(|p| problems.push(p))
        .ok();
    let version = match query.version.as_deref() {
        Some(v) => v
            .parse::<Version>()
            .map_err(|e| problems.push(("version", e)))
            .ok(),
        None => {
            problems.push(("version", "is required".into()));
            None
        }
    };
    let (Some(platform), Some(version)) = (platform, version) else {
        return Err(ApiError::validation(&problems));
    };
    let policy = app_versions::policy(&state.redis, &state.settings.app_versions, platform)
        .await
        .map_err(|e| ApiError::unavailable("Redis", e))?;
    Ok(HttpResponse::Ok().json(app_versions::check(policy, version)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVersions {
    pub platform: Platform,
    /// `major.minor.patch`.
    #[schema(pattern = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$")]
    pub latest_version: String,
    /// `major.minor.patch`, not above `latest_version`.
    #[schema(pattern = "^[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$")]
    pub min_supported_version: String,
    /// Where the app is updated: an http(s) URL.
    #[schema(pattern = "^https?://[^\\u0000]*$")]
    pub update_url: String,
}

/// Sets a platform's update thresholds (admins). Takes effect on every
/// replica at once: they read them from Redis on each check.
#[utoipa::path(
    put,
    path = "/v1/admin/app-versions",
    tag = "app",
    security(("bearer" = [])),
    request_body = SetVersions,
    responses(
        (status = 200, description = "Stored"),
        (status = 403, description = "Not an admin", body = dayone_web::error::ErrorDoc),
        (status = 422, description = "Malformed versions or URL", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn set_versions(
    state: web::Data<CoreState>,
    user: AuthenticatedUser,
    body: web::Json<SetVersions>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let body = body.into_inner();
    let policy = AppVersionPolicy {
        latest_version: body.latest_version,
        min_supported_version: body.min_supported_version,
        update_url: body.update_url,
    };
    app_versions::validate(&policy).map_err(|problems| ApiError::validation(&problems))?;
    app_versions::store(&state.redis, body.platform, &policy)
        .await
        .map_err(|e| ApiError::unavailable("Redis", e))?;
    tracing::info!(platform = body.platform.as_str(), latest = %policy.latest_version, min = %policy.min_supported_version, "app version policy changed");
    AdminAct::new(&user, "app_versions.set", body.platform.as_str())
        .record_done(&state.db, &state.outbox)
        .await;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "platform": body.platform, "policy": policy })))
}
