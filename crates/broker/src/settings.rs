use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// How to reach RabbitMQ and how to consume from it.
#[derive(Debug, Clone, Deserialize)]
pub struct BrokerSettings {
    pub host: String,
    pub port: u16,
    #[serde(default = "default_vhost")]
    pub vhost: String,
    pub username: String,
    pub password: SecretString,
    /// Port of the management HTTP API (tests create a vhost per test there).
    #[serde(default = "default_management_port")]
    pub management_port: u16,
    /// Unacknowledged deliveries a consumer may hold.
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Deliveries a consumer handles at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Delay before each retry of a failed message; its length is the number
    /// of retries before the message goes to the dead-letter queue.
    #[serde(default = "default_retry_delays", deserialize_with = "numbers")]
    pub retry_delays_ms: Vec<u64>,
    /// Declare quorum queues (a RabbitMQ cluster) instead of classic ones.
    #[serde(default)]
    pub quorum_queues: bool,
    /// AMQP heartbeat: how fast a silently dead peer is noticed.
    #[serde(default = "default_heartbeat")]
    pub heartbeat_secs: u16,
}

/// A list of numbers that may arrive as strings (`APP_..=100,200` is split
/// by the config loader but its items stay text).
fn numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    Vec::<NumberOrText>::deserialize(deserializer)?
        .into_iter()
        .map(|item| match item {
            NumberOrText::Number(n) => Ok(n),
            NumberOrText::Text(s) => s.trim().parse().map_err(|_| {
                serde::de::Error::custom(format!("`{s}` is not a number of milliseconds"))
            }),
        })
        .collect()
}

fn default_vhost() -> String {
    "/".into()
}
fn default_management_port() -> u16 {
    15672
}
fn default_prefetch() -> u16 {
    32
}
fn default_concurrency() -> usize {
    8
}
fn default_retry_delays() -> Vec<u64> {
    vec![1_000, 5_000, 30_000, 120_000, 600_000]
}
fn default_heartbeat() -> u16 {
    10
}

impl BrokerSettings {
    /// The AMQP URI, with user, password and vhost percent-encoded.
    pub fn uri(&self) -> String {
        format!(
            "amqp://{}:{}@{}:{}/{}?heartbeat={}",
            encode(&self.username),
            encode(self.password.expose_secret()),
            self.host,
            self.port,
            encode(&self.vhost),
            self.heartbeat_secs
        )
    }

    pub fn retry_delays(&self) -> Vec<Duration> {
        self.retry_delays_ms
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect()
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_encodes_the_default_vhost_and_odd_passwords() {
        let settings = BrokerSettings {
            host: "127.0.0.1".into(),
            port: 5672,
            vhost: "/".into(),
            username: "dayone".into(),
            password: SecretString::from("p@ss/w:rd"),
            management_port: 15672,
            prefetch: 1,
            concurrency: 1,
            retry_delays_ms: vec![],
            quorum_queues: false,
            heartbeat_secs: 10,
        };
        assert_eq!(
            settings.uri(),
            "amqp://dayone:p%40ss%2Fw%3Ard@127.0.0.1:5672/%2F?heartbeat=10"
        );
    }
}
