use std::time::Duration;

use dayone_model::BaseEntity;
use dayone_model::messages::users::{UserDeleted, UserRegistered, UserUpdated};
use dayone_notification::entities::contact;
use dayone_test_support::{consistently, eventually};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, PaginatorTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::helpers::{NotifyApp, spawn_app};

fn registered(user_uuid: Uuid) -> UserRegistered {
    UserRegistered {
        user_uuid,
        email: "grace@example.com".into(),
        name: Some("Grace".into()),
        phone: Some("+15550100".into()),
        locale: None,
    }
}

async fn contact_of(app: &NotifyApp, user: Uuid) -> Option<contact::Model> {
    contact::Entity::active()
        .filter(contact::Column::UserUuid.eq(user))
        .one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn user_events_keep_the_contact_projection_current() {
    let app = spawn_app().await;
    let user = Uuid::new_v4();
    app.publish(registered(user)).await;
    let found = eventually(Duration::from_secs(5), || contact_of(&app, user))
        .await
        .expect("recorded");
    assert_eq!(found.email, "grace@example.com");

    app.publish(UserUpdated {
        user_uuid: user,
        email: "grace@example.com".into(),
        name: Some("Grace H.".into()),
        phone: Some("+15550199".into()),
        // As written by someone else: kept as the templates spell it.
        locale: Some("pt_br".into()),
    })
    .await;
    let updated = eventually(Duration::from_secs(5), || async {
        contact_of(&app, user)
            .await
            .filter(|c| c.phone.as_deref() == Some("+15550199"))
    })
    .await
    .expect("updated");
    assert_eq!(updated.name.as_deref(), Some("Grace H."));
    assert_eq!(updated.locale.as_deref(), Some("pt-BR"));

    app.publish(UserDeleted { user_uuid: user }).await;
    let gone = eventually(Duration::from_secs(5), || async {
        contact_of(&app, user).await.is_none().then_some(())
    })
    .await;
    assert!(gone.is_some(), "a deleted user's contact is removed");
}

#[tokio::test]
async fn a_redelivered_event_has_no_second_effect() {
    let app = spawn_app().await;
    let user = Uuid::new_v4();
    let event = app.publish(registered(user)).await;
    assert!(
        eventually(Duration::from_secs(5), || contact_of(&app, user))
            .await
            .is_some()
    );
    // Someone changed the contact by other means; then the same envelope
    // arrives again, as a redelivery after a lost ack would.
    app.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE contacts SET email = 'changed@example.com' WHERE user_uuid = $1",
            [user.into()],
        ))
        .await
        .unwrap();
    app.republish(&event).await;
    let skipped = consistently(Duration::from_millis(700), || async {
        contact_of(&app, user)
            .await
            .is_some_and(|row| row.email == "changed@example.com")
    })
    .await;
    assert!(skipped, "the duplicate was skipped");
    let claims = contact::Entity::active()
        .filter(contact::Column::UserUuid.eq(user))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(claims, 1);
}
