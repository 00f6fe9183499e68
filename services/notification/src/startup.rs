use std::sync::Arc;

use actix_web::web;
use dayone_broker::ConsumerOptions;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::channels::apns::Apns;
use crate::channels::email::EmailSender;
use crate::channels::fcm::Fcm;
use crate::channels::sms::SmsSender;
use crate::consumers::user_events::UserEvents;
use crate::consumers::{
    self, EMAIL, PUSH, SMS_PROMOTIONAL, SMS_TRANSACTIONAL, TASKS, TEMPLATED, USER_EVENTS,
};
use crate::inbox::{self, Hub};
use crate::jobs::handlers;
use crate::state::NotifyState;
use crate::tasks::NotificationTasks;
use crate::templates::Templates;
use crate::{Settings, routes, sweeper};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "notification",
    prefix: "/v1/notifications",
    version: env!("CARGO_PKG_VERSION"),
};

/// The notification service: HTTP API and its consumers.
pub struct Application;

impl Application {
    /// Connects, starts the consumers, binds the listeners and returns the
    /// service ready to run (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let n = &settings.notification;
        let mut runtime = ServiceRuntime::start::<notification_migration::Migrator>(
            INFO,
            settings.common.clone(),
            consumers::QUEUES,
        )
        .await?;
        let broker = runtime.broker().clone();
        // The shipped templates, as rows, before any job needs them.
        crate::templates::store::seed(runtime.db()).await?;
        let state = Arc::new(NotifyState {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
            broker: broker.clone(),
            templates: Templates::new(),
            email: EmailSender::new(&n.email)?,
            sms_transactional: SmsSender::new(&n.sms.transactional)?,
            sms_promotional: SmsSender::new(&n.sms.promotional)?,
            apns: n.apns.enabled.then(|| Apns::new(&n.apns)).transpose()?,
            fcm: n.fcm.enabled.then(|| Fcm::new(&n.fcm)).transpose()?,
            settings: n.clone(),
            public_url: settings.common.application.public_url.clone(),
            max_attempts: settings.common.broker.retry_delays_ms.len() as u32 + 1,
            inbox: Hub::default(),
        });

        let options = |queue| ConsumerOptions::from_settings(queue, &broker);
        runtime.track(broker.consume(
            options(USER_EVENTS),
            UserEvents {
                db: state.db.clone(),
            },
        ));
        runtime.track(broker.consume(options(EMAIL), handlers::Email(state.clone())));
        runtime.track(broker.consume(
            options(SMS_TRANSACTIONAL),
            handlers::SmsTransactional(state.clone()),
        ));
        runtime.track(broker.consume(
            options(SMS_PROMOTIONAL),
            handlers::SmsPromotional(state.clone()),
        ));
        runtime.track(broker.consume(options(PUSH), handlers::Push(state.clone())));
        runtime.track(broker.consume(options(TEMPLATED), handlers::Templated(state.clone())));
        // Every instance's own copy of each new inbox item, for its streams.
        runtime.track(broker.consume(
            ConsumerOptions::broadcast("notification.inbox-live", inbox::LIVE_UPDATES),
            inbox::LiveUpdates(state.clone()),
        ));
        runtime.run_tasks(
            TASKS,
            NotificationTasks {
                db: state.db.clone(),
                retention_days: settings.common.housekeeping.retention_days,
            },
        );
        runtime.track(sweeper::spawn(state.clone(), broker.stopping()));
        runtime.start_outbox_relay();

        let data = web::Data::from(state);
        runtime.serve(move |cfg| {
            cfg.app_data(data.clone()).configure(routes::configure);
        })
    }
}
