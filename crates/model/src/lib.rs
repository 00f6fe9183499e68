//! The base model and the message contracts every Dayone service shares.
//!
//! - [`base`]: the five columns every table has (`id`, `uuid`, `created_at`,
//!   `updated_at`, `deleted_at`), the [`base_entity!`] macro that gives an
//!   entity those columns without repeating them, and [`BaseEntity`], whose
//!   queries leave soft-deleted rows out by default.
//! - [`schema`]: the migration side of the same columns: a table builder with
//!   the base columns and the trigger that keeps `updated_at` current.
//! - [`messages`]: the versioned envelope and the contracts carried in it.
//! - [`locale`]: language tags, their fallbacks and `Accept-Language`.

pub mod base;
pub mod locale;
pub mod messages;
pub mod schema;
pub mod services;

pub use base::{BaseEntity, Timestamp};
pub use messages::{Contract, Envelope, RawEnvelope};
