//! Templates managed at run time: written by admins in several languages,
//! versioned, previewed, published and rolled back; sent by any service
//! with variables checked against the ones declared.

use std::time::Duration;

use dayone_model::messages::notifications::{Channel, Recipient, TemplatedJob};
use dayone_test_support::{eventually, mail};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{NotifyApp, User, contact_in, spawn_app, unique_email, unique_phone};

/// Where notifications are sent.
const SEND: &str = "/v1/notifications";

/// A shipping notice in English and Portuguese, email and SMS.
fn shipped(subject_en: &str) -> Value {
    json!({
        "key": "order.shipped",
        "category": "transactional",
        "description": "An order left the warehouse",
        "default_locale": "en",
        "variables": [
            {"name": "order_number", "sample": "A-1"},
            {"name": "carrier", "required": false, "sample": "DHL"},
        ],
        "content": {
            "en": {
                "email": {
                    "subject": subject_en,
                    "text": "Hello{% if name %} {{ name }}{% endif %},\nyour order {{ order_number }} is on its way{% if carrier %} with {{ carrier }}{% endif %}.",
                    "html": "{% extends \"layout.html\" %}{% block content %}<p>Order <b>{{ order_number }}</b> shipped.</p>{% endblock %}",
                },
                "sms": {"text": "Order {{ order_number }} shipped."},
            },
            "pt": {
                "email": {
                    "subject": "O seu pedido {{ order_number }} foi enviado",
                    "text": "Olá,\no seu pedido {{ order_number }} está a caminho.",
                    "html": "<p>Pedido <b>{{ order_number }}</b> enviado.</p>",
                },
            },
        },
    })
}

