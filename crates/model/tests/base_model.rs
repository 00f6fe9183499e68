//! The base model against a real PostgreSQL: defaults, the updated_at
//! trigger, soft delete as the default filter, restore and purge.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use dayone_model::BaseEntity;
use dayone_model::schema::create_base_table;
use dayone_test_support::TestStack;
use sea_orm::sea_query::ColumnDef;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait,
    QueryFilter, Set,
};

mod widget {
    use sea_orm::entity::prelude::*;

    dayone_model::base_entity! {
        table = "widgets";
        pub struct Model {
            pub name: String,
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

async fn db_with_widgets() -> DatabaseConnection {
    let stack = TestStack::load();
    let name = stack.create_database("test_model").await.unwrap();
    let db = stack.connect(&name).await.unwrap();
    create_base_table(&db, "widgets", |t| {
        t.col(ColumnDef::new("name").text().not_null());
    })
    .await
    .unwrap();
    db
}

async fn insert(db: &DatabaseConnection, name: &str) -> widget::Model {
    widget::ActiveModel {
        name: Set(name.to_owned()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_insert_gets_a_uuid_and_timestamps_from_the_database() {
    let db = db_with_widgets().await;
    let a = insert(&db, "a").await;
    let b = insert(&db, "b").await;
    assert_ne!(a.uuid, b.uuid);
    assert!(!a.uuid.is_nil());
    assert_eq!(a.created_at, a.updated_at);
    assert!(a.deleted_at.is_none());
    assert!(b.id > a.id);
}

#[tokio::test]
async fn every_update_moves_updated_at_even_when_the_caller_sets_it() {
    let db = db_with_widgets().await;
    let created = insert(&db, "before").await;
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut change: widget::ActiveModel = created.clone().into();
    change.name = Set("after".into());
    // A caller trying to backdate the row is overruled by the trigger.
    change.updated_at = Set(created.created_at - chrono::Duration::days(1));
    let updated = change.update(&db).await.unwrap();
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(updated.created_at, created.created_at);

    // Raw SQL, bypassing sea-orm entirely, is covered too.
    tokio::time::sleep(Duration::from_millis(20)).await;
    db.execute_unprepared("UPDATE widgets SET name = 'raw'")
        .await
        .unwrap();
    let raw = widget::Entity::find_by_uuid(&db, created.uuid)
        .await
        .unwrap()
        .unwrap();
    assert!(raw.updated_at > updated.updated_at);
}

#[tokio::test]
async fn soft_deleted_rows_are_left_out_of_the_default_queries() {
    let db = db_with_widgets().await;
    let keep = insert(&db, "keep").await;
    let gone = insert(&db, "gone").await;

    assert!(widget::Entity::soft_delete(&db, gone.uuid).await.unwrap());
    assert!(
        !widget::Entity::soft_delete(&db, gone.uuid).await.unwrap(),
        "deleting twice reports nothing deleted"
    );

    let live: Vec<_> = widget::Entity::active().all(&db).await.unwrap();
    assert_eq!(live.iter().map(|w| w.uuid).collect::<Vec<_>>(), [keep.uuid]);
    assert!(
        widget::Entity::find_by_uuid(&db, gone.uuid)
            .await
            .unwrap()
            .is_none()
    );
    let all = widget::Entity::with_deleted().count(&db).await.unwrap();
    assert_eq!(all, 2, "the row is still there for audits");

    assert!(widget::Entity::restore(&db, gone.uuid).await.unwrap());
    assert_eq!(widget::Entity::active().count(&db).await.unwrap(), 2);
}

#[tokio::test]
async fn purge_removes_only_rows_deleted_before_the_cutoff() {
    let db = db_with_widgets().await;
    let old = insert(&db, "old").await;
    let recent = insert(&db, "recent").await;
    let live = insert(&db, "live").await;
    widget::Entity::soft_delete(&db, old.uuid).await.unwrap();
    db.execute_unprepared(
        "UPDATE widgets SET deleted_at = now() - interval '40 days' WHERE name = 'old'",
    )
    .await
    .unwrap();
    widget::Entity::soft_delete(&db, recent.uuid).await.unwrap();

    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    let purged = widget::Entity::purge_deleted_before(&db, cutoff)
        .await
        .unwrap();

    assert_eq!(purged, 1);
    let remaining: Vec<_> = widget::Entity::with_deleted()
        .filter(widget::Column::Name.ne("x"))
        .all(&db)
        .await
        .unwrap();
    let mut names: Vec<_> = remaining.iter().map(|w| w.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["live", "recent"]);
    assert_eq!(live.name, "live");
}
