//! Templates as rows: seeding the shipped ones, saving versions, publishing
//! and rolling back, and a cache of compiled versions. A version never
//! changes once written, so a compiled one is cached by `(template, version)`
//! for good; which version is published is read from the database every
//! time, so a publish on one replica is what every replica sends next.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dayone_broker::Outbox;
use dayone_model::BaseEntity;
use dayone_model::messages::notifications::Category;
use dayone_web::audit::AdminAct;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::builtin::{BUILT_IN, BuiltIn};
use super::{Compiled, Draft, Problem};
use crate::entities::{template, template_version};

/// Compiled versions kept at most; past this the cache starts over.
const CACHE_LIMIT: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template `{0}`")]
    NotFound(String),
    #[error("template `{0}` has no version {1}")]
    NoVersion(String, i32),
    #[error("template `{0}` has no published version")]
    Unpublished(String),
    #[error("a template `{0}` exists already")]
    Exists(String),
    #[error("template `{0}` has no earlier version to roll back to")]
    NothingToRollBack(String),
    #[error("the template is not valid")]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The compiled-version cache; rows are read through it.
#[derive(Default)]
pub struct Templates {
    cache: Mutex<HashMap<(i64, i32), Arc<Compiled>>>,
}

/// A template and one of its versions, compiled.
pub struct Resolved {
    pub template: template::Model,
    pub version: i32,
    pub compiled: Arc<Compiled>,
}

/// The category a template row holds.
pub fn category(row: &template::Model) -> Category {
    if row.category == Category::Promotional.as_str() {
        Category::Promotional
    } else {
        Category::Transactional
    }
}

/// The draft stored in a version row.
pub fn draft(row: &template_version::Model) -> Result<Draft, DbErr> {
    Ok(Draft {
        default_locale: row.default_locale.clone(),
        variables: serde_json::from_value(row.variables.clone())
            .map_err(|e| DbErr::Custom(format!("template_versions.variables: {e}")))?,
        content: serde_json::from_value(row.content.clone())
            .map_err(|e| DbErr::Custom(format!("template_versions.content: {e}")))?,
    })
}

impl Templates {
    pub fn new() -> Self {
        Self::default()
    }

    /// The live template called `key`.
    pub async fn find<C: ConnectionTrait>(
        db: &C,
        key: &str,
    ) -> Result<template::Model, TemplateError> {
        template::Entity::active()
            .filter(template::Column::Key.eq(key))
            .one(db)
            .await?
            .ok_or_else(|| TemplateError::NotFound(key.to_owned()))
    }

    /// Version `version` of `template`, as written.
    pub async fn row<C: ConnectionTrait>(
        db: &C,
        template: &template::Model,
        version: i32,
    ) -> Result<template_version::Model, TemplateError> {
        template_version::Entity::active()
            .filter(template_version::Column::TemplateId.eq(template.id))
            .filter(template_version::Column::Version.eq(version))
            .one(db)
            .await?
            .ok_or_else(|| TemplateError::NoVersion(template.key.clone(), version))
    }

    /// `version` of `template`, compiled (from the cache when it was before).
    pub async fn compiled<C: ConnectionTrait>(
        &self,
        db: &C,
        template: &template::Model,
        version: i32,
    ) -> Result<Arc<Compiled>, TemplateError> {
        let key = (template.id, version);
        if let Some(hit) = self.lock().get(&key) {
            return Ok(hit.clone());
        }
        let row = Self::row(db, template, version).await?;
        let compiled = Arc::new(
            Compiled::compile(category(template), &draft(&row)?).map_err(TemplateError::Invalid)?,
        );
        let mut cache = self.lock();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i32), Arc<Compiled>>> {
        // A panic while holding it leaves the map as it was: still usable.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The template `key` at `version`, or at its published version.
    pub async fn resolve<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &str,
        version: Option<i32>,
    ) -> Result<Resolved, TemplateError> {
        let template = Self::find(db, key).await?;
        let version = version
            .or(template.published_version)
            .ok_or_else(|| TemplateError::Unpublished(key.to_owned()))?;
        let compiled = self.compiled(db, &template, version).await?;
        Ok(Resolved {
            template,
            version,
            compiled,
        })
    }
}

