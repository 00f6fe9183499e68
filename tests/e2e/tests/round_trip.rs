//! A real round trip between two services: an account created in auth
//! reaches notification's contact projection through auth's outbox, the
//! relay, RabbitMQ and notification's consumer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use dayone_auth::users::{NewUser, create_user};
use dayone_broker::Outbox;
use dayone_model::BaseEntity;
use dayone_notification::entities::contact;
use dayone_test_support::app::spawn;
use dayone_test_support::{TestEnv, eventually};
use sea_orm::{ColumnTrait, QueryFilter};

#[tokio::test]
async fn an_account_created_in_auth_becomes_a_contact_in_notification() {
    let auth_env = TestEnv::new("auth").await.unwrap();
    let notification_env = auth_env.sibling("notification").await.unwrap();
    let auth = spawn::<dayone_auth::Settings, auth_migration::Migrator, _, _>(
        "auth",
        auth_env,
        dayone_auth::Application::build,
    )
    .await;
    let notification =
        spawn::<dayone_notification::Settings, notification_migration::Migrator, _, _>(
            "notification",
            notification_env,
            dayone_notification::Application::build,
        )
        .await;

    // Written by auth in one transaction with its outbox row; the running
    // auth service's relay publishes it.
    let user = create_user(
        &auth.db,
        &Outbox::new(),
        NewUser {
            email: "linus@example.com".into(),
            password_hash: "$2b$04$x".into(),
            name: Some("Linus".into()),
            phone: None,
            locale: None,
            roles: vec!["user".into()],
        },
    )
    .await
    .unwrap();

    let contact = eventually(Duration::from_secs(10), || async {
        contact::Entity::active()
            .filter(contact::Column::UserUuid.eq(user.uuid))
            .one(&notification.db)
            .await
            .unwrap()
    })
    .await
    .expect("the contact arrived in notification's database");
    assert_eq!(contact.email, "linus@example.com");
    assert_eq!(contact.name.as_deref(), Some("Linus"));
}
