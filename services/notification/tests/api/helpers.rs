use std::ops::Deref;
use std::time::Duration;

use dayone_broker::Broker;
use dayone_fakes::{FakeSaas, Keys};
use dayone_model::{Contract, Envelope};
use dayone_notification::{Application, Settings};
use dayone_test_support::app::{TestApp, spawn};
use dayone_test_support::tokens::TestIssuer;
use dayone_test_support::{TestEnv, config_dir, eventually, repo_root};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;
use uuid::Uuid;

/// The notification service, the issuer of the tokens it is called with,
/// the fake SMS/APNs/FCM providers, and a publisher on its vhost.
pub struct NotifyApp {
    pub app: TestApp,
    pub issuer: TestIssuer,
    pub fake: FakeSaas,
    pub publisher: Broker,
}

impl Deref for NotifyApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

pub async fn spawn_app() -> NotifyApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> NotifyApp {
    let keys = repo_root().join("config/dev-keys");
    let fake = FakeSaas::start(
        "127.0.0.1:0".parse().unwrap(),
        Keys {
            apns_public_key: std::fs::read_to_string(keys.join("apns-dev.pub.pem")).ok(),
            fcm_public_key: std::fs::read_to_string(keys.join("fcm-dev.pub.pem")).ok(),
        },
    )
    .await
    .unwrap();

    let issuer = TestIssuer::start().await;
    let mut env = TestEnv::new("notification").await.unwrap();

    let smtp = env.stack.get("SMTP_PORT").to_owned();
    let fake_url = fake.url();
    let pairs = [
        ("APP_TOKENS__JWKS_URL", issuer.jwks_url().to_owned()),
        ("APP_NOTIFICATION__EMAIL__PORT", smtp),
        (
            "APP_NOTIFICATION__SMS__TRANSACTIONAL__PROVIDER",
            "twilio".into(),
        ),
        (
            "APP_NOTIFICATION__SMS__TRANSACTIONAL__BASE_URL",
            fake_url.clone(),
        ),
        (
            "APP_NOTIFICATION__SMS__TRANSACTIONAL__ACCOUNT_SID",
            "ACtransactional".into(),
        ),
        (
            "APP_NOTIFICATION__SMS__PROMOTIONAL__PROVIDER",
            "twilio".into(),
        ),
        (
            "APP_NOTIFICATION__SMS__PROMOTIONAL__BASE_URL",
            fake_url.clone(),
        ),
        (
            "APP_NOTIFICATION__SMS__PROMOTIONAL__ACCOUNT_SID",
            "ACpromotional".into(),
        ),
        ("APP_NOTIFICATION__APNS__ENABLED", "true".into()),
        ("APP_NOTIFICATION__APNS__BASE_URL", fake_url.clone()),
        (
            "APP_NOTIFICATION__APNS__PRIVATE_KEY_FILE",
            keys.join("apns-dev.p8").display().to_string(),
        ),
        ("APP_NOTIFICATION__FCM__ENABLED", "true".into()),
        ("APP_NOTIFICATION__FCM__BASE_URL", fake_url.clone()),
        (
            "APP_NOTIFICATION__FCM__TOKEN_URL",
            format!("{fake_url}/token"),
        ),
        (
            "APP_NOTIFICATION__FCM__SERVICE_ACCOUNT_FILE",
            keys.join("fcm-dev-service-account.json")
                .display()
                .to_string(),
        ),
        ("APP_NOTIFICATION__DEFERRED_SWEEP_SECS", "1".into()),
    ];
    for (k, v) in pairs {
        env.set(k, v);
    }
    for (k, v) in extra {
        env.set(k, *v);
    }
    let settings: Settings =
        dayone_web::settings::load_with("notification", &config_dir(), env.vars.clone()).unwrap();
    let publisher = Broker::start(
        settings.common.broker.clone(),
        dayone_notification::consumers::QUEUES,
        "test-publisher",
    );
    publisher
        .wait_connected(Duration::from_secs(10))
        .await
        .unwrap();
    let app = spawn::<Settings, notification_migration::Migrator, _, _>(
        "notification",
        env,
        Application::build,
    )
    .await;
    NotifyApp {
        app,
        issuer,
        fake,
        publisher,
    }
}

