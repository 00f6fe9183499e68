use std::sync::Arc;

use actix_web::web;
use dayone_broker::ConsumerOptions;
use dayone_web::{RunningService, ServiceInfo, ServiceRuntime};

use crate::consumers::{self, PRODUCT_CHANGES, SEARCH_INDEX, TASKS};
use crate::search::SearchBackend;
use crate::search::elastic::Elastic;
use crate::search::embedded::Embedded;
use crate::search::indexer::Indexer;
use crate::settings::{SearchBackendKind, SearchSettings};
use crate::state::CoreState;
use crate::tasks::CoreTasks;
use crate::{Settings, routes};

pub const INFO: ServiceInfo = ServiceInfo {
    name: "core",
    prefix: "/v1/core",
    version: env!("CARGO_PKG_VERSION"),
};

/// The configured search backend.
pub async fn search_backend(settings: &SearchSettings) -> anyhow::Result<Arc<dyn SearchBackend>> {
    Ok(match settings.backend {
        SearchBackendKind::Tantivy => Arc::new(Embedded::new()?),
        SearchBackendKind::Elasticsearch => {
            let elastic = Elastic::new(&settings.elasticsearch)?;
            if let Err(error) = elastic.ensure_index().await {
                // Not fatal: searches answer 503 until the cluster is back.
                tracing::warn!(error = %error, "could not prepare the search index");
            }
            Arc::new(elastic)
        }
    })
}

/// The core service: HTTP API v1 and v2, the search indexer, the outbox,
/// the weekly recommendations task.
pub struct Application;

impl Application {
    /// Connects, starts the indexer, binds the listeners and returns the
    /// service ready to run (`port()`, `run_until_stopped()`).
    pub async fn build(settings: Settings) -> anyhow::Result<RunningService> {
        let mut runtime = ServiceRuntime::start::<core_migration::Migrator>(
            INFO,
            settings.common.clone(),
            consumers::QUEUES,
        )
        .await?;
        let search = search_backend(&settings.core.search).await?;
        let broker = runtime.broker().clone();
        let indexer = Indexer {
            backend: search.clone(),
            db: runtime.db().clone(),
        };
        let subscription = if search.per_instance() {
            ConsumerOptions::broadcast("core.product-changes", PRODUCT_CHANGES)
        } else {
            ConsumerOptions::from_settings(SEARCH_INDEX, &broker)
        };
        runtime.track(broker.consume(subscription, indexer));
        let tasks = CoreTasks {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
        };
        runtime.run_tasks(TASKS, tasks);
        runtime.start_outbox_relay();
        let state = web::Data::new(CoreState {
            db: runtime.db().clone(),
            outbox: runtime.outbox.clone(),
            redis: runtime.redis().clone(),
            search,
            settings: settings.core,
        });
        runtime.serve(move |cfg| {
            cfg.app_data(state.clone()).configure(routes::configure);
        })
    }
}
