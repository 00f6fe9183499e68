//! The disk-space and queue-depth checks alert the webhook, once per window.

use std::time::Duration;

use dayone_broker::Broker;
use dayone_model::Envelope;
use dayone_model::messages::notifications::{EmailJob, EmailTemplate, Recipient};
use dayone_scheduler::Settings;
use dayone_test_support::config_dir;

use crate::helpers::{jobs_yaml, setup};

#[tokio::test]
async fn full_disks_and_backed_up_queues_alert_slack_once_per_window() {
    let setup = setup(
        &jobs_yaml(&[]),
        &[
            // Any disk and any waiting message is over these limits.
            ("APP_SCHEDULER__DISK__ALERT_ABOVE_PERCENT", "0"),
            ("APP_SCHEDULER__QUEUES__ALERT_ABOVE_MESSAGES", "0"),
            ("APP_ALERTS__WINDOW_SECS", "600"),
        ],
    )
    .await;
    let settings: Settings =
        dayone_web::settings::load_with("scheduler", &config_dir(), setup.env.vars.clone())
            .unwrap();
    let stack = setup.env.stack.clone();
    let vhost = setup.env.vhost.clone();
    let app = setup.start().await;
    let admin = app.admin().await;

    // The check failing the first time is retried, not swallowed.
    app.fake.fail("slack", 500, 1);
    let first = app.run_now("disk-space-check", &admin.token).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert!(
        first["output"]["disks"][0]["used_percent"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let second = app.run_now("disk-space-check", &admin.token).await;
    assert_eq!(second["status"], "succeeded");
    let third = app.run_now("disk-space-check", &admin.token).await;
    assert_eq!(third["status"], "succeeded");
    let slack = app.fake.received("slack");
    let disk: Vec<_> = slack
        .iter()
        .filter(|r| {
            r.body["text"]
                .as_str()
                .unwrap_or("")
                .contains("disk_space:")
        })
        .collect();
    assert_eq!(
        disk.len(),
        2,
        "one refused, one delivered, one suppressed: {slack:?}"
    );
    assert_eq!(disk[0].status, 500);
    assert_eq!(disk[1].status, 200);
    assert!(disk[1].body["text"].as_str().unwrap().contains("% full"));

    // A message nobody consumes here sits in notification.email.
    let publisher = Broker::start(settings.common.broker.clone(), &[], "test");
    publisher
        .wait_connected(Duration::from_secs(10))
        .await
        .unwrap();
    publisher
        .publish(&Envelope::new(EmailJob {
            recipient: Recipient {
                email: Some("nobody@example.com".into()),
                ..Default::default()
            },
            template: EmailTemplate::Welcome,
        }))
        .await
        .unwrap();
    // (The welcome emails of the accounts this test registered wait there too.)
    let waiting = dayone_test_support::eventually(Duration::from_secs(10), || async {
        let queue = stack.queue(&vhost, "notification.email").await.ok()??;
        (queue["messages"].as_u64()? >= 1).then_some(())
    })
    .await;
    assert!(waiting.is_some(), "the management API reports the backlog");
    let check = app.run_now("queue-depth-check", &admin.token).await;
    assert_eq!(check["status"], "succeeded", "{check}");
    assert!(
        check["output"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q == "notification.email"),
        "{check}"
    );
    app.run_now("queue-depth-check", &admin.token).await;
    let backlog: Vec<_> = app
        .fake
        .received("slack")
        .into_iter()
        .filter(|r| {
            r.body["text"]
                .as_str()
                .unwrap_or("")
                .contains("queue_backlog:notification.email")
        })
        .collect();
    assert_eq!(backlog.len(), 1, "{backlog:?}");
    assert!(
        backlog[0].body["text"]
            .as_str()
            .unwrap()
            .contains("messages waiting in notification.email (alert above 0)")
    );
}