/// The welcome email to a user known only by uuid: the address comes from
/// the contact projection.
pub fn welcome_to(user: Uuid) -> dayone_model::messages::notifications::EmailJob {
    use dayone_model::messages::notifications::{EmailJob, EmailTemplate, Recipient};
    EmailJob {
        recipient: Recipient {
            user_uuid: Some(user),
            ..Default::default()
        },
        template: EmailTemplate::Welcome,
    }
}

pub fn unique_email() -> String {
    format!("n-{}@example.com", Uuid::new_v4().simple())
}

pub fn unique_phone() -> String {
    format!("+1555{:07}", Uuid::new_v4().as_u128() % 10_000_000)
}

pub use dayone_test_support::accounts::User;

impl NotifyApp {
    pub async fn publish<P: Contract>(&self, job: P) -> Envelope<P> {
        let envelope = Envelope::new(job);
        self.publisher.publish(&envelope).await.unwrap();
        envelope
    }

    pub async fn republish<P: Contract>(&self, envelope: &Envelope<P>) {
        self.publisher.publish(envelope).await.unwrap();
    }

    /// Someone signed up: a token, and the contact auth's `user.registered`
    /// event would have projected.
    pub async fn user(&self) -> User {
        self.registered(self.issuer.user()).await
    }

    pub async fn admin(&self) -> User {
        self.registered(self.issuer.admin()).await
    }

    async fn registered(&self, user: User) -> User {
        contact(self, user.uuid, &user.email, Some(&user.phone)).await;
        user
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// The notification's status document, once `ready` holds for it.
    pub async fn status_when(
        &self,
        id: Uuid,
        token: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Value {
        let path = format!("/v1/notifications/{id}");
        eventually(Duration::from_secs(15), || async {
            let response = self.send(reqwest::Method::GET, &path, token, None).await;
            if response.status() != 200 {
                return None;
            }
            let body: Value = response.json().await.ok()?;
            ready(&body).then_some(body)
        })
        .await
        .unwrap_or_else(|| panic!("notification {id} never reached the expected state"))
    }

    /// Requests of one kind that reached the fake providers.
    pub async fn received(
        &self,
        channel: &str,
        matching: impl Fn(&dayone_fakes::Received) -> bool,
        count: usize,
    ) -> Vec<dayone_fakes::Received> {
        eventually(Duration::from_secs(15), || async {
            let got: Vec<_> = self
                .fake
                .received(channel)
                .into_iter()
                .filter(|r| matching(r))
                .collect();
            (got.len() >= count).then_some(got)
        })
        .await
        .unwrap_or_else(|| panic!("fewer than {count} {channel} requests arrived"))
    }
}

/// A new user in the contact projection without going through auth.
pub async fn contact(app: &NotifyApp, user: Uuid, email: &str, phone: Option<&str>) {
    contact_in(app, user, email, phone, None).await
}

/// [`contact`], reading `locale`.
pub async fn contact_in(
    app: &NotifyApp,
    user: Uuid,
    email: &str,
    phone: Option<&str>,
    locale: Option<&str>,
) {
    app.publish(dayone_model::messages::users::UserRegistered {
        user_uuid: user,
        email: email.into(),
        name: Some("Projected".into()),
        phone: phone.map(str::to_owned),
        locale: locale.map(str::to_owned),
    })
    .await;
    let found = eventually(Duration::from_secs(10), || async {
        let row = app
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 AS one FROM contacts WHERE user_uuid = $1",
                [user.into()],
            ))
            .await
            .ok()?;
        row.map(|_| ())
    })
    .await;
    assert!(found.is_some(), "the contact was projected");
}
