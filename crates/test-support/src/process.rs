//! A service binary running as its own process against a [`TestEnv`], for
//! tests about several replicas and about a replica dying (`kill -9`).
//!
//! Each process runs under `timeout`, in its own process group: dropping the
//! handle kills the group, and a test process that dies without dropping it
//! (a harness timeout) still leaves nothing behind past the lifetime.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{TestEnv, closed_port};

pub struct ServiceProcess {
    pub instance: String,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Where its stdout and stderr go (kept for post-mortems).
    pub log: PathBuf,
    child: Child,
}

impl ServiceProcess {
    /// Starts `binary serve` with `env`'s variables as `instance`, on free
    /// ports, and waits until `/ready` answers 200. It is killed after
    /// `lifetime` whatever happens.
    pub async fn start(binary: &str, env: &TestEnv, instance: &str, lifetime: Duration) -> Self {
        let port = closed_port();
        let log = std::env::temp_dir().join(format!(
            "dayone-{instance}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new("timeout")
            .args([
                "-s",
                "KILL",
                &lifetime.as_secs().max(1).to_string(),
                binary,
                "serve",
            ])
            .envs(&env.vars)
            .env("APP_INSTANCE", instance)
            .env("APP_APPLICATION__PORT", port.to_string())
            .env("APP_APPLICATION__METRICS_PORT", closed_port().to_string())
            .env("APP_LOG__FORMAT", "pretty")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("a log file"))
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let process = Self {
            instance: instance.to_owned(),
            address: format!("http://127.0.0.1:{port}"),
            log,
            child,
        };
        let ready = crate::app::becomes_ready(
            &reqwest::Client::new(),
            &process.address,
            Duration::from_secs(30),
        )
        .await;
        assert!(
            ready,
            "{instance} never became ready; its log: {}",
            process.log.display()
        );
        process
    }

    /// `kill -9` of the whole process group: no shutdown hooks run.
    pub fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill9();
        }
    }
}
