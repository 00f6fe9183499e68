use std::time::Duration;

use dayone_broker::{Broker, topology};
use dayone_model::BaseEntity;
use dayone_model::Envelope;
use dayone_model::messages::users::UserRegistered;
use dayone_notification::entities::contact;
use dayone_test_support::app::TestApp;
use dayone_test_support::eventually;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, PaginatorTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::helpers::spawn_app;

/// A publisher on the app's vhost, as another service would be.
async fn publisher(app: &TestApp) -> Broker {
    let settings = dayone_web::settings::load_with::<dayone_notification::Settings>(
        "notification",
        &dayone_test_support::config_dir(),
        app.env.vars.clone(),
    )
    .unwrap();
    let broker = Broker::start(settings.common.broker, topology::QUEUES, "test-publisher");
    broker
        .wait_connected(Duration::from_secs(10))
        .await
        .unwrap();
    broker
}

fn registered(user_uuid: Uuid) -> Envelope<UserRegistered> {
    Envelope::new(UserRegistered {
        user_uuid,
        email: "grace@example.com".into(),
        name: Some("Grace".into()),
        phone: Some("+15550100".into()),
    })
}

async fn contact_count(app: &TestApp, user_uuid: Uuid) -> u64 {
    contact::Entity::active()
        .filter(contact::Column::UserUuid.eq(user_uuid))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_registered_event_becomes_a_contact() {
    let app = spawn_app().await;
    let broker = publisher(&app).await;
    let user_uuid = Uuid::new_v4();
    broker.publish(&registered(user_uuid)).await.unwrap();

    let found = eventually(Duration::from_secs(5), || async {
        contact::Entity::active()
            .filter(contact::Column::UserUuid.eq(user_uuid))
            .one(&app.db)
            .await
            .unwrap()
    })
    .await
    .expect("the contact was recorded");
    assert_eq!(found.email, "grace@example.com");
    assert_eq!(found.phone.as_deref(), Some("+15550100"));
}

#[tokio::test]
async fn a_redelivered_event_has_no_second_effect() {
    let app = spawn_app().await;
    let broker = publisher(&app).await;
    let user_uuid = Uuid::new_v4();
    let event = registered(user_uuid);
    broker.publish(&event).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            (contact_count(&app, user_uuid).await == 1).then_some(())
        })
        .await
        .is_some()
    );
    // The same envelope again, as a redelivery after a lost ack would be,
    // after someone changed the contact by other means.
    app.db
        .execute_unprepared("UPDATE contacts SET email = 'changed@example.com'")
        .await
        .unwrap();
    broker.publish(&event).await.unwrap();
    let processed = eventually(Duration::from_secs(5), || async {
        let depth = app
            .env
            .stack
            .queue(&app.env.vhost, topology::NOTIFICATION_USER_EVENTS.name)
            .await
            .ok()??["messages"]
            .as_u64()?;
        (depth == 0).then_some(())
    })
    .await;
    assert!(processed.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let row = contact::Entity::active()
        .filter(contact::Column::UserUuid.eq(user_uuid))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.email, "changed@example.com",
        "the duplicate was skipped"
    );
    let claims: i64 = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM processed_messages",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(claims, 1);
}