async fn call(
    app: &NotifyApp,
    method: Method,
    path: &str,
    who: &User,
    body: Option<Value>,
) -> (u16, Value) {
    let response = app.send(method, path, &who.token, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Sends `body`, expects a 422 and returns the first reason it gives for
/// `field`.
async fn refusal(
    app: &NotifyApp,
    method: Method,
    path: &str,
    who: &User,
    body: Value,
    field: &str,
) -> String {
    let (status, body) = call(app, method, path, who, Some(body)).await;
    assert_eq!(status, 422, "{body}");
    body["details"]["fields"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no reason for `{field}`: {body}"))
        .to_owned()
}

/// Creates and publishes `body` as version 1.
async fn published(app: &NotifyApp, admin: &User, body: Value) {
    let key = body["key"].as_str().unwrap().to_owned();
    let (status, created) = call(
        app,
        Method::POST,
        "/v1/notifications/templates",
        admin,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["published_version"],
        Value::Null,
        "created unpublished"
    );
    let (status, body) = call(
        app,
        Method::POST,
        &format!("/v1/notifications/templates/{key}/publish"),
        admin,
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn send_body(user: Option<Uuid>, email: Option<&str>, variables: Value) -> Value {
    json!({
        "channel": "email",
        "template": "order.shipped",
        "recipient": {"user_uuid": user, "email": email},
        "variables": variables,
    })
}

async fn subject_of(app: &NotifyApp, to: &str) -> String {
    let message = mail::wait_for(&app.env.stack, to, Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("an email reached {to}"));
    message["subject"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_reader_gets_the_template_in_their_language_with_fallbacks() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    published(
        &app,
        &admin,
        shipped("Your order {{ order_number }} shipped"),
    )
    .await;

    // A user who reads Brazilian Portuguese gets the `pt` wording; one with
    // no language the default.
    let (pt_user, pt_email) = (Uuid::new_v4(), unique_email());
    contact_in(&app, pt_user, &pt_email, None, Some("pt-BR")).await;
    let (en_user, en_email) = (Uuid::new_v4(), unique_email());
    contact_in(&app, en_user, &en_email, None, None).await;
    for user in [pt_user, en_user] {
        let (status, body) = call(
            &app,
            Method::POST,
            "/v1/notifications",
            &admin,
            Some(send_body(Some(user), None, json!({"order_number": "B-7"}))),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    assert_eq!(
        subject_of(&app, &pt_email).await,
        "O seu pedido B-7 foi enviado"
    );
    assert_eq!(subject_of(&app, &en_email).await, "Your order B-7 shipped");

    // No user to ask: `Accept-Language` picks among the template's.
    let stranger = unique_email();
    let response = app
        .client
        .post(app.url("/v1/notifications"))
        .header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", admin.token),
        )
        .header("accept-language", "de;q=0.9, pt-PT, en;q=0.5")
        .json(&send_body(
            None,
            Some(&stranger),
            json!({"order_number": "C-3", "carrier": "CTT"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let message = mail::wait_for(&app.env.stack, &stranger, Duration::from_secs(15))
        .await
        .expect("delivered");
    assert_eq!(message["subject"], "O seu pedido C-3 foi enviado");
    assert!(message["html"].as_str().unwrap().contains("<b>C-3</b>"));
}

#[tokio::test]
async fn variables_are_checked_against_the_template_at_the_api_and_on_the_queue() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    published(&app, &admin, shipped("Shipped")).await;
    let to = unique_email();

    let missing = send_body(None, Some(&to), json!({}));
    assert_eq!(
        refusal(
            &app,
            Method::POST,
            SEND,
            &admin,
            missing,
            "variables.order_number"
        )
        .await,
        "is required"
    );

    let extra = send_body(None, Some(&to), json!({"order_number": "1", "coupon": "X"}));
    assert_eq!(
        refusal(&app, Method::POST, SEND, &admin, extra, "variables.coupon").await,
        "is not a variable of this template"
    );

    let mut unknown = send_body(None, Some(&to), json!({}));
    unknown["template"] = json!("no.such.template");
    let reason = refusal(&app, Method::POST, SEND, &admin, unknown, "template").await;
    assert!(reason.contains("no template"), "{reason}");

    let mut push = send_body(Some(admin.uuid), None, json!({"order_number": "1"}));
    push["channel"] = json!("push");
    assert_eq!(
        refusal(&app, Method::POST, SEND, &admin, push, "channel").await,
        "template `order.shipped` has no push part"
    );

    // Another service publishing the same mistake straight to the queue:
    // the notification fails and the job is dead-lettered with the reason.
    let job = app
        .publish(TemplatedJob {
            recipient: Recipient {
                user_uuid: Some(admin.uuid),
                email: Some(to.clone()),
                ..Default::default()
            },
            channel: Channel::Email,
            template: "order.shipped".into(),
            variables: serde_json::Map::from_iter([("coupon".into(), json!("X"))]),
            locale: None,
            version: None,
            digest: None,
        })
        .await;
    let status = app
        .status_when(job.id, &admin.token, |s| s["status"] == "failed")
        .await;
    assert_eq!(status["template"], "order.shipped");
    let dead = eventually(Duration::from_secs(10), || async {
        let (_, body) = call(
            &app,
            Method::GET,
            "/v1/notifications/admin/dead-letters",
            &admin,
            None,
        )
        .await;
        (body["dead_letters"]["notification.templated"] == 1).then_some(())
    })
    .await;
    assert!(dead.is_some(), "the refused job is in the dead letters");
    assert!(
        mail::wait_for(&app.env.stack, &to, Duration::from_millis(500))
            .await
            .is_none()
    );
}

fn sms_body(phone: &str, order: &str) -> Value {
    json!({
        "channel": "sms",
        "template": "order.shipped",
        "recipient": {"phone": phone},
        "variables": {"order_number": order},
    })
}

#[tokio::test]
async fn a_published_edit_changes_the_next_message_and_not_one_already_queued() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    published(&app, &admin, shipped("First wording {{ order_number }}")).await;

    // Accepted with version 1 while the SMS provider is down: three tries
    // (the test settings), then the dead letters, waiting for a replay.
    app.fake.fail("sms", 503, 3);
    let held = unique_phone();
    let (status, accepted) = call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(sms_body(&held, "Q-1")),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    let id: Uuid = accepted["uuid"].as_str().unwrap().parse().unwrap();
    app.status_when(id, &admin.token, |s| s["status"] == "failed")
        .await;

    // An edit, saved then published.
    let mut edit = shipped("Second wording {{ order_number }}");
    let edit = edit.as_object_mut().unwrap();
    edit.remove("key");
    edit.remove("category");
    edit["content"]["en"]["sms"]["text"] = json!("Order {{ order_number }} is on its way.");
    let (status, version) = call(
        &app,
        Method::PUT,
        "/v1/notifications/templates/order.shipped",
        &admin,
        Some(Value::Object(edit.clone())),
    )
    .await;
    assert_eq!(status, 201, "{version}");
    assert_eq!(
        (version["version"].as_i64(), version["published"].as_bool()),
        (Some(2), Some(false))
    );
    let next = unique_email();
    call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(send_body(None, Some(&next), json!({"order_number": "N-1"}))),
    )
    .await;
    assert_eq!(
        subject_of(&app, &next).await,
        "First wording N-1",
        "saved is not published"
    );
    let (status, _) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/publish",
        &admin,
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(status, 200);

    let next = unique_email();
    call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(send_body(None, Some(&next), json!({"order_number": "N-2"}))),
    )
    .await;
    assert_eq!(subject_of(&app, &next).await, "Second wording N-2");

    // The held message goes out as it was accepted.
    let replayed: Value = app
        .send(
            Method::POST,
            "/v1/notifications/admin/dead-letters/notification.templated/replay",
            &admin.token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replayed["replayed"], 1, "{replayed}");
    let sent = app
        .received(
            "sms",
            |r| r.body["To"] == held.as_str() && r.status == 201,
            1,
        )
        .await;
    assert_eq!(sent[0].body["Body"], "Order Q-1 shipped.");
    let fresh = unique_phone();
    call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(sms_body(&fresh, "N-3")),
    )
    .await;
    let sent = app
        .received("sms", |r| r.body["To"] == fresh.as_str(), 1)
        .await;
    assert_eq!(sent[0].body["Body"], "Order N-3 is on its way.");

    // Rolling back publishes version 1 again.
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/rollback",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["published_version"], 1);
    let after = unique_email();
    call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(send_body(
            None,
            Some(&after),
            json!({"order_number": "R-3"}),
        )),
    )
    .await;
    assert_eq!(subject_of(&app, &after).await, "First wording R-3");
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/rollback",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 409, "nothing before version 1: {body}");

    let (status, body) = call(
        &app,
        Method::GET,
        "/v1/notifications/templates/order.shipped",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let versions: Vec<i64> = body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
}

#[tokio::test]
async fn drafts_with_mistakes_are_refused_naming_the_part_and_line_and_previews_render() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.user().await;

    let (status, _) = call(
        &app,
        Method::GET,
        "/v1/notifications/templates",
        &user,
        None,
    )
    .await;
    assert_eq!(status, 403, "templates are for admins");

    let mut broken = shipped("Hi");
    broken["content"]["pt"]["email"]["text"] = json!("Olá,\n{{ order_numbr }}");
    broken["content"]["en"]["sms"]["text"] = json!("Order {% if %}");
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates",
        &admin,
        Some(broken),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields = &body["details"]["fields"];
    assert_eq!(
        fields["content.pt.email.text"][0],
        "line 2: uses `order_numbr`, which is not a declared variable"
    );
    assert!(
        fields["content.en.sms.text"][0]
            .as_str()
            .unwrap()
            .starts_with("line 1: "),
        "{body}"
    );

    published(&app, &admin, shipped("Your order {{ order_number }}")).await;
    let (status, again) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates",
        &admin,
        Some(shipped("x")),
    )
    .await;
    assert_eq!(status, 409, "{again}");

    // A preview with the declared samples, then with values, in Portuguese.
    let (status, preview) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/preview",
        &admin,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["email"]["subject"], "Your order A-1");
    assert!(
        preview["email"]["text"]
            .as_str()
            .unwrap()
            .contains("with DHL")
    );
    assert_eq!(preview["sms"]["text"], "Order A-1 shipped.");
    let (_, preview) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/preview",
        &admin,
        Some(json!({"locale": "pt-BR", "values": {"order_number": "<Z-9>"}})),
    )
    .await;
    assert_eq!(preview["email"]["locale"], "pt");
    assert_eq!(
        preview["email"]["subject"],
        "O seu pedido <Z-9> foi enviado"
    );
    assert!(
        preview["email"]["html"]
            .as_str()
            .unwrap()
            .contains("&lt;Z-9&gt;"),
        "HTML escapes values"
    );
    assert_eq!(
        preview["sms"]["locale"], "en",
        "Portuguese has no SMS: the default's"
    );

    // An unsaved draft previews with the same checks as saving it.
    let mut draft = shipped("Draft {{ order_number }}");
    let draft = draft.as_object_mut().unwrap();
    for field in ["key", "category", "description"] {
        draft.remove(field);
    }
    let (status, preview) = call(
        &app,
        Method::POST,
        "/v1/notifications/templates/order.shipped/preview",
        &admin,
        Some(json!({"draft": draft})),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["email"]["subject"], "Draft A-1");
}

#[tokio::test]
async fn a_templates_category_picks_the_sms_sender_and_built_in_ones_keep_their_variables() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut promo = shipped("x");
    promo["key"] = json!("flash.sale");
    promo["category"] = json!("promotional");
    published(&app, &admin, promo).await;
    let phone = unique_phone();
    let (status, body) = call(
        &app,
        Method::POST,
        "/v1/notifications",
        &admin,
        Some(json!({"channel": "sms", "template": "flash.sale", "recipient": {"phone": phone}, "variables": {"order_number": "S-1"}})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let sent = app
        .received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    assert_eq!(
        sent[0].path,
        "/2010-04-01/Accounts/ACpromotional/Messages.json"
    );

    // The shipped login-code text, reworded: the typed job uses the new
    // words; its variables stay the typed job's.
    let (_, current) = call(
        &app,
        Method::GET,
        "/v1/notifications/templates/login_code/versions/1",
        &admin,
        None,
    )
    .await;
    let mut edit = json!({
        "default_locale": "en",
        "variables": current["variables"],
        "content": {"en": {"sms": {"text": "{{ code }} is your code ({{ expires_in_minutes }} min)."}}},
    });
    let (status, body) = call(
        &app,
        Method::PUT,
        "/v1/notifications/templates/login_code",
        &admin,
        Some(edit.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    call(
        &app,
        Method::POST,
        "/v1/notifications/templates/login_code/publish",
        &admin,
        Some(json!({"version": 2})),
    )
    .await;
    let phone = unique_phone();
    app.publish(dayone_model::messages::notifications::TransactionalSms {
        recipient: Recipient {
            phone: Some(phone.clone()),
            ..Default::default()
        },
        template: dayone_model::messages::notifications::TransactionalSmsTemplate::LoginCode {
            code: "551122".into(),
            expires_in_minutes: 5,
        },
    })
    .await;
    let sent = app
        .received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    assert_eq!(sent[0].body["Body"], "551122 is your code (5 min).");
    assert_eq!(
        sent[0].path,
        "/2010-04-01/Accounts/ACtransactional/Messages.json"
    );

    edit["variables"] = json!([{"name": "code"}]);
    edit["content"]["en"]["sms"]["text"] = json!("{{ code }}");
    let path = "/v1/notifications/templates/login_code";
    let reason = refusal(&app, Method::PUT, path, &admin, edit, "variables").await;
    assert!(reason.contains("typed job"), "{reason}");
}
