//! The in-app inbox: items sent as notifications, read and archived by
//! their owner only, and a live stream that resumes where it left off.

use std::time::{Duration, Instant};

use dayone_model::messages::notifications::{Channel, Recipient, TemplatedJob};
use dayone_test_support::sse::Events;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{NotifyApp, User, spawn_app};

/// Publishes an in-app template `inbox.note` with one variable, `what`.
async fn note_template(app: &NotifyApp, admin: &User) {
    let template = json!({
        "key": "inbox.note",
        "category": "transactional",
        "default_locale": "en",
        "variables": [{"name": "what"}],
        "content": {
            "en": {"in_app": {"title": "{{ what }} is ready", "body": "Open it in the app."}},
            "pt": {"in_app": {"title": "{{ what }} está pronto", "body": "Abra-o na aplicação."}},
        },
    });
    let created = app
        .send(
            Method::POST,
            "/v1/notifications/templates",
            &admin.token,
            Some(template),
        )
        .await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let published = app
        .send(
            Method::POST,
            "/v1/notifications/templates/inbox.note/publish",
            &admin.token,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(published.status(), 200);
}

fn note(user: Uuid, what: &str) -> TemplatedJob {
    TemplatedJob {
        recipient: Recipient {
            user_uuid: Some(user),
            ..Default::default()
        },
        channel: Channel::InApp,
        template: "inbox.note".into(),
        variables: serde_json::Map::from_iter([("what".into(), json!(what))]),
        locale: None,
        version: None,
        digest: None,
    }
}

async fn stream(app: &NotifyApp, user: &User, last_event_id: Option<&str>) -> Events {
    let mut request = app.client.get(app.url("/v1/inbox/stream")).header(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", user.token),
    );
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = Events::new(response);
    assert!(
        events.opened(Duration::from_secs(5)).await,
        "the stream opened"
    );
    events
}

async fn get(app: &NotifyApp, user: &User, path: &str) -> Value {
    let response = app.send(Method::GET, path, &user.token, None).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_item_arrives_live_and_only_its_owner_reads_marks_and_archives_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (user, other) = (app.user().await, app.user().await);
    note_template(&app, &admin).await;
    let mut live = stream(&app, &user, None).await;

    // Sent over HTTP by an admin, like any notification.
    let sent = Instant::now();
    let accepted = app
        .send(
            Method::POST,
            "/v1/notifications",
            &admin.token,
            Some(json!({"channel": "in_app", "template": "inbox.note", "recipient": {"user_uuid": user.uuid}, "variables": {"what": "Your report"}})),
        )
        .await;
    assert_eq!(accepted.status(), 202);
    let event = live
        .next(Duration::from_secs(5))
        .await
        .expect("the item arrived on the stream");
    let took = sent.elapsed();
    assert!(took < Duration::from_secs(1), "it took {took:?}");
    assert_eq!(event.event.as_deref(), Some("item"));
    let item = event.json();
    assert_eq!(item["title"], "Your report is ready");
    assert_eq!(event.id.as_deref(), item["uuid"].as_str());

    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await["unread"],
        1
    );
    let page = get(&app, &user, "/v1/inbox").await;
    assert_eq!(page["items"][0]["uuid"], item["uuid"]);
    assert_eq!(get(&app, &other, "/v1/inbox").await["items"], json!([]));

    // Another user can neither read nor mark it.
    let uuid = item["uuid"].as_str().unwrap();
    for action in ["read", "unread", "archive"] {
        let path = format!("/v1/inbox/{uuid}/{action}");
        let refused = app.send(Method::POST, &path, &other.token, None).await;
        assert_eq!(refused.status(), 404, "{action}");
    }
    let read = app
        .send(
            Method::POST,
            &format!("/v1/inbox/{uuid}/read"),
            &user.token,
            None,
        )
        .await;
    assert_eq!(read.status(), 200);
    assert!(read.json::<Value>().await.unwrap()["read_at"].is_string());
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await["unread"],
        0
    );
    app.send(
        Method::POST,
        &format!("/v1/inbox/{uuid}/unread"),
        &user.token,
        None,
    )
    .await;
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await["unread"],
        1
    );

    // Two more, then pages of one, newest first.
    for what in ["B", "C"] {
        app.publish(note(user.uuid, what)).await;
        live.next(Duration::from_secs(5))
            .await
            .expect("each arrives");
    }
    let first = get(&app, &user, "/v1/inbox?limit=1").await;
    assert_eq!(first["items"][0]["title"], "C is ready");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(&app, &user, &format!("/v1/inbox?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["title"], "B is ready");
    let unread = get(&app, &user, "/v1/inbox?filter=unread&limit=100").await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 3);
    assert_eq!(unread["next_cursor"], Value::Null);

    // Archived leaves the list and the count; read-all marks the rest.
    app.send(
        Method::POST,
        &format!("/v1/inbox/{uuid}/archive"),
        &user.token,
        None,
    )
    .await;
    assert_eq!(
        get(&app, &user, "/v1/inbox").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        get(&app, &user, "/v1/inbox?filter=archived").await["items"][0]["uuid"],
        uuid
    );
    let marked = app
        .send(Method::POST, "/v1/inbox/read-all", &user.token, None)
        .await;
    assert_eq!(marked.json::<Value>().await.unwrap()["marked"], 2);
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await["unread"],
        0
    );

    let bad = app
        .send(Method::GET, "/v1/inbox?limit=1000", &user.token, None)
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_gets_what_it_missed_and_a_redelivered_job_adds_nothing()
 {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;
    note_template(&app, &admin).await;
    let mut live = stream(&app, &user, None).await;
    let first = app.publish(note(user.uuid, "One")).await;
    let seen = live.next(Duration::from_secs(5)).await.unwrap();
    drop(live);

    // While disconnected: two more, and a copy of the first job.
    app.publish(note(user.uuid, "Two")).await;
    app.publish(note(user.uuid, "Three")).await;
    app.republish(&first).await;
    let stored = dayone_test_support::eventually(Duration::from_secs(10), || async {
        let page = get(&app, &user, "/v1/inbox").await;
        (page["items"].as_array().unwrap().len() >= 3).then_some(page)
    })
    .await
    .expect("stored");
    let status = app
        .status_when(first.id, &admin.token, |s| s["status"] == "sent")
        .await;
    assert_eq!(status["deliveries"][0]["channel"], "in_app");

    let mut resumed = stream(&app, &user, seen.id.as_deref()).await;
    let mut titles = Vec::new();
    while let Some(event) = resumed.next(Duration::from_millis(1500)).await {
        titles.push(event.json()["title"].as_str().unwrap().to_owned());
    }
    // Jobs are handled concurrently: stored, and replayed, in either order.
    titles.sort();
    assert_eq!(titles, ["Three is ready", "Two is ready"]);
    assert_eq!(
        stored["items"].as_array().unwrap().len(),
        3,
        "the copy added nothing"
    );

    let refused = app
        .client
        .get(app.url("/v1/inbox/stream"))
        .header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", user.token),
        )
        .header("last-event-id", "not-an-id")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn the_unread_count_is_exact_up_to_999_and_says_more_past_it() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let user = app.user().await;
    let seed = |n: i64| {
        Statement::from_sql_and_values(
            DbBackend::Postgres,
            "WITH n AS (INSERT INTO notifications (uuid, channel, category, template, recipient_user_uuid, job, status) \
               SELECT gen_random_uuid(), 'in_app', 'transactional', 't', $2, '{}'::jsonb, 'sent' FROM generate_series(1, $1) RETURNING id) \
             INSERT INTO inbox_items (uuid, user_uuid, notification_id, template, category, title, body) \
             SELECT gen_random_uuid(), $2, id, 't', 'transactional', 'x', 'y' FROM n",
            [n.into(), user.uuid.into()],
        )
    };
    app.db.execute_raw(seed(999)).await.unwrap();
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await,
        json!({"unread": 999, "more": false})
    );
    app.db.execute_raw(seed(1)).await.unwrap();
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await,
        json!({"unread": 999, "more": true})
    );
    let marked = app
        .send(Method::POST, "/v1/inbox/read-all", &user.token, None)
        .await;
    assert_eq!(marked.json::<Value>().await.unwrap()["marked"], 1000);
    assert_eq!(
        get(&app, &user, "/v1/inbox/unread-count").await,
        json!({"unread": 0, "more": false})
    );
}
