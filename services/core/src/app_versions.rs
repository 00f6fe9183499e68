//! Hard and soft app-update checks. The thresholds live in Redis, shared by
//! every replica and changed at runtime (admin API or `core
//! set-app-version`); the settings only supply them until then.

use std::fmt;
use std::str::FromStr;

use dayone_web::redis::Redis;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::settings::{AppVersionDefaults, AppVersionPolicy};

/// `major.minor.patch`, compared numerically (`1.10.0` > `1.9.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u32, u32, u32);

impl FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let number = |p: &str| {
            (!p.is_empty() && p.len() <= 9 && p.chars().all(|c| c.is_ascii_digit()))
                .then(|| p.parse::<u32>().ok())
                .flatten()
        };
        match parts.as_slice() {
            [a, b, c] => match (number(a), number(b), number(c)) {
                (Some(a), Some(b), Some(c)) => Ok(Self(a, b, c)),
                _ => Err(format!("`{s}` is not a version like 2.4.1")),
            },
            _ => Err(format!("`{s}` is not a version like 2.4.1")),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ios,
    Android,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
        }
    }
}

/// The answer to a version check.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionCheck {
    /// The app must update before it can be used.
    pub hard_update: bool,
    /// A newer version exists; the app may suggest it.
    pub soft_update: bool,
    pub latest_version: String,
    pub min_supported_version: String,
    pub update_url: String,
}

fn key(redis: &Redis, platform: Platform) -> String {
    redis.key(&format!("app-version:{}", platform.as_str()))
}

/// The platform's policy: Redis first, the settings otherwise.
pub async fn policy(
    redis: &Redis,
    defaults: &AppVersionDefaults,
    platform: Platform,
) -> redis::RedisResult<AppVersionPolicy> {
    let stored: std::collections::HashMap<String, String> =
        redis.connection().hgetall(key(redis, platform)).await?;
    let fallback = match platform {
        Platform::Ios => &defaults.ios,
        Platform::Android => &defaults.android,
    };
    let field =
        |name: &str, default: &String| stored.get(name).cloned().unwrap_or_else(|| default.clone());
    Ok(AppVersionPolicy {
        latest_version: field("latest_version", &fallback.latest_version),
        min_supported_version: field("min_supported_version", &fallback.min_supported_version),
        update_url: field("update_url", &fallback.update_url),
    })
}

/// Checks a policy's own consistency; `Err` names the problem.
pub fn validate(
    policy: &AppVersionPolicy,
) -> Result<(Version, Version), Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let latest = policy
        .latest_version
        .parse::<Version>()
        .map_err(|e| problems.push(("latest_version", e)))
        .ok();
    let min = policy
        .min_supported_version
        .parse::<Version>()
        .map_err(|e| problems.push(("min_supported_version", e)))
        .ok();
    if !(policy.update_url.starts_with("https://") || policy.update_url.starts_with("http://")) {
        problems.push(("update_url", "must be an http(s) URL".to_owned()));
    }
    match (latest, min) {
        (Some(latest), Some(min)) if min <= latest && problems.is_empty() => Ok((latest, min)),
        (Some(_), Some(_)) if problems.is_empty() => Err(vec![(
            "min_supported_version",
            "must not be above latest_version".to_owned(),
        )]),
        _ => Err(problems),
    }
}

/// Stores a validated policy for every replica.
pub async fn store(
    redis: &Redis,
    platform: Platform,
    policy: &AppVersionPolicy,
) -> redis::RedisResult<()> {
    redis
        .connection()
        .hset_multiple::<_, _, _, ()>(
            key(redis, platform),
            &[
                ("latest_version", policy.latest_version.as_str()),
                (
                    "min_supported_version",
                    policy.min_supported_version.as_str(),
                ),
                ("update_url", policy.update_url.as_str()),
            ],
        )
        .await
}

pub fn check(policy: AppVersionPolicy, version: Version) -> VersionCheck {
    let min = policy.min_supported_version.parse::<Version>().ok();
    let latest = policy.latest_version.parse::<Version>().ok();
    let hard_update = min.is_some_and(|min| version < min);
    VersionCheck {
        hard_update,
        soft_update: !hard_update && latest.is_some_and(|latest| version < latest),
        latest_version: policy.latest_version,
        min_supported_version: policy.min_supported_version,
        update_url: policy.update_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(latest: &str, min: &str) -> AppVersionPolicy {
        AppVersionPolicy {
            latest_version: latest.into(),
            min_supported_version: min.into(),
            update_url: "https://example.com/app".into(),
        }
    }

    #[test]
    fn versions_compare_numerically_and_malformed_ones_are_refused() {
        assert!("1.10.0".parse::<Version>().unwrap() > "1.9.3".parse().unwrap());
        for bad in [
            "1.2",
            "1.2.3.4",
            "a.b.c",
            "1..3",
            "-1.0.0",
            "",
            "01.2.3x",
            "1.2.99999999999",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn below_minimum_is_hard_below_latest_is_soft() {
        let p = || policy("2.4.0", "2.0.0");
        let at = |v: &str| check(p(), v.parse().unwrap());
        assert!(at("1.9.9").hard_update && !at("1.9.9").soft_update);
        assert!(!at("2.0.0").hard_update && at("2.0.0").soft_update);
        assert!(!at("2.4.0").hard_update && !at("2.4.0").soft_update);
        assert!(!at("3.0.0").soft_update);
    }

    #[test]
    fn a_policy_with_its_minimum_above_its_latest_is_refused() {
        assert!(validate(&policy("2.0.0", "2.1.0")).is_err());
        assert!(validate(&policy("2.0", "1.0.0")).is_err());
        assert!(validate(&policy("2.1.0", "2.0.0")).is_ok());
    }
}
