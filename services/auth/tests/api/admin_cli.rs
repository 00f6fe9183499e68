//! `auth create-admin`, run as the real binary against the test database.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{spawn_app, unique_email};

fn create_admin(
    app: &crate::helpers::AuthApp,
    email: &str,
    password: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth"))
        .args(["create-admin", "--email", email, "--password-stdin"])
        .envs(app.env.vars.iter())
        .env("APP_CONFIG_DIR", dayone_test_support::config_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn create_admin_makes_an_account_that_logs_in_with_the_admin_role() {
    let app = spawn_app().await;
    let email = unique_email();
    let output = create_admin(&app, &email, "an admin passphrase");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(&email));

    let tokens = app.login(&email, "an admin passphrase").await;
    let me: Value = app
        .get_as("/v1/auth/me", &tokens.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["user", "admin"]));

    let again = create_admin(&app, &email, "an admin passphrase");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let short = create_admin(&app, &unique_email(), "short");
    assert!(!short.status.success());
}
