use dayone_notification::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new("notification").await.unwrap();
    spawn::<Settings, notification_migration::Migrator, _, _>(
        "notification",
        env,
        Application::build,
    )
    .await
}
