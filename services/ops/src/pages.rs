//! The console's HTML: server-rendered pages, escaped here and nowhere
//! else, one stylesheet and one script from this service (no inline code,
//! nothing from another origin).

use std::fmt::Write as _;

use crate::audit::Entry;
use crate::queues::{LetterView, QueueView};
use crate::sessions::Session;

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `body` is already HTML.
fn layout(title: &str, session: Option<&Session>, flash: Option<&str>, body: &str) -> String {
    let nav = match session {
        Some(session) => format!(
            r#"<nav><a href="/console/">Queues</a> <a href="/console/audit">Audit log</a> <a href="/docs/">API reference</a>
<form method="post" action="/console/sign-out" class="inline"><input type="hidden" name="csrf" value="{csrf}"><span class="who">{email}</span> <button type="submit">Sign out</button></form></nav>"#,
            csrf = escape(&session.csrf),
            email = escape(&session.admin.email),
        ),
        None => String::new(),
    };
    let flash = flash
        .map(|f| format!(r#"<p class="flash" role="status">{}</p>"#, escape(f)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Dayone console</title><link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script></head>
<body><header><h1><a href="/console/">Dayone console</a></h1>{nav}</header><main>{flash}<h2>{title}</h2>
{body}</main></body></html>"#,
        title = escape(title),
    )
}

pub fn sign_in(csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    layout(
        "Sign in",
        None,
        None,
        &format!(
            r#"{error}<form method="post" action="/console/sign-in" class="stack">
<input type="hidden" name="csrf" value="{csrf}">
<label>Email <input type="email" name="email" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
<p class="note">Admins only: sign in with your Dayone account.</p>"#,
            csrf = escape(csrf),
        ),
    )
}

/// A page that says why not.
pub fn refused(title: &str, message: &str, session: Option<&Session>) -> String {
    layout(
        title,
        session,
        None,
        &format!(r#"<p class="error" role="alert">{}</p>"#, escape(message)),
    )
}

pub fn queues(session: &Session, queues: &[QueueView], flash: Option<&str>) -> String {
    let mut rows = String::new();
    for q in queues {
        let dead = if q.dead_letters > 0 {
            format!(
                r#"<a href="/console/queues/{0}">{1}</a>"#,
                escape(&q.name),
                q.dead_letters
            )
        } else {
            "0".to_owned()
        };
        let _ = write!(
            rows,
            r#"<tr data-queue="{name}"><td>{name}</td><td>{service}</td><td data-field="ready">{ready}</td><td data-field="unacked">{unacked}</td><td data-field="consumers">{consumers}</td><td data-field="publish_rate">{publish:.1}</td><td data-field="ack_rate">{ack:.1}</td><td data-field="dead_letters" class="dead">{dead}</td></tr>"#,
            name = escape(&q.name),
            service = escape(&q.service),
            ready = q.ready,
            unacked = q.unacked,
            consumers = q.consumers,
            publish = q.publish_rate,
            ack = q.ack_rate,
        );
    }
    layout(
        "Queues",
        Some(session),
        flash,
        &format!(
            r#"<table id="queues" data-refresh="/console/queues.json"><thead><tr><th>Queue</th><th>Service</th><th>Ready</th><th>Unacked</th><th>Consumers</th><th>Published/s</th><th>Acked/s</th><th>Dead letters</th></tr></thead>
<tbody>{rows}</tbody></table><p class="note">Counts refresh every few seconds.</p>"#
        ),
    )
}

fn action_form(action: &str, csrf: &str, label: &str, class: &str) -> String {
    format!(
        r#"<form method="post" action="{action}" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" class="{class}">{label}</button></form>"#,
        action = escape(action),
        csrf = escape(csrf),
        label = escape(label),
    )
}

pub fn dead_letters(
    session: &Session,
    queue: &str,
    letters: &[LetterView],
    flash: Option<&str>,
) -> String {
    let base = format!("/console/queues/{queue}");
    let csrf = &session.csrf;
    let mut body = String::new();
    if letters.is_empty() {
        body.push_str(r#"<p id="no-dead-letters">No dead letters.</p>"#);
    } else {
        let _ = write!(
            body,
            r#"<p>{} {} shown (oldest first). {} {}</p>"#,
            letters.len(),
            if letters.len() == 1 {
                "dead letter"
            } else {
                "dead letters"
            },
            action_form(&format!("{base}/replay"), csrf, "Replay all", "primary"),
            action_form(&format!("{base}/discard"), csrf, "Discard all", "danger"),
        );
        for letter in letters {
            let one = format!("{base}/dead-letters/{}", letter.id);
            let _ = write!(
                body,
                r#"<article class="letter" data-id="{id}"><h3>{kind} <code>{id}</code></h3>
<dl><dt>Reason</dt><dd class="reason">{reason}</dd><dt>Attempts</dt><dd>{attempts}</dd><dt>Request</dt><dd><code>{request}</code></dd></dl>
<pre>{payload}</pre>{replay} {discard}</article>"#,
                id = escape(&letter.id),
                kind = escape(&letter.kind),
                reason = escape(&letter.reason),
                attempts = letter
                    .attempts
                    .map_or_else(|| "?".to_owned(), |a| a.to_string()),
                request = escape(&letter.request_id),
                payload = escape(&letter.body),
                replay = action_form(&format!("{one}/replay"), csrf, "Replay", "primary"),
                discard = action_form(&format!("{one}/discard"), csrf, "Discard", "danger"),
            );
        }
    }
    layout(
        &format!("Dead letters of {queue}"),
        Some(session),
        flash,
        &body,
    )
}

pub fn audit(session: &Session, entries: &[Entry], next: Option<i64>) -> String {
    let mut rows = String::new();
    for e in entries {
        let _ = write!(
            rows,
            r#"<tr><td>{at}</td><td>{who}</td><td class="action">{action}</td><td>{target}</td><td>{outcome}</td><td><code>{request}</code></td></tr>"#,
            at = e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            who = escape(&e.actor_email),
            action = escape(&e.action),
            target = escape(&e.target),
            outcome = escape(&e.outcome),
            request = escape(&e.request_id),
        );
    }
    let more = next
        .map(|id| format!(r#"<p><a href="/console/audit?before={id}">Older</a></p>"#))
        .unwrap_or_default();
    layout(
        "Audit log",
        Some(session),
        None,
        &format!(
            r#"<table id="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Outcome</th><th>Request</th></tr></thead><tbody>{rows}</tbody></table>{more}"#
        ),
    )
}

/// The API reference: Swagger UI over every service's document.
pub fn docs() -> String {
    r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dayone API reference</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<script src="/docs/assets/swagger-ui-bundle.js" defer></script><script src="/docs/assets/swagger-ui-standalone-preset.js" defer></script>
<script src="/docs/docs.js" defer></script></head>
<body><div id="reference"></div></body></html>"##
        .to_owned()
}
