use std::ops::Deref;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dayone_fakes::{FakeSaas, Keys};
use dayone_scheduler::{Application, Settings, jobs};
use dayone_test_support::TestEnv;
use dayone_test_support::accounts::User;
use dayone_test_support::app::{TestApp, spawn};
use dayone_test_support::tokens::TestIssuer;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;
use serde_json::Value;
use uuid::Uuid;

/// The scheduler, the issuer of the tokens it is called with, the fake Slack.
pub struct SchedulerApp {
    pub app: TestApp,
    pub issuer: TestIssuer,
    pub fake: FakeSaas,
}

impl Deref for SchedulerApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Everything but the scheduler, so a test can prepare its database first.
pub struct Setup {
    pub env: TestEnv,
    pub issuer: TestIssuer,
    pub fake: FakeSaas,
}

/// `jobs_yaml`: the extra jobs file (`jobs: [...]`).
pub async fn setup(jobs_yaml: &str, extra: &[(&str, &str)]) -> Setup {
    let fake = FakeSaas::start("127.0.0.1:0".parse().unwrap(), Keys::default())
        .await
        .unwrap();
    let issuer = TestIssuer::start().await;
    let mut env = TestEnv::new("scheduler").await.unwrap();
    let jobs_file = write_jobs(jobs_yaml);
    env.set("APP_TOKENS__JWKS_URL", issuer.jwks_url())
        .set(
            "APP_SCHEDULER__EXTRA_JOBS_PATH",
            jobs_file.display().to_string(),
        )
        .set("APP_SCHEDULER__TICK_INTERVAL_MS", "200")
        .set(
            "APP_ALERTS__WEBHOOK_URL",
            format!("{}/services/TTEST/BTEST/secret", fake.url()),
        );
    for (k, v) in extra {
        env.set(k, *v);
    }
    Setup { env, issuer, fake }
}

pub fn write_jobs(yaml: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("jobs-{}.yaml", Uuid::new_v4().simple()));
    std::fs::write(&path, yaml).unwrap();
    path
}

impl Setup {
    /// The migrated database with the job definitions written, as the
    /// scheduler writes them at start.
    pub async fn prepared_db(&self) -> DatabaseConnection {
        let db = self.env.db().await.unwrap();
        scheduler_migration::Migrator::up(&db, None).await.unwrap();
        let definitions = jobs::load(&self.env.vars["APP_SCHEDULER__EXTRA_JOBS_PATH"]).unwrap();
        jobs::sync(&db, &definitions).await.unwrap();
        db
    }

    pub async fn start(self) -> SchedulerApp {
        let app = spawn::<Settings, scheduler_migration::Migrator, _, _>(
            "scheduler",
            self.env,
            Application::build,
        )
        .await;
        SchedulerApp {
            app,
            issuer: self.issuer,
            fake: self.fake,
        }
    }
}

pub async fn spawn_app(jobs_yaml: &str) -> SchedulerApp {
    setup(jobs_yaml, &[]).await.start().await
}

/// A job line for the extra jobs file.
pub fn job(name: &str, schedule: &str, task: &str, extra: &str) -> String {
    format!(
        "  - {{ name: {name}, schedule: \"{schedule}\", task: {task}{}{extra} }}\n",
        if extra.is_empty() { "" } else { ", " }
    )
}

pub fn jobs_yaml(lines: &[String]) -> String {
    if lines.is_empty() {
        return "jobs: []\n".into();
    }
    format!("jobs:\n{}", lines.concat())
}

/// A run as the history table holds it.
#[derive(Debug, Clone)]
pub struct Run {
    pub uuid: Uuid,
    pub scheduled_for: DateTime<Utc>,
    pub trigger: String,
    pub status: String,
    pub fired_by: String,
    pub worker: Option<String>,
}

pub async fn runs(db: &impl ConnectionTrait, job: &str) -> Vec<Run> {
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT r.uuid, r.scheduled_for, r.trigger, r.status, r.fired_by, r.worker \
         FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.name = $1 ORDER BY r.scheduled_for",
        [job.into()],
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|row| Run {
        uuid: row.try_get("", "uuid").unwrap(),
        scheduled_for: row.try_get("", "scheduled_for").unwrap(),
        trigger: row.try_get("", "trigger").unwrap(),
        status: row.try_get("", "status").unwrap(),
        fired_by: row.try_get("", "fired_by").unwrap(),
        worker: row.try_get("", "worker").unwrap(),
    })
    .collect()
}

/// Inserts a run of `job` directly (a run some earlier scheduler left).
pub async fn insert_run(
    db: &impl ConnectionTrait,
    job: &str,
    scheduled_for: DateTime<Utc>,
    trigger: &str,
    status: &str,
) {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO job_runs (job_id, scheduled_for, trigger, status, fired_by) \
         SELECT id, $2, $3, $4, 'an-earlier-scheduler' FROM jobs WHERE name = $1",
        [
            job.into(),
            scheduled_for.into(),
            trigger.into(),
            status.into(),
        ],
    ))
    .await
    .unwrap();
}

impl SchedulerApp {
    pub async fn admin(&self) -> User {
        self.issuer.admin()
    }

    pub async fn user(&self) -> User {
        self.issuer.user()
    }

    pub async fn post(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Triggers `job` by hand and waits for its run to finish; the run view.
    pub async fn run_now(&self, job: &str, token: &str) -> Value {
        let response = self
            .post(&format!("/v1/scheduler/jobs/{job}/run"), token)
            .await;
        assert_eq!(response.status(), 202);
        let run_uuid = response.json::<Value>().await.unwrap()["run_uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        dayone_test_support::eventually(Duration::from_secs(15), || async {
            let page: Value = self
                .get_as(&format!("/v1/scheduler/jobs/{job}/runs"), token)
                .await
                .json()
                .await
                .ok()?;
            page["items"]
                .as_array()?
                .iter()
                .find(|r| r["uuid"] == run_uuid.as_str() && r["status"] != "queued")
                .cloned()
        })
        .await
        .unwrap_or_else(|| panic!("the manual run of {job} never finished"))
    }
}
