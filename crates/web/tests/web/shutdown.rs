use std::time::Duration;

use dayone_test_support::TestEnv;
use tokio::sync::oneshot;

use crate::helpers::build;

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_and_refuses_new_ones() {
    let env = TestEnv::new("webtest").await.unwrap();
    let service = build(&env).await;
    let address = format!("http://127.0.0.1:{}", service.port());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let running = tokio::spawn(service.run_until(async {
        let _ = stop_rx.await;
    }));

    let client = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let client = client.clone();
        let address = address.clone();
        async move {
            client
                .get(format!("{address}/v1/webtest/slow"))
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();

    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request was answered");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    running.await.unwrap().unwrap();
    let after = reqwest::Client::new()
        .get(format!("{address}/health"))
        .send()
        .await;
    assert!(after.is_err(), "the listener is closed after shutdown");
}
