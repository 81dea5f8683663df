//! [`NovaDb`], the repository handle every table file adds its functions to, and how a
//! service process opens it ([`open`]). The schema it checks and applies is `schema.rs`'s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::conf::NovaConfig;
use novactor::db::Database;

use super::nova_db_error::NovaDbError;
use super::schema::MIGRATIONS;

/// Nova's database (the slice's single cell): repository functions returning typed rows.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct NovaDb {
    /// The runtime's pool; the table files of this folder run their SQL on it.
    pub(super) db: Database,
    /// Instance rows the list query returned through this handle and its clones: what a
    /// test reads to prove a list reads its page, not the table.
    list_rows_read: Arc<AtomicU64>,
}

/// Open the database `config` names for a service process. The embedded default (SQLite
/// under `state_path`) is created and migrated on first use, so a fresh machine needs no
/// step; a server database must already be at this binary's schema (`novactor db sync`).
pub async fn open(config: &NovaConfig) -> Result<NovaDb, NovaDbError> {
    let database = &config.runtime().database;
    let db = NovaDb::new(Database::connect(database, &config.service.state_path).await?);
    if database.connection.is_none() {
        db.sync().await?;
    } else {
        db.check_schema().await?;
    }
    Ok(db)
}

impl NovaDb {
    /// Wraps a connected database.
    pub fn new(db: Database) -> Self {
        NovaDb {
            db,
            list_rows_read: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Instance rows [`NovaDb::instance_get_all_by_filters_sort`] has returned so far
    /// through this handle and its clones.
    pub fn instance_list_rows_read(&self) -> u64 {
        self.list_rows_read.load(Ordering::Relaxed)
    }

    pub(super) fn count_rows_read(&self, rows: usize) {
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        self.list_rows_read.fetch_add(rows, Ordering::Relaxed);
    }

    /// The runtime database underneath.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Applies the schema migrations the database lacks (`novactor db sync`); idempotent.
    pub async fn sync(&self) -> Result<(), NovaDbError> {
        Ok(self.db.migrate(&MIGRATIONS).await?)
    }

    /// `Ok` when the schema is this binary's; otherwise an error whose text says what to
    /// do (`run novactor db sync`). Services call it before serving.
    pub async fn check_schema(&self) -> Result<(), NovaDbError> {
        Ok(self.db.check_schema(&MIGRATIONS).await?)
    }

    /// Nova's soft delete: `deleted = id` (so the row's unique keys are free again) and
    /// `deleted_at = now`, on the live row whose `key_column` is `key`. True when a row was
    /// deleted. Table and column are `'static`: they come from code, never from input.
    pub(crate) async fn soft_delete(
        &self,
        table: &'static str,
        key_column: &'static str,
        key: novactor::db::SqlValue,
    ) -> Result<bool, NovaDbError> {
        let now = utc_now();
        let sql = format!(
            "UPDATE {table} SET deleted = id, deleted_at = ?, updated_at = ? \
             WHERE {key_column} = ? AND deleted = 0"
        );
        let n = self
            .db
            .execute(&sql, &[now.into(), now.into(), key])
            .await?;
        Ok(n > 0)
    }
}

/// Now, as the database stores it: UTC, truncated to microseconds so a value read back
/// compares equal to the one written on every backend (SQLite text, PostgreSQL and MySQL
/// `(6)` precision).
pub(crate) fn utc_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
