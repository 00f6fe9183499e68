use dayone_core::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new("core").await.unwrap();
    spawn::<Settings, core_migration::Migrator, _, _>("core", env, Application::build).await
}
