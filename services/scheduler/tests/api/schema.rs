use dayone_model::BaseEntity;
use dayone_scheduler::entities::job;
use sea_orm::{ActiveModelTrait, Set};

use crate::helpers::{jobs_yaml, spawn_app};

fn job(name: &str) -> job::ActiveModel {
    job::ActiveModel {
        name: Set(name.into()),
        schedule: Set("0 0 8 * * Mon".into()),
        timezone: Set("Europe/Berlin".into()),
        task: Set("recommendations.weekly".into()),
        paused: Set(false),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_jobs_table_has_the_base_columns_and_unique_names() {
    let app = spawn_app(&jobs_yaml(&[])).await;
    let created = job("a-job-of-our-own").insert(&app.db).await.unwrap();
    assert!(!created.uuid.is_nil());
    assert!(created.deleted_at.is_none());
    assert!(job("a-job-of-our-own").insert(&app.db).await.is_err());
    assert!(
        job::Entity::soft_delete(&app.db, created.uuid)
            .await
            .unwrap()
    );
    assert!(
        job::Entity::find_by_uuid(&app.db, created.uuid)
            .await
            .unwrap()
            .is_none()
    );
}
