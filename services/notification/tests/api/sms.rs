use dayone_model::messages::notifications::{
    PromotionalSms, PromotionalSmsTemplate, Recipient, TransactionalSms, TransactionalSmsTemplate,
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, unique_phone};

fn login_code(phone: &str) -> TransactionalSms {
    TransactionalSms {
        recipient: Recipient {
            phone: Some(phone.into()),
            ..Default::default()
        },
        template: TransactionalSmsTemplate::LoginCode {
            code: "482913".into(),
            expires_in_minutes: 5,
        },
    }
}

#[tokio::test]
async fn a_transactional_sms_goes_out_through_the_transactional_sender() {
    let app = spawn_app().await;
    let phone = unique_phone();
    app.publish(login_code(&phone)).await;
    let sent = app
        .received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    let request = &sent[0];
    assert_eq!(
        request.path,
        "/2010-04-01/Accounts/ACtransactional/Messages.json"
    );
    assert_eq!(request.body["From"], "+15550001111");
    assert!(request.body["Body"].as_str().unwrap().contains("482913"));
    assert_eq!(request.status, 201);
}

#[tokio::test]
async fn promotional_sms_use_their_own_sender_and_respect_the_opt_out_while_transactional_ones_still_go()
 {
    let app = spawn_app().await;
    let user = app.user().await;
    let promo = || PromotionalSms {
        recipient: Recipient {
            user_uuid: Some(user.uuid),
            phone: Some(user.phone.clone()),
            ..Default::default()
        },
        template: PromotionalSmsTemplate::Campaign {
            text: "Autumn sale: 20% off cups.".into(),
        },
    };
    let first = app.publish(promo()).await;
    let sent = app
        .received("sms", |r| r.body["To"] == user.phone.as_str(), 1)
        .await;
    assert_eq!(
        sent[0].path,
        "/2010-04-01/Accounts/ACpromotional/Messages.json"
    );
    assert_eq!(sent[0].body["From"], "+15550002222");
    assert!(
        sent[0].body["Body"]
            .as_str()
            .unwrap()
            .ends_with("Reply STOP to opt out.")
    );
    app.status_when(first.id, &user.token, |s| s["status"] == "sent")
        .await;

    // The user opts out of promotional SMS.
    let prefs = json!({"email": {"promotional": true}, "sms": {"promotional": false}, "push": {"promotional": true}, "quiet_hours": null});
    assert_eq!(
        app.send(
            Method::PUT,
            "/v1/notifications/preferences",
            &user.token,
            Some(prefs)
        )
        .await
        .status(),
        200
    );

    let blocked = app.publish(promo()).await;
    let status = app
        .status_when(blocked.id, &user.token, |s| s["status"] == "suppressed")
        .await;
    assert_eq!(status["category"], "promotional");

    let code = app
        .publish(TransactionalSms {
            recipient: Recipient {
                user_uuid: Some(user.uuid),
                phone: Some(user.phone.clone()),
                ..Default::default()
            },
            template: TransactionalSmsTemplate::LoginCode {
                code: "771100".into(),
                expires_in_minutes: 5,
            },
        })
        .await;
    app.status_when(code.id, &user.token, |s| s["status"] == "sent")
        .await;
    let to_user = app
        .received("sms", |r| r.body["To"] == user.phone.as_str(), 2)
        .await;
    assert_eq!(
        to_user.len(),
        2,
        "the promotion after the opt-out never reached the provider"
    );
    assert!(to_user[1].body["Body"].as_str().unwrap().contains("771100"));
}

#[tokio::test]
async fn an_sms_job_without_a_number_falls_back_to_the_contact() {
    let app = spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let phone = unique_phone();
    crate::helpers::contact(&app, user, &crate::helpers::unique_email(), Some(&phone)).await;
    app.publish(TransactionalSms {
        recipient: Recipient {
            user_uuid: Some(user),
            ..Default::default()
        },
        template: TransactionalSmsTemplate::OrderReceipt {
            order_number: "A-1001".into(),
            total: "€25.00".into(),
        },
    })
    .await;
    let sent = app
        .received("sms", |r| r.body["To"] == phone.as_str(), 1)
        .await;
    assert!(sent[0].body["Body"].as_str().unwrap().contains("A-1001"));
}
