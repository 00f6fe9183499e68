use dayone_scheduler::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new("scheduler").await.unwrap();
    spawn::<Settings, scheduler_migration::Migrator, _, _>("scheduler", env, Application::build)
        .await
}
