//! The client's address. Behind the gateway every TCP peer is nginx, so the
//! address nginx saw (`X-Real-IP`) is used when, and only when, the peer is
//! a trusted proxy; anyone else could simply send the header.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use ipnet::IpNet;

use crate::error::ApiError;

/// A trusted proxy: one address (`10.0.0.7`, `::1`) or a network in CIDR
/// notation (`10.244.0.0/16`), for gateways whose addresses change, such as
/// pods on Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet(IpNet);

impl ProxyNet {
    /// Whether `ip` is this address or in this network. An IPv4 peer seen
    /// on an IPv6 socket (`::ffff:10.0.0.7`) counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

impl FromStr for ProxyNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(|net| Self(net.trunc()))
            .map_err(|_| format!("`{s}` is neither an IP address nor a network such as 10.0.0.0/8"))
    }
}

impl fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> serde::Deserialize<'de> for ProxyNet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Peers whose `X-Real-IP` is believed.
#[derive(Debug, Clone)]
pub struct TrustedProxies(pub Vec<ProxyNet>);

impl TrustedProxies {
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(peer))
    }
}

/// The client's IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let trusted = req
            .app_data::<web::Data<TrustedProxies>>()
            .is_some_and(|t| t.trusts(peer));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn single_addresses_and_networks_are_trusted_and_nothing_else() {
        let proxies = trusted(&["127.0.0.1", "::1", "10.244.0.0/16", "fd00::/8"]);
        for peer in [
            "127.0.0.1",
            "::1",
            "10.244.0.1",
            "10.244.255.254",
            "::ffff:10.244.3.4",
            "fd12::7",
        ] {
            assert!(proxies.trusts(peer.parse().unwrap()), "{peer}");
        }
        for peer in ["127.0.0.2", "10.245.0.1", "192.168.1.1", "fe80::1", "::2"] {
            assert!(!proxies.trusts(peer.parse().unwrap()), "{peer}");
        }
    }

    #[test]
    fn a_network_is_kept_by_its_prefix_and_bad_values_are_refused() {
        // Host bits are dropped: 10.1.2.3/8 means 10.0.0.0/8.
        assert_eq!(
            "10.1.2.3/8".parse::<ProxyNet>().unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            " 192.0.2.1 ".parse::<ProxyNet>().unwrap().to_string(),
            "192.0.2.1/32"
        );
        for bad in ["", "gateway", "10.0.0.0/33", "10.0.0/8", "::1/129"] {
            let err = bad.parse::<ProxyNet>().unwrap_err();
            assert!(
                err.contains("neither an IP address nor a network"),
                "{bad}: {err}"
            );
        }
    }
}