/// Inserts each shipped template that has no row yet, as version 1,
/// published. Rows already there (edited or not) are left alone.
pub async fn seed(db: &DatabaseConnection) -> Result<(), DbErr> {
    for builtin in BUILT_IN {
        let txn = db.begin().await?;
        let new = template::ActiveModel {
            key: Set(builtin.key.to_owned()),
            category: Set(builtin.category.as_str().to_owned()),
            description: Set(Some(builtin.description.to_owned())),
            built_in: Set(true),
            published_version: Set(Some(1)),
            ..Default::default()
        };
        let Some(row) = insert_new(&txn, new).await? else {
            continue;
        };
        insert_version(&txn, &row, 1, &builtin.draft(), None).await?;
        txn.commit().await?;
        tracing::info!(template = builtin.key, "built-in template seeded");
    }
    Ok(())
}

/// Inserts `new` unless a template with its key exists (`None`).
async fn insert_new<C: ConnectionTrait>(
    db: &C,
    new: template::ActiveModel,
) -> Result<Option<template::Model>, DbErr> {
    let inserted = template::Entity::insert(new)
        .on_conflict(
            OnConflict::column(template::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_with_returning(db)
        .await;
    match inserted {
        Ok(row) => Ok(Some(row)),
        // `DO NOTHING` returned no row: it exists.
        Err(DbErr::RecordNotInserted | DbErr::RecordNotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn insert_version<C: ConnectionTrait>(
    db: &C,
    template: &template::Model,
    version: i32,
    draft: &Draft,
    by: Option<Uuid>,
) -> Result<template_version::Model, DbErr> {
    let json =
        |v: serde_json::Result<serde_json::Value>| v.map_err(|e| DbErr::Custom(e.to_string()));
    template_version::ActiveModel {
        template_id: Set(template.id),
        version: Set(version),
        default_locale: Set(draft.default_locale.clone()),
        variables: Set(json(serde_json::to_value(&draft.variables))?),
        content: Set(json(serde_json::to_value(&draft.content))?),
        created_by: Set(by),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A template's settings beside its wording (`None`: keep as is; for a new
/// template, none).
#[derive(Debug, Default, Clone)]
pub struct Settings {
    pub description: Option<Option<String>>,
    /// Seconds of a digest window (promotional templates only).
    pub digest_secs: Option<Option<i32>>,
    pub topic: Option<Option<String>>,
}

/// The longest digest window: a day.
pub const DIGEST_MAX_SECS: i32 = 86_400;

fn check_settings(category: Category, settings: &Settings) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(Some(secs)) = settings.digest_secs {
        if !(1..=DIGEST_MAX_SECS).contains(&secs) {
            problems.push((
                "digest_secs".into(),
                format!("must be 1 to {DIGEST_MAX_SECS}"),
            ));
        } else if category == Category::Transactional {
            problems.push((
                "digest_secs".into(),
                "transactional messages are never digested: they go out at once".into(),
            ));
        }
    }
    if let Some(Some(topic)) = &settings.topic
        && !super::is_key(topic)
    {
        problems.push(("topic".into(), super::KEY_RULE.into()));
    }
    problems
}

/// Checks `settings` and `draft` for a template `key` of `category` (and,
/// for a shipped one, that its variables are the typed contract's): every
/// problem at once.
fn validate(
    key: &str,
    category: Category,
    settings: &Settings,
    draft: &Draft,
) -> Result<(), TemplateError> {
    let mut problems = check_settings(category, settings);
    problems.extend(Compiled::compile(category, draft).err().unwrap_or_default());
    if let Some(builtin) = BuiltIn::named(key) {
        let fixed = builtin.variables();
        let names = |vars: &[super::Variable]| {
            let mut names: Vec<(String, bool)> =
                vars.iter().map(|v| (v.name.clone(), v.required)).collect();
            names.sort();
            names
        };
        if names(&draft.variables) != names(&fixed) {
            problems.push((
                "variables".into(),
                format!(
                    "a built-in template keeps the variables of its typed job: {}",
                    fixed
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(TemplateError::Invalid(problems))
    }
}

/// A new template with `draft` as its version 1, unpublished.
pub async fn create(
    db: &DatabaseConnection,
    outbox: &Outbox,
    act: &AdminAct,
    key: &str,
    category: Category,
    settings: Settings,
    draft: &Draft,
) -> Result<template::Model, TemplateError> {
    validate(key, category, &settings, draft)?;
    let txn = db.begin().await?;
    let new = template::ActiveModel {
        key: Set(key.to_owned()),
        category: Set(category.as_str().to_owned()),
        description: Set(settings.description.flatten()),
        built_in: Set(false),
        published_version: Set(None),
        digest_secs: Set(settings.digest_secs.flatten()),
        topic: Set(settings.topic.flatten()),
        ..Default::default()
    };
    let row = insert_new(&txn, new)
        .await?
        .ok_or_else(|| TemplateError::Exists(key.to_owned()))?;
    insert_version(&txn, &row, 1, draft, Some(act.actor())).await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    Ok(row)
}

/// The template `key`, locked for a change within `txn`.
async fn locked<C: ConnectionTrait>(txn: &C, key: &str) -> Result<template::Model, TemplateError> {
    template::Entity::active()
        .filter(template::Column::Key.eq(key))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| TemplateError::NotFound(key.to_owned()))
}

/// Saves `draft` as the next version of `key` (not published yet), and
/// changes the settings given: the template and the version saved.
pub async fn add_version(
    db: &DatabaseConnection,
    outbox: &Outbox,
    act: &AdminAct,
    key: &str,
    settings: Settings,
    draft: &Draft,
) -> Result<(template::Model, template_version::Model), TemplateError> {
    let txn = db.begin().await?;
    let template = locked(&txn, key).await?;
    validate(key, category(&template), &settings, draft)?;
    let latest = latest_version(&txn, template.id).await?;
    let version = insert_version(&txn, &template, latest + 1, draft, Some(act.actor())).await?;
    let mut change: template::ActiveModel = template.clone().into();
    if let Some(description) = settings.description {
        change.description = Set(description);
    }
    if let Some(digest_secs) = settings.digest_secs {
        change.digest_secs = Set(digest_secs);
    }
    if let Some(topic) = settings.topic {
        change.topic = Set(topic);
    }
    let template = if change.is_changed() {
        change.update(&txn).await?
    } else {
        template
    };
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    Ok((template, version))
}

/// The newest version's number (0 when there is none).
pub async fn latest_version<C: ConnectionTrait>(db: &C, template_id: i64) -> Result<i32, DbErr> {
    Ok(template_version::Entity::active()
        .filter(template_version::Column::TemplateId.eq(template_id))
        .order_by_desc(template_version::Column::Version)
        .one(db)
        .await?
        .map_or(0, |v| v.version))
}

/// Every version of `template`, newest first.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    template: &template::Model,
) -> Result<Vec<template_version::Model>, DbErr> {
    template_version::Entity::active()
        .filter(template_version::Column::TemplateId.eq(template.id))
        .order_by_desc(template_version::Column::Version)
        .all(db)
        .await
}

/// Every live template, by key.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<template::Model>, DbErr> {
    template::Entity::active()
        .order_by_asc(template::Column::Key)
        .all(db)
        .await
}

/// Points `key` at `version` (`None`: the one before the published one, a
/// roll back). Messages accepted before keep the version they were
/// accepted with.
pub async fn publish(
    db: &DatabaseConnection,
    outbox: &Outbox,
    act: &AdminAct,
    key: &str,
    version: Option<i32>,
) -> Result<template::Model, TemplateError> {
    let txn = db.begin().await?;
    let template = locked(&txn, key).await?;
    let version = match version {
        Some(version) => Templates::row(&txn, &template, version).await?.version,
        None => {
            let current = template.published_version.unwrap_or(i32::MAX);
            template_version::Entity::active()
                .filter(template_version::Column::TemplateId.eq(template.id))
                .filter(template_version::Column::Version.lt(current))
                .order_by_desc(template_version::Column::Version)
                .one(&txn)
                .await?
                .ok_or_else(|| TemplateError::NothingToRollBack(key.to_owned()))?
                .version
        }
    };
    let mut change: template::ActiveModel = template.into();
    change.published_version = Set(Some(version));
    let template = change.update(&txn).await?;
    act.record(&txn, outbox).await?;
    txn.commit().await?;
    outbox.wake();
    tracing::info!(template = key, version, "template version published");
    Ok(template)
}
