//! The base model: what every table has and how it is queried.
//!
//! `id` is the internal bigint key used for joins and never leaves a service;
//! `uuid` is the public id. `created_at` and `updated_at` are set by the
//! database (column defaults and the trigger from [`crate::schema`]), so they
//! are right whether a row is written through sea-orm, raw SQL or `psql`.
//! `deleted_at` marks a soft delete: [`BaseEntity::active`] is the default
//! query and leaves such rows out; [`BaseEntity::purge_deleted_before`] is the
//! one path that removes them for good.

use std::future::Future;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

/// The timestamp type of the base columns (`timestamptz`).
pub type Timestamp = chrono::DateTime<Utc>;

/// Declares a sea-orm entity `Model` with the base columns added, and
/// implements [`BaseEntity`] for it. Use it inside the entity's module, next
/// to `Relation` and `ActiveModelBehavior` as with any sea-orm entity:
///
/// ```ignore
/// dayone_model::base_entity! {
///     table = "products";
///     pub struct Model {
///         pub name: String,
///         pub price_cents: i64,
///     }
/// }
/// #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// pub enum Relation {}
/// impl ActiveModelBehavior for ActiveModel {}
/// ```
///
/// (The field types are spelled through `sea_orm::prelude`, not `$crate`:
/// sea-orm's derive re-parses field types from their text.)
///
/// `Model` deliberately derives no `Serialize`: API bodies are explicit types
/// that carry the `uuid`, so the internal `id` cannot leak by accident.
#[macro_export]
macro_rules! base_entity {
    (
        table = $table:literal;
        $(#[$meta:meta])*
        pub struct Model {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        #[derive(Clone, Debug, PartialEq, sea_orm::DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        $(#[$meta])*
        pub struct Model {
            /// Internal key; never exposed outside the service.
            #[sea_orm(primary_key)]
            pub id: i64,
            /// The public id (defaults to `gen_random_uuid()` in the database).
            #[sea_orm(unique)]
            pub uuid: sea_orm::prelude::Uuid,
            $( $(#[$fmeta])* pub $field: $ty, )*
            pub created_at: sea_orm::prelude::DateTimeUtc,
            pub updated_at: sea_orm::prelude::DateTimeUtc,
            pub deleted_at: Option<sea_orm::prelude::DateTimeUtc>,
        }

        impl $crate::BaseEntity for Entity {
            fn uuid_column() -> Column {
                Column::Uuid
            }
            fn deleted_at_column() -> Column {
                Column::DeletedAt
            }
        }
    };
}

/// Queries every base entity has. `active()` is the default: soft-deleted rows
/// are only reachable through the explicitly named `with_deleted()`.
pub trait BaseEntity: EntityTrait {
    fn uuid_column() -> Self::Column;
    fn deleted_at_column() -> Self::Column;

    /// Live rows only: the query every read should start from.
    fn active() -> Select<Self> {
        #[allow(clippy::disallowed_methods)]
        Self::find().filter(Self::deleted_at_column().is_null())
    }

    /// Live and soft-deleted rows, for admin tooling and audits.
    fn with_deleted() -> Select<Self> {
        #[allow(clippy::disallowed_methods)]
        Self::find()
    }

    /// The live row with this public id.
    fn find_by_uuid<C: ConnectionTrait>(
        db: &C,
        uuid: Uuid,
    ) -> impl Future<Output = Result<Option<Self::Model>, DbErr>> + Send
    where
        Self::Model: Sync,
    {
        let query = Self::active().filter(Self::uuid_column().eq(uuid));
        async move { query.one(db).await }
    }

    /// Marks the live row with this id deleted. `false` when there was none.
    fn soft_delete<C: ConnectionTrait>(
        db: &C,
        uuid: Uuid,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send {
        let update = Self::update_many()
            .col_expr(Self::deleted_at_column(), Expr::current_timestamp())
            .filter(Self::uuid_column().eq(uuid))
            .filter(Self::deleted_at_column().is_null());
        async move { Ok(update.exec(db).await?.rows_affected == 1) }
    }

    /// Brings a soft-deleted row back. `false` when it was not deleted.
    fn restore<C: ConnectionTrait>(
        db: &C,
        uuid: Uuid,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send {
        let update = Self::update_many()
            .col_expr(
                Self::deleted_at_column(),
                Expr::value(Option::<Timestamp>::None),
            )
            .filter(Self::uuid_column().eq(uuid))
            .filter(Self::deleted_at_column().is_not_null());
        async move { Ok(update.exec(db).await?.rows_affected == 1) }
    }

    /// Removes for good the rows soft-deleted before `cutoff`; returns how many.
    fn purge_deleted_before<C: ConnectionTrait>(
        db: &C,
        cutoff: Timestamp,
    ) -> impl Future<Output = Result<u64, DbErr>> + Send {
        let delete = Self::delete_many().filter(Self::deleted_at_column().lt(cutoff));
        async move { Ok(delete.exec(db).await?.rows_affected) }
    }
}
