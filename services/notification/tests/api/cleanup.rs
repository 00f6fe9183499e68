//! `notification.cleanup`: finished notifications past the retention go,
//! anything still waiting to be delivered stays however old.

use dayone_notification::cleanup::cleanup;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::spawn_app;

#[tokio::test]
async fn finished_notifications_past_the_retention_are_deleted_pending_ones_never() {
    let app = spawn_app().await;
    // (template, age in days, delivery status)
    for (template, days, status) in [
        ("old_sent", 40, "sent"),
        ("old_failed", 40, "failed"),
        ("old_deferred", 40, "deferred"),
        ("recent_sent", 5, "sent"),
    ] {
        app.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "WITH n AS (INSERT INTO notifications (channel, category, template, job, status, created_at, updated_at) \
                   VALUES ('email', 'transactional', $1, '{}'::jsonb, $3, now() - make_interval(days => $2), now() - make_interval(days => $2)) RETURNING id) \
                 INSERT INTO deliveries (notification_id, channel, address, status, created_at, updated_at) \
                 SELECT id, 'email', 'x@example.com', $3, now() - make_interval(days => $2), now() - make_interval(days => $2) FROM n",
                [template.into(), days.into(), status.into()],
            ))
            .await
            .unwrap();
    }
    let counts = cleanup(&app.db, 30).await.unwrap();
    assert_eq!(counts["notifications"], 2, "{counts:?}");
    let left: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT template FROM notifications ORDER BY template",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get("", "template").unwrap())
        .collect();
    assert_eq!(left, ["old_deferred", "recent_sent"]);
}
