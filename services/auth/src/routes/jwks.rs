use actix_web::{HttpResponse, web};

use crate::state::AuthState;

/// The public keys access tokens are signed with (the current one and those
/// still accepted during a rotation). Services cache it and fetch it again
/// when a token names an unknown `kid`.
#[utoipa::path(
    get,
    path = "/v1/auth/.well-known/jwks.json",
    tag = "auth",
    responses((status = 200, description = "JSON Web Key Set"))
)]
pub async fn jwks(state: web::Data<AuthState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.keys.jwks())
}
