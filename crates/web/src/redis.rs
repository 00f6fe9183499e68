//! Redis: one multiplexed, self-reconnecting connection per process, created
//! lazily so a service starts (and reports not-ready) while Redis is down.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::settings::RedisSettings;

#[derive(Clone)]
pub struct Redis {
    manager: ConnectionManager,
    prefix: String,
}

impl Redis {
    pub fn connect_lazy(settings: &RedisSettings) -> anyhow::Result<Self> {
        let client = redis::Client::open(settings.url())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        Ok(Self {
            manager: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: settings.key_prefix.clone(),
        })
    }

    /// A handle to run commands on (cheap: the connection is multiplexed).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// `key_prefix` + `key`: every key goes through here, so deployments (and
    /// tests) sharing a Redis never see each other's keys.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.connection();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
    }
}
