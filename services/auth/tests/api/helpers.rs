use dayone_auth::{Application, Settings};
use dayone_test_support::TestEnv;
use dayone_test_support::app::{TestApp, spawn};

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new("auth").await.unwrap();
    spawn::<Settings, auth_migration::Migrator, _, _>("auth", env, Application::build).await
}
