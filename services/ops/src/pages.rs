//! The console's HTML: server-rendered pages, escaped here and nowhere
//! else, one stylesheet and one script from this service (no inline code,
//! nothing from another origin).

use std::fmt::Write as _;

use serde_json::Value;

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
            r#"<nav><a href="/console/">Queues</a> <a href="/console/jobs">Jobs</a> <a href="/console/notifications">Notifications</a> <a href="/console/users">Users</a> <a href="/console/audit">Audit log</a> <a href="/docs/">API reference</a>
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

/// One page of a queue's dead letters.
pub struct LetterPage<'a> {
    pub letters: &'a [LetterView],
    /// From 1.
    pub page: u32,
    /// How many wait in all.
    pub total: u32,
}

pub fn dead_letters(
    session: &Session,
    queue: &str,
    shown: LetterPage<'_>,
    flash: Option<&str>,
) -> String {
    let LetterPage {
        letters,
        page,
        total,
    } = shown;
    let base = format!("/console/queues/{queue}");
    let csrf = &session.csrf;
    let mut body = String::new();
    if letters.is_empty() {
        body.push_str(r#"<p id="no-dead-letters">No dead letters.</p>"#);
    } else {
        let first = (page - 1) * crate::queues::PAGE + 1;
        let last = first + letters.len() as u32 - 1;
        let mut pager = String::new();
        if page > 1 {
            let _ = write!(
                pager,
                r#" <a href="{}?page={}">Previous</a>"#,
                escape(&base),
                page - 1
            );
        }
        if last < total && page < crate::queues::MAX_PAGES {
            let _ = write!(
                pager,
                r#" <a href="{}?page={}">Next</a>"#,
                escape(&base),
                page + 1
            );
        }
        let _ = write!(
            body,
            r#"<div class="actions"><span id="letter-range">{first}–{last} of {total} (oldest first).</span>{pager} {} {}</div>"#,
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
            r#"<tr><td>{at}</td><td>{who}</td><td>{service}</td><td class="action">{action}</td><td>{target}</td><td>{outcome}</td><td><code>{request}</code></td></tr>"#,
            at = e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            who = if e.actor_email.is_empty() {
                e.actor_uuid.to_string()
            } else {
                escape(&e.actor_email)
            },
            service = escape(&e.service),
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
            r#"<table id="audit"><thead><tr><th>When</th><th>Who</th><th>Where</th><th>Action</th><th>Target</th><th>Outcome</th><th>Request</th></tr></thead><tbody>{rows}</tbody></table>{more}"#
        ),
    )
}

/// A JSON field as text ("" when absent).
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn jobs(session: &Session, jobs: &[Value], flash: Option<&str>) -> String {
    let mut rows = String::new();
    for job in jobs {
        let name = text(&job["name"]);
        let base = format!("/console/jobs/{name}");
        let toggle = if job["paused"] == true {
            action_form(&format!("{base}/resume"), &session.csrf, "Resume", "")
        } else {
            action_form(&format!("{base}/pause"), &session.csrf, "Pause", "")
        };
        let _ = write!(
            rows,
            r#"<tr data-job="{name_attr}"><td><a href="{base_attr}">{name_html}</a></td><td><code>{schedule}</code> {timezone}</td><td>{task}</td><td>{next}</td><td class="last-status">{last_status}</td><td>{last_at}</td><td>{state}</td><td>{run} {toggle}</td></tr>"#,
            name_attr = escape(&name),
            base_attr = escape(&base),
            name_html = escape(&name),
            schedule = escape(&text(&job["schedule"])),
            timezone = escape(&text(&job["timezone"])),
            task = escape(&text(&job["task"])),
            next = escape(&text(&job["next_run_at"])),
            last_status = escape(&text(&job["last_run"]["status"])),
            last_at = escape(&text(&job["last_run"]["scheduled_for"])),
            state = if job["paused"] == true {
                "paused"
            } else {
                "active"
            },
            run = action_form(&format!("{base}/run"), &session.csrf, "Run now", "primary"),
        );
    }
    layout(
        "Scheduled jobs",
        Some(session),
        flash,
        &format!(
            r#"<table id="jobs"><thead><tr><th>Job</th><th>Schedule</th><th>Task</th><th>Next run</th><th>Last status</th><th>Last run</th><th>State</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#
        ),
    )
}

/// A job's run history: one page of the API's (filtered by `status` there).
pub fn runs(
    session: &Session,
    job: &str,
    runs: &Value,
    page: u64,
    status: Option<&str>,
    flash: Option<&str>,
) -> String {
    let base = format!("/console/jobs/{job}");
    let mut rows = String::new();
    let items = runs["items"].as_array().cloned().unwrap_or_default();
    for run in &items {
        let _ = write!(
            rows,
            r#"<tr data-run="{uuid}"><td><code>{uuid}</code></td><td>{scheduled}</td><td>{trigger}</td><td class="status">{status}</td><td>{duration}</td><td>{worker}</td><td><pre>{output}</pre></td><td class="error-text">{error}</td></tr>"#,
            uuid = escape(&text(&run["uuid"])),
            scheduled = escape(&text(&run["scheduled_for"])),
            trigger = escape(&text(&run["trigger"])),
            status = escape(&text(&run["status"])),
            duration = escape(&text(&run["duration_ms"])),
            worker = escape(&text(&run["worker"])),
            output = escape(&text(&run["output"])),
            error = escape(&text(&run["error"])),
        );
    }
    let total = runs["total"].as_u64().unwrap_or(0);
    let per_page = runs["per_page"].as_u64().unwrap_or(50).max(1);
    let filter = status
        .map(|s| format!("&status={}", escape(s)))
        .unwrap_or_default();
    let mut pager = String::new();
    if page > 1 {
        let _ = write!(
            pager,
            r#"<a href="{}?page={}{filter}">Newer</a> "#,
            escape(&base),
            page - 1
        );
    }
    if page * per_page < total {
        let _ = write!(
            pager,
            r#"<a href="{}?page={}{filter}">Older</a>"#,
            escape(&base),
            page + 1
        );
    }
    let options: String = ["", "queued", "succeeded", "failed", "skipped", "lost"]
        .iter()
        .map(|s| {
            let selected = if status.unwrap_or("") == *s {
                " selected"
            } else {
                ""
            };
            let label = if s.is_empty() { "any status" } else { s };
            format!(r#"<option value="{s}"{selected}>{label}</option>"#)
        })
        .collect();
    layout(
        &format!("Runs of {job}"),
        Some(session),
        flash,
        &format!(
            r#"<div class="actions">{run} <span class="note">{total} runs in all.</span></div>
<form method="get" action="{base_attr}" class="inline"><label>Status <select name="status">{options}</select></label> <button type="submit">Filter</button></form>
<table id="runs"><thead><tr><th>Run</th><th>Scheduled for</th><th>Trigger</th><th>Status</th><th>ms</th><th>Worker</th><th>Output</th><th>Error</th></tr></thead><tbody>{rows}</tbody></table><p>{pager}</p>"#,
            run = action_form(&format!("{base}/run"), &session.csrf, "Run now", "primary"),
            base_attr = escape(&base),
        ),
    )
}

/// The support case: a search box, the contact found and every
/// notification to them with its deliveries and attempts.
pub fn notifications(
    session: &Session,
    query: &str,
    found: Option<&Value>,
    flash: Option<&str>,
) -> String {
    let mut body = format!(
        r#"<form method="get" action="/console/notifications" class="inline"><label>Email, phone or user id <input type="search" name="q" value="{q}" required></label> <button type="submit">Find</button></form>"#,
        q = escape(query),
    );
    let Some(found) = found else {
        return layout("Notifications", Some(session), flash, &body);
    };
    match found["contact"].as_object() {
        Some(_) => {
            let c = &found["contact"];
            let _ = write!(
                body,
                r#"<p id="contact">{name} &lt;{email}&gt; {phone} <code>{uuid}</code></p>"#,
                name = escape(&text(&c["name"])),
                email = escape(&text(&c["email"])),
                phone = escape(&text(&c["phone"])),
                uuid = escape(&text(&c["user_uuid"])),
            );
        }
        None => body.push_str(r#"<p id="contact" class="note">No user has this address; notifications sent to it directly are below.</p>"#),
    }
    let notifications = found["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if notifications.is_empty() {
        body.push_str(r#"<p id="no-notifications">No notifications.</p>"#);
    }
    for n in &notifications {
        let uuid = text(&n["uuid"]);
        let mut deliveries = String::new();
        for d in n["deliveries"].as_array().cloned().unwrap_or_default() {
            let mut history = String::new();
            for a in d["history"].as_array().cloned().unwrap_or_default() {
                let _ = write!(
                    history,
                    r#"<li class="attempt">#{attempt} <span class="outcome">{outcome}</span> at {at} ({ms} ms) {error}</li>"#,
                    attempt = escape(&text(&a["attempt"])),
                    outcome = escape(&text(&a["outcome"])),
                    at = escape(&text(&a["at"])),
                    ms = escape(&text(&a["duration_ms"])),
                    error = escape(&text(&a["error"])),
                );
            }
            let _ = write!(
                deliveries,
                r#"<tr><td>{channel}</td><td>{address}</td><td class="delivery-status">{status}</td><td>{attempts}</td><td>{sent}</td><td><ol>{history}</ol></td></tr>"#,
                channel = escape(&text(&d["channel"])),
                address = escape(&text(&d["address"])),
                status = escape(&text(&d["status"])),
                attempts = escape(&text(&d["attempts"])),
                sent = escape(&text(&d["sent_at"])),
            );
        }
        let _ = write!(
            body,
            r#"<article class="notification" data-uuid="{uuid_attr}" data-template="{template}"><h3>{template} · {channel} · <span class="status">{status}</span> <code>{uuid_html}</code></h3>
<p class="note">Accepted {created}</p>
<table class="deliveries"><thead><tr><th>Channel</th><th>Address</th><th>Status</th><th>Attempts</th><th>Sent</th><th>History</th></tr></thead><tbody>{deliveries}</tbody></table>{resend}</article>"#,
            uuid_attr = escape(&uuid),
            uuid_html = escape(&uuid),
            template = escape(&text(&n["template"])),
            channel = escape(&text(&n["channel"])),
            status = escape(&text(&n["status"])),
            created = escape(&text(&n["created_at"])),
            resend = action_form(
                &format!(
                    "/console/notifications/{uuid}/resend?q={}",
                    crate::queues::percent_encode(query)
                ),
                &session.csrf,
                "Send again",
                "primary"
            ),
        );
    }
    layout("Notifications", Some(session), flash, &body)
}

pub fn users(session: &Session, query: &str, found: Option<&Value>, page: u64) -> String {
    let mut body = format!(
        r#"<form method="get" action="/console/users" class="inline"><label>Email, phone, name or user id <input type="search" name="q" value="{q}" required></label> <button type="submit">Search</button></form>"#,
        q = escape(query),
    );
    if let Some(found) = found {
        let mut rows = String::new();
        for u in found["items"].as_array().cloned().unwrap_or_default() {
            let uuid = text(&u["uuid"]);
            let _ = write!(
                rows,
                r#"<tr data-user="{uuid_attr}"><td><a href="/console/users/{uuid_attr}">{email}</a></td><td>{name}</td><td>{phone}</td><td>{roles}</td><td class="state">{state}</td><td>{created}</td></tr>"#,
                uuid_attr = escape(&uuid),
                email = escape(&text(&u["email"])),
                name = escape(&text(&u["name"])),
                phone = escape(&text(&u["phone"])),
                roles = escape(
                    &u["roles"]
                        .as_array()
                        .map(|r| r.iter().map(text).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
                state = if u["disabled"] == true {
                    "disabled"
                } else {
                    "active"
                },
                created = escape(&text(&u["created_at"])),
            );
        }
        let total = found["total"].as_u64().unwrap_or(0);
        let per_page = found["per_page"].as_u64().unwrap_or(20).max(1);
        let q = crate::queues::percent_encode(query);
        let mut pager = String::new();
        if page > 1 {
            let _ = write!(
                pager,
                r#"<a href="/console/users?q={q}&page={}">Previous</a> "#,
                page - 1
            );
        }
        if page * per_page < total {
            let _ = write!(
                pager,
                r#"<a href="/console/users?q={q}&page={}">Next</a>"#,
                page + 1
            );
        }
        let _ = write!(
            body,
            r#"<p class="note">{total} found.</p><table id="users"><thead><tr><th>Email</th><th>Name</th><th>Phone</th><th>Roles</th><th>State</th><th>Since</th></tr></thead><tbody>{rows}</tbody></table><p>{pager}</p>"#
        );
    }
    layout("Users", Some(session), None, &body)
}

pub fn user(session: &Session, user: &Value, sessions: &Value, flash: Option<&str>) -> String {
    let uuid = text(&user["uuid"]);
    let base = format!("/console/users/{uuid}");
    let disabled = user["disabled"] == true;
    let admin = user["roles"]
        .as_array()
        .is_some_and(|r| r.iter().any(|x| x == dayone_web::auth::ADMIN));
    let mut rows = String::new();
    for s in sessions.as_array().cloned().unwrap_or_default() {
        let id = text(&s["id"]);
        let _ = write!(
            rows,
            r#"<tr data-session="{id_attr}"><td><code>{id_html}</code></td><td>{agent}</td><td>{ip}</td><td>{created}</td><td>{used}</td><td>{end}</td></tr>"#,
            id_attr = escape(&id),
            id_html = escape(&id),
            agent = escape(&text(&s["user_agent"])),
            ip = escape(&text(&s["ip"])),
            created = escape(&text(&s["created_at"])),
            used = escape(&text(&s["last_used_at"])),
            end = action_form(
                &format!("{base}/sessions/{id}/end"),
                &session.csrf,
                "End",
                "danger"
            ),
        );
    }
    let body = format!(
        r#"<dl id="account"><dt>Email</dt><dd>{email}</dd><dt>Name</dt><dd>{name}</dd><dt>Phone</dt><dd>{phone}</dd><dt>Roles</dt><dd class="roles">{roles}</dd><dt>State</dt><dd class="state">{state}</dd><dt>Id</dt><dd><code>{uuid_html}</code></dd></dl>
<div class="actions">{toggle} {role} <a href="/console/notifications?q={uuid_q}">Notifications to this user</a></div>
<h3>Live sessions</h3><table id="sessions"><thead><tr><th>Session</th><th>Device</th><th>Address</th><th>Started</th><th>Last used</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#,
        email = escape(&text(&user["email"])),
        name = escape(&text(&user["name"])),
        phone = escape(&text(&user["phone"])),
        roles = escape(
            &user["roles"]
                .as_array()
                .map(|r| r.iter().map(text).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        ),
        state = if disabled { "disabled" } else { "active" },
        uuid_html = escape(&uuid),
        uuid_q = crate::queues::percent_encode(&uuid),
        toggle = if disabled {
            action_form(
                &format!("{base}/enable"),
                &session.csrf,
                "Enable",
                "primary",
            )
        } else {
            action_form(
                &format!("{base}/disable"),
                &session.csrf,
                "Disable",
                "danger",
            )
        },
        role = if admin {
            action_form(
                &format!("{base}/remove-admin"),
                &session.csrf,
                "Remove admin role",
                "",
            )
        } else {
            action_form(
                &format!("{base}/make-admin"),
                &session.csrf,
                "Make admin",
                "",
            )
        },
    );
    layout(&text(&user["email"]), Some(session), flash, &body)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queues::{LetterView, PAGE};
    use crate::sessions::Admin;

    fn session() -> Session {
        Session {
            admin: Admin {
                uuid: uuid::Uuid::nil(),
                email: "admin@example.com".into(),
            },
            csrf: "token".into(),
            access_token: String::new(),
            refresh_token: String::new(),
        }
    }

    fn letters(n: usize) -> Vec<LetterView> {
        (0..n)
            .map(|i| LetterView {
                id: format!("id-{i}"),
                kind: "test.ping".into(),
                reason: "boom".into(),
                attempts: Some(3),
                request_id: "r".into(),
                body: "{}".into(),
            })
            .collect()
    }

    #[test]
    fn a_middle_page_of_dead_letters_says_where_it_is_and_links_both_ways() {
        let shown = letters(PAGE as usize);
        let html = dead_letters(
            &session(),
            "q.work",
            LetterPage {
                letters: &shown,
                page: 2,
                total: 120,
            },
            None,
        );
        assert!(html.contains("51–100 of 120"), "{html}");
        assert!(html.contains(r#"href="/console/queues/q.work?page=1">Previous"#));
        assert!(html.contains(r#"href="/console/queues/q.work?page=3">Next"#));
    }

    #[test]
    fn the_last_page_has_no_next_link() {
        let shown = letters(20);
        let html = dead_letters(
            &session(),
            "q.work",
            LetterPage {
                letters: &shown,
                page: 3,
                total: 120,
            },
            None,
        );
        assert!(html.contains("101–120 of 120"), "{html}");
        assert!(!html.contains(">Next<"), "{html}");
    }
}
