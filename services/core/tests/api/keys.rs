//! Signing keys withdrawn from the issuer's JWKS stop being trusted here
//! within the bound
//! `tokens.keys_max_age_secs` sets, without a restart.

use std::time::{Duration, Instant};

use reqwest::Method;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_key_withdrawn_from_the_jwks_is_refused_within_the_bound() {
    let mut app = spawn_app_with(&[("APP_TOKENS__KEYS_MAX_AGE_SECS", "1")]).await;
    let before = app.user().await;
    let orders = app
        .send(Method::GET, "/v1/orders", Some(&before.token), None)
        .await;
    assert_eq!(orders.status(), 200, "the key in the JWKS is trusted");

    app.issuer.rotate();
    let retired = Instant::now();
    let after = app.user().await;
    // The old key's token, still within its lifetime, is refused once the
    // keys are refetched: at most the max age plus the 1 s refetch floor.
    loop {
        let orders = app
            .send(Method::GET, "/v1/orders", Some(&before.token), None)
            .await;
        if orders.status() == 401 {
            let body: serde_json::Value = orders.json().await.unwrap();
            assert_eq!(body["code"], "invalid_token");
            break;
        }
        assert_eq!(orders.status(), 200);
        assert!(
            retired.elapsed() < Duration::from_secs(4),
            "the withdrawn key was still trusted after {:?}",
            retired.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let orders = app
        .send(Method::GET, "/v1/orders", Some(&after.token), None)
        .await;
    assert_eq!(orders.status(), 200, "a token signed with the new key");
}
