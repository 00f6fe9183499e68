//! The core service's own error codes, and where its domain errors become
//! HTTP answers.

use dayone_web::{ApiError, ErrorCode};
use serde_json::json;

use crate::orders::OrderError;

dayone_web::error_codes! {
    /// The codes only core answers (the shared ones are `ErrorCode`).
    pub enum CoreCode {
        InsufficientStock => ("insufficient_stock", CONFLICT, "Not enough stock; `details.items` says where"),
        NotCancellable => ("not_cancellable", CONFLICT, "The order can no longer be cancelled"),
    }
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        let message = e.to_string();
        match e {
            OrderError::UnknownProduct(uuid) => {
                ApiError::validation(&[("items", format!("product {uuid} does not exist"))])
            }
            OrderError::InsufficientStock(lines) => {
                ApiError::new(CoreCode::InsufficientStock, message).with_details(json!({
                    "items": lines.iter().map(|(product, wanted, available)| json!({
                        "product_uuid": product, "requested": wanted, "available": available,
                    })).collect::<Vec<_>>(),
                }))
            }
            OrderError::MixedCurrencies => ApiError::validation(&[("items", message)]),
            OrderError::KeyReused => ApiError::new(ErrorCode::IdempotencyKeyReused, message),
            OrderError::NotCancellable => ApiError::new(CoreCode::NotCancellable, message),
            OrderError::Database(e) => ApiError::internal(e),
        }
    }
}
