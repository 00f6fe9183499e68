//! What the browser tests drive: Debian's Chromium through its chromedriver
//! (WebDriver, with fantoccini), and a tiny page server that plays a client
//! web app on another origin. Both stop when dropped, test failed or not.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dayone_test_support::{TestStack, eventually};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A headless Chromium in a fresh profile, through a chromedriver this test
/// started.
pub struct Browser {
    pub client: Client,
    /// chromedriver's own URL, for the WebDriver extensions fantoccini has
    /// no call for (the virtual authenticator).
    driver_url: String,
    // Dropped after the client: kills chromedriver and the browser.
    _driver: Driver,
}

/// chromedriver leads its own process group, so dropping this kills it and
/// the Chromium it started, and removes the profile.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group chromedriver leads (its pid): itself and its browser.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    pub async fn start() -> Self {
        let port = free_port();
        let profile =
            std::env::temp_dir().join(format!("dayone-browser-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start chromedriver ({e}): `scripts/stack test install` installs Debian's chromium and chromium-driver")
            });
        // From here on, a failure still kills chromedriver.
        let driver = Driver { child, profile };
        let driver_url = format!("http://127.0.0.1:{port}");
        let ready = eventually(Duration::from_secs(20), || async {
            let status: Value = reqwest::get(format!("{driver_url}/status"))
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (status["value"]["ready"] == true).then_some(())
        })
        .await;
        assert!(ready.is_some(), "chromedriver did not get ready on {port}");

        let mut args = vec![
            "--headless=new".to_owned(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--no-proxy-server".into(),
            format!("--user-data-dir={}", driver.profile.display()),
        ];
        // Chromium's sandbox refuses to run as root (CI containers).
        if running_as_root() {
            args.push("--no-sandbox".into());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start through chromedriver: {e}"));
        Self {
            client,
            driver_url,
            _driver: driver,
        }
    }

    /// Gives the browser a virtual platform authenticator (WebAuthn's
    /// WebDriver extension): passkeys with user verification, kept in
    /// memory for this session.
    pub async fn add_virtual_authenticator(&self) {
        let session = self.client.session_id().await.unwrap().unwrap();
        let added = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/webauthn/authenticator",
                self.driver_url
            ))
            .json(&json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 200, "{:?}", added.text().await);
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Runs `fetch(url, {headers})` in the open page, as the page's own
    /// script would: `{"fetched": true, "status", "request_id", "body"}`,
    /// or `{"fetched": false, "error"}` when the fetch rejected (which is
    /// all a page learns of a CORS refusal).
    pub async fn fetch(&self, url: &str, headers: Value) -> Value {
        const SCRIPT: &str = r#"
            const [url, headers, done] = arguments;
            fetch(url, { headers, cache: "no-store" })
                .then(async (r) => done({
                    fetched: true,
                    status: r.status,
                    request_id: r.headers.get("X-Request-Id"),
                    body: await r.text(),
                }))
                .catch((e) => done({ fetched: false, error: String(e) }));
        "#;
        self.client
            .execute_async(SCRIPT, vec![json!(url), headers])
            .await
            .unwrap()
    }

    /// Waits until the page's `#status` says how its request ended
    /// (`data-state` done or error): the state and the text shown.
    pub async fn outcome(&self) -> (String, String) {
        let status = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(
                "#status[data-state='done'], #status[data-state='error']",
            ))
            .await
            .unwrap_or_else(|e| panic!("the page never finished: {e}"));
        let state = status.attr("data-state").await.unwrap().unwrap_or_default();
        (state, status.text().await.unwrap())
    }

    /// Ends the WebDriver session (Chromium quits); drop does the rest.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A client web app on another origin: serves one blank page on every path
/// from `http://127.0.0.1:<port>`, until dropped.
pub struct PageServer {
    pub origin: String,
    task: tokio::task::JoinHandle<()>,
}

impl PageServer {
    /// On `port` (0: any free one). A fixed port may be held for a moment
    /// by another test of this binary: waits for it.
    pub async fn start(port: u16) -> Self {
        let listener = eventually(Duration::from_secs(60), || async {
            tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .ok()
        })
        .await
        .unwrap_or_else(|| panic!("127.0.0.1:{port} stayed taken"));
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut chunk = [0_u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let page = "<!doctype html><html><head><meta charset=\"utf-8\">\
                                <title>A client app</title></head><body><h1>A client app</h1></body></html>";
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
                        page.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { origin, task }
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The test stack's CORS allow-list (`GATEWAY_CORS_ORIGINS` of
/// scripts/env/test.env).
pub fn allowed_origins(stack: &TestStack) -> Vec<String> {
    stack
        .get("GATEWAY_CORS_ORIGINS")
        .trim_matches('"')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The port of the allowed origin on 127.0.0.1, where a test serves the
/// page that may call the API.
pub fn allowed_port(stack: &TestStack) -> u16 {
    allowed_origins(stack)
        .iter()
        .find_map(|o| o.strip_prefix("http://127.0.0.1:")?.parse().ok())
        .expect("GATEWAY_CORS_ORIGINS allows an http://127.0.0.1:<port> origin")
}
