use dayone_auth::entities::user;
use dayone_auth::users::{CreateUserError, NewUser, create_user};
use dayone_broker::Outbox;
use dayone_model::BaseEntity;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::spawn_app;

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: "$2b$04$not-a-real-hash".into(),
        name: Some("Ada".into()),
        phone: None,
        locale: None,
        roles: vec!["user".into()],
    }
}

#[tokio::test]
async fn a_created_user_has_the_base_columns_and_a_lowercased_email() {
    let app = spawn_app().await;
    let created = create_user(&app.db, &Outbox::new(), new_user("Ada@Example.COM"))
        .await
        .unwrap();
    assert_eq!(created.email, "ada@example.com");
    assert!(!created.uuid.is_nil());
    assert_eq!(created.roles, ["user"]);
    let found = user::Entity::find_by_uuid(&app.db, created.uuid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, created.id);
}

#[tokio::test]
async fn the_user_registered_event_is_written_in_the_same_transaction() {
    let app = spawn_app().await;
    let created = create_user(&app.db, &Outbox::new(), new_user("ada@example.com"))
        .await
        .unwrap();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT routing_key, body FROM outbox_messages",
        ))
        .await
        .unwrap()
        .expect("an outbox row");
    let routing_key: String = row.try_get("", "routing_key").unwrap();
    let body: serde_json::Value = row.try_get("", "body").unwrap();
    assert_eq!(routing_key, "user.registered");
    assert_eq!(body["type"], "user.registered");
    assert_eq!(body["payload"]["user_uuid"], created.uuid.to_string());
}

#[tokio::test]
async fn a_duplicate_email_is_refused_and_writes_no_event() {
    let app = spawn_app().await;
    create_user(&app.db, &Outbox::new(), new_user("ada@example.com"))
        .await
        .unwrap();
    let again = create_user(&app.db, &Outbox::new(), new_user("ADA@example.com")).await;
    assert!(
        matches!(again, Err(CreateUserError::EmailTaken)),
        "{again:?}"
    );
    let count: i64 = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM outbox_messages",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(
        count, 1,
        "the failed insert's event was rolled back with it"
    );
}

#[tokio::test]
async fn a_soft_deleted_accounts_email_can_be_used_again() {
    let app = spawn_app().await;
    let first = create_user(&app.db, &Outbox::new(), new_user("ada@example.com"))
        .await
        .unwrap();
    assert!(
        user::Entity::soft_delete(&app.db, first.uuid)
            .await
            .unwrap()
    );
    let second = create_user(&app.db, &Outbox::new(), new_user("ada@example.com"))
        .await
        .unwrap();
    assert_ne!(first.uuid, second.uuid);
}
