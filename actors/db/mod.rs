//! Nova's database: the slice's schema (`migrations/<dialect>/`, embedded here) and typed
//! repository functions over it, in the spirit of `nova/db/main/api.py`. The pool, the SQL
//! dialects and migration mechanics are the runtime's ([`novactor::db`]); table and column
//! names live only here.
//!
//! ```text
//! mod.rs              NovaDb (sync, check_schema), the embedded migrations
//! nova_db_error.rs    NovaDbError: nova.exception messages, so a failure can be replied as is
//! services.rs         services table, Nova's service_is_up rule
//! db_servicegroup.rs  DbServiceGroup: the servicegroup DB driver over services.rs
//! compute_nodes.rs    compute_nodes table
//! instances.rs        instances table, the conditional instance_update_and_get
//! instance_faults.rs  instance_faults table
//! flavors.rs          flavors table (seeded with m1.tiny … m1.xlarge)
//! request_specs.rs    request_specs table (JSON blob)
//! instance_actions.rs instance_actions + instance_actions_events
//! ```
//!
//! Every write stamps `updated_at`/`created_at` with a UTC time from this process; soft
//! delete sets `deleted = id` and `deleted_at`, and reads skip rows with `deleted != 0`.

mod compute_nodes;
mod db_servicegroup;
mod flavors;
mod instance_actions;
mod instance_faults;
mod instances;
mod nova_db_error;
mod request_specs;
mod services;

pub use compute_nodes::{ComputeNodeRow, ComputeNodeValues};
pub use db_servicegroup::DbServiceGroup;
pub use flavors::FlavorRow;
pub use instance_actions::{InstanceActionEventRow, InstanceActionRow};
pub use instance_faults::InstanceFaultRow;
pub use instances::{InstanceRow, INSTANCE_UPDATABLE_COLUMNS};
pub use nova_db_error::NovaDbError;
pub use request_specs::RequestSpecRow;
pub use services::{service_is_up, ServiceChanges, ServiceKey, ServiceRow};

use sqlx::migrate::Migrator;

use crate::conf::NovaConfig;
use novactor::db::{Database, Migrations};

// `sqlx::migrate!` is only exported with sqlx's `macros` feature, which also builds the
// compile-time query machinery; the proc macro itself comes with `derive` + `migrate`.
// build.rs makes cargo rebuild when a migration is added or changed.
static SQLITE: Migrator = sqlx::sqlx_macros::migrate!("db/migrations/sqlite");
static POSTGRES: Migrator = sqlx::sqlx_macros::migrate!("db/migrations/postgres");
static MYSQL: Migrator = sqlx::sqlx_macros::migrate!("db/migrations/mysql");

/// The Nova slice schema, one migrator per dialect.
pub static MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
    mysql: &MYSQL,
};

/// Nova's database (the slice's single cell): repository functions returning typed rows.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct NovaDb {
    db: Database,
}

/// Nova `SERVICE_VERSION` of this slice (compute RPC 6.5), written into service rows.
pub const SERVICE_VERSION: i64 = 73;

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
        NovaDb { db }
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
