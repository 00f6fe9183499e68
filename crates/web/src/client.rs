//! The client's address. Behind the gateway every TCP peer is nginx, so the
//! address nginx saw (`X-Real-IP`) is used when, and only when, the peer is
//! a trusted proxy; anyone else could simply send the header.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};

use crate::error::ApiError;

/// Peers whose `X-Real-IP` is believed.
#[derive(Debug, Clone)]
pub struct TrustedProxies(pub Vec<IpAddr>);

/// The client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let trusted = req
            .app_data::<web::Data<TrustedProxies>>()
            .is_some_and(|t| t.0.contains(&peer));
        if trusted
            && let Some(real) = req
                .headers()
                .get("x-real-ip")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        {
            return Some(real);
        }
        Some(peer)
    }
}

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            Self::of(req)
                .map(ClientIp)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no peer address"))),
        )
    }
}
