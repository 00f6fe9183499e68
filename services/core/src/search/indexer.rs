//! Keeps the search backend in step with the catalogue, from `product.*`
//! events: a broadcast subscription per instance for the embedded index
//! (which also rebuilds itself from the database whenever the subscription
//! starts, so nothing missed while disconnected stays missing), the
//! `core.search-index` work queue for a shared cluster.

use std::sync::Arc;

use dayone_broker::{Handler, HandlerError, Incoming, Outcome};
use dayone_model::BaseEntity;
use dayone_model::Contract;
use dayone_model::messages::catalog::{ProductChanged, ProductDeleted, SearchReindexRequested};
use sea_orm::{DatabaseConnection, QueryOrder};

use super::SearchBackend;
use crate::entities::product;
use crate::products::snapshot;

pub struct Indexer {
    pub backend: Arc<dyn SearchBackend>,
    pub db: DatabaseConnection,
}

/// Loads every live product into the backend; returns how many.
pub async fn reindex(
    db: &DatabaseConnection,
    backend: &dyn SearchBackend,
) -> anyhow::Result<usize> {
    let products = product::Entity::active()
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    let snapshots: Vec<_> = products.iter().map(snapshot).collect();
    backend.replace_all(&snapshots).await?;
    Ok(snapshots.len())
}

impl Indexer {
    async fn apply(&self, message: Incoming) -> Result<(), HandlerError> {
        let envelope = message.envelope;
        let transient = |e: anyhow::Error| HandlerError::Transient(e);
        match envelope.kind.as_str() {
            ProductChanged::TYPE => {
                let event = envelope
                    .decode::<ProductChanged>()
                    .map_err(|e| HandlerError::Permanent(e.into()))?;
                self.backend
                    .upsert(&[event.payload.product])
                    .await
                    .map_err(transient)
            }
            ProductDeleted::TYPE => {
                let event = envelope
                    .decode::<ProductDeleted>()
                    .map_err(|e| HandlerError::Permanent(e.into()))?;
                self.backend
                    .delete(event.payload.product_uuid)
                    .await
                    .map_err(transient)
            }
            SearchReindexRequested::TYPE => {
                let n = reindex(&self.db, &*self.backend).await.map_err(transient)?;
                tracing::info!(products = n, "search index rebuilt on request");
                Ok(())
            }
            other => {
                tracing::debug!(kind = other, "event not used by the search indexer");
                Ok(())
            }
        }
    }
}

impl Handler for Indexer {
    async fn handle(&self, message: Incoming) -> Outcome {
        self.apply(message).await.into()
    }

    async fn on_subscribed(&self) {
        if !self.backend.per_instance() {
            return;
        }
        match reindex(&self.db, &*self.backend).await {
            Ok(n) => tracing::info!(products = n, "embedded search index built"),
            Err(error) => tracing::error!(error = %error, "could not build the search index"),
        }
    }
}
