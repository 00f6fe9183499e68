//! MailDev's REST API: what the SMTP catcher received.

use std::time::Duration;

use serde_json::Value;

use crate::{TestStack, eventually};

/// All messages MailDev holds (`GET /email`).
pub async fn all(stack: &TestStack) -> anyhow::Result<Vec<Value>> {
    Ok(reqwest::get(format!("{}/email", stack.mail_url()))
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Waits for a message addressed to `to`; `None` after `timeout`.
pub async fn wait_for(stack: &TestStack, to: &str, timeout: Duration) -> Option<Value> {
    wait_for_matching(stack, to, timeout, |_| true).await
}

/// Waits for a message addressed to `to` with this `subject`; `None` after
/// `timeout`. Use it where one action sends several emails, which arrive in
/// no fixed order.
pub async fn wait_for_subject(
    stack: &TestStack,
    to: &str,
    subject: &str,
    timeout: Duration,
) -> Option<Value> {
    wait_for_matching(stack, to, timeout, |m| m["subject"] == subject).await
}

async fn wait_for_matching(
    stack: &TestStack,
    to: &str,
    timeout: Duration,
    matches: impl Fn(&Value) -> bool,
) -> Option<Value> {
    eventually(timeout, || async {
        all(stack).await.ok()?.into_iter().find(|m| {
            m["to"]
                .as_array()
                .is_some_and(|list| list.iter().any(|t| t["address"] == to))
                && matches(m)
        })
    })
    .await
}
