use actix_web::{HttpResponse, web};
use dayone_web::ApiError;
use dayone_web::auth::AuthenticatedUser;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::devices::{self, Registered};
use crate::entities::device;
use crate::state::NotifyState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ios,
    Android,
}

impl Platform {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub platform: Platform,
    /// The APNs device token (64 hex digits) or the FCM registration token
    /// (20 to 4096 printable ASCII characters, no spaces).
    pub token: String,
}

/// The token's form depends on the platform, so the schema is one of two.
impl utoipa::PartialSchema for DeviceRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let device = |platform: &str, token: &str, description: &str| {
            serde_json::json!({
                "type": "object",
                "required": ["platform", "token"],
                "additionalProperties": false,
                "properties": {
                    "platform": {"type": "string", "enum": [platform]},
                    "token": {"type": "string", "pattern": token, "description": description},
                },
            })
        };
        dayone_web::openapi::schema(serde_json::json!({"oneOf": [
            device("ios", IOS_TOKEN, "The APNs device token: 64 hexadecimal digits"),
            device("android", ANDROID_TOKEN, "The FCM registration token: 20 to 4096 printable ASCII characters, no spaces"),
        ]}))
    }
}

impl utoipa::ToSchema for DeviceRequest {}

const IOS_TOKEN: &str = "^[0-9a-fA-F]{64}$";
const ANDROID_TOKEN: &str = "^[!-~]{20,4096}$";

#[derive(Serialize, ToSchema)]
pub struct DeviceResponse {
    pub uuid: Uuid,
    pub platform: String,
    pub token: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<device::Model> for DeviceResponse {
    fn from(d: device::Model) -> Self {
        Self {
            uuid: d.uuid,
            platform: d.platform,
            token: d.token,
            created_at: d.created_at,
        }
    }
}

fn check_token(request: &DeviceRequest) -> Result<String, ApiError> {
    let token = request.token.as_str();
    let valid = match request.platform {
        Platform::Ios => token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        Platform::Android => {
            (20..=4096).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic())
        }
    };
    if valid {
        Ok(normalise(request.platform, token))
    } else {
        Err(ApiError::validation(&[(
            "token",
            match request.platform {
                Platform::Ios => "an APNs device token is 64 hexadecimal digits".into(),
                Platform::Android => {
                    "an FCM registration token is 20 to 4096 printable ASCII characters without spaces".into()
                }
            },
        )]))
    }
}

/// APNs tokens are hex; compare them in one case.
fn normalise(platform: Platform, token: &str) -> String {
    match platform {
        Platform::Ios => token.to_lowercase(),
        Platform::Android => token.to_owned(),
    }
}

/// The caller's registered devices.
#[utoipa::path(
    get,
    path = "/v1/devices",
    tag = "devices",
    security(("bearer" = [])),
    responses((status = 200, description = "Devices", body = Vec<DeviceResponse>))
)]
pub async fn list(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    let devices = devices::of(&state.db, user.user_uuid).await?;
    Ok(HttpResponse::Ok().json(
        devices
            .into_iter()
            .map(DeviceResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Registers a push token for the caller. A token registered to someone
/// else before (a shared phone, a new login) moves to the caller.
#[utoipa::path(
    post,
    path = "/v1/devices",
    tag = "devices",
    security(("bearer" = [])),
    request_body = DeviceRequest,
    responses(
        (status = 201, description = "Registered", body = DeviceResponse),
        (status = 200, description = "Already registered to the caller", body = DeviceResponse),
        (status = 422, description = "Not a token for that platform", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn register(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    body: web::Json<DeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = check_token(&body)?;
    let platform = body.platform.as_str();
    match devices::register(&state.db, user.user_uuid, platform, token).await? {
        Registered::Already(device) => Ok(HttpResponse::Ok().json(DeviceResponse::from(device))),
        Registered::Created(device) => {
            Ok(HttpResponse::Created().json(DeviceResponse::from(device)))
        }
    }
}

/// Removes one of the caller's push tokens.
#[utoipa::path(
    delete,
    path = "/v1/devices",
    tag = "devices",
    security(("bearer" = [])),
    request_body = DeviceRequest,
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "The caller has no such device", body = dayone_web::error::ErrorDoc),
    )
)]
pub async fn remove(
    state: web::Data<NotifyState>,
    user: AuthenticatedUser,
    body: web::Json<DeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = normalise(body.platform, &body.token);
    devices::remove(&state.db, user.user_uuid, body.platform.as_str(), &token).await?;
    Ok(HttpResponse::NoContent().finish())
}
