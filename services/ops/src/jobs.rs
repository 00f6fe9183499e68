//! Scheduled jobs and their run history, through the cron service's admin
//! API as the signed-in admin. The cron service is found in services.toml as
//! the one that takes the task results (`TaskResult`), not by name.

use dayone_model::Contract;
use dayone_model::messages::tasks::TaskResult;
use dayone_model::services::{SERVICES, Service};
use reqwest::Method;
use serde_json::Value;

use crate::api::{CallError, call};

/// What an admin may do to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    Run,
    Pause,
    Resume,
}

impl JobAction {
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "run" => Some(Self::Run),
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Pause => "pause",
            Self::Resume => "resume",
        }
    }
}

/// The service that keeps the run history.
pub fn cron() -> Option<&'static Service> {
    SERVICES.iter().find(|s| {
        s.queues
            .iter()
            .any(|q| q.bindings.contains(&TaskResult::TYPE))
    })
}

fn base() -> Result<String, CallError> {
    cron()
        .map(|s| format!("{}/jobs", s.path))
        .ok_or_else(|| CallError::Unreachable("no service keeps a run history".into()))
}

/// A job name as a path segment: names are `[a-z0-9-_]`, anything else is
/// refused before it reaches a URL.
fn segment(job: &str) -> Result<&str, CallError> {
    if !job.is_empty()
        && job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(job)
    } else {
        Err(CallError::Refused {
            status: 404,
            message: "no such job".into(),
        })
    }
}

/// Every job with its schedule, next and last run.
pub async fn list(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
) -> Result<Vec<Value>, CallError> {
    let jobs = call(http, api_url, token, Method::GET, &base()?).await?;
    Ok(jobs.as_array().cloned().unwrap_or_default())
}

/// One page of a job's runs, newest first.
pub async fn runs(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    job: &str,
    page: u64,
    status: Option<&str>,
) -> Result<Value, CallError> {
    let mut path = format!("{}/{}/runs?page={page}&per_page=50", base()?, segment(job)?);
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        path.push_str("&status=");
        path.push_str(&crate::queues::percent_encode(status));
    }
    call(http, api_url, token, Method::GET, &path).await
}

pub async fn act(
    http: &reqwest::Client,
    api_url: &str,
    token: &str,
    job: &str,
    action: JobAction,
) -> Result<Value, CallError> {
    let path = format!("{}/{}/{}", base()?, segment(job)?, action.as_str());
    call(http, api_url, token, Method::POST, &path).await
}
