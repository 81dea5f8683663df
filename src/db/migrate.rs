//! Migrations: the caller embeds one `sqlx::migrate!` directory per dialect (the schema is
//! the service's, not the runtime's); `Database` applies the right one (`db sync`) or checks
//! that the database is at the binary's version before a service starts. sqlx records
//! applied migrations in its `_sqlx_migrations` table, with a checksum of each file.

use sqlx::migrate::{AppliedMigration, Migrate, Migrator};

use super::connect::Pool;
use super::dialect::Dialect;
use super::error::DbError;
use super::pool::Database;

/// One embedded migrator per dialect, same versions in each:
/// `Migrations { sqlite: &SQLITE, postgres: &POSTGRES, mysql: &MYSQL }` with
/// `static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");` and so on.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// For SQLite.
    pub sqlite: &'static Migrator,
    /// For PostgreSQL.
    pub postgres: &'static Migrator,
    /// For MySQL / MariaDB.
    pub mysql: &'static Migrator,
}

impl Migrations {
    /// The migrator of `dialect`.
    pub fn for_dialect(&self, dialect: Dialect) -> &'static Migrator {
        match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
            Dialect::MySql => self.mysql,
        }
    }
}

/// Where the database stands against the binary's migrations.
struct SchemaStatus {
    current: Option<i64>,
    expected: i64,
    pending: Vec<i64>,
}

impl Database {
    /// Applies every migration the database lacks (`novactor db sync`). Idempotent; runs
    /// under the backend's migration lock, so concurrent syncs do not collide.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), DbError> {
        let migrator = migrations.for_dialect(self.dialect());
        let pool = self.pool.clone();
        self.on_io(async move {
            match &pool {
                Pool::Sqlite(p) => migrator.run(p).await?,
                Pool::Postgres(p) => migrator.run(p).await?,
                Pool::MySql(p) => migrator.run(p).await?,
            }
            Ok(())
        })
        .await
    }

    /// Versions the binary embeds that the database lacks, oldest first (empty: up to
    /// date). Fails if the database has migrations the binary does not know, or one that
    /// differs from or did not finish.
    pub async fn pending_migrations(&self, migrations: &Migrations) -> Result<Vec<i64>, DbError> {
        Ok(self.schema_status(migrations).await?.pending)
    }

    /// `Ok` when the database is at exactly the binary's schema; otherwise
    /// [`DbError::SchemaOutdated`] (whose text says to run `novactor db sync`) or the error
    /// of [`Database::pending_migrations`]. Never changes the database.
    pub async fn check_schema(&self, migrations: &Migrations) -> Result<(), DbError> {
        let status = self.schema_status(migrations).await?;
        if status.pending.is_empty() {
            Ok(())
        } else {
            Err(DbError::SchemaOutdated {
                current: status.current,
                expected: status.expected,
            })
        }
    }

    async fn schema_status(&self, migrations: &Migrations) -> Result<SchemaStatus, DbError> {
        let migrator = migrations.for_dialect(self.dialect());
        let applied = self.applied_migrations().await?;
        let embedded: Vec<_> = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .collect();
        let expected = embedded.iter().map(|m| m.version).max().unwrap_or(0);
        let current = applied.iter().map(|m| m.version).max();
        for done in &applied {
            match embedded.iter().find(|m| m.version == done.version) {
                Some(m) if m.checksum != done.checksum => {
                    return Err(DbError::MigrationMismatch {
                        version: done.version,
                    })
                }
                Some(_) => {}
                None => {
                    return Err(DbError::SchemaNewer {
                        current: current.unwrap_or(done.version),
                        expected,
                    })
                }
            }
        }
        let pending = embedded
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.iter().any(|a| a.version == *v))
            .collect();
        Ok(SchemaStatus {
            current,
            expected,
            pending,
        })
    }

    /// What `_sqlx_migrations` records, without creating it (a check must not write).
    async fn applied_migrations(&self) -> Result<Vec<AppliedMigration>, DbError> {
        let exists_sql = match self.dialect() {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
            Dialect::MySql => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: Option<(i64,)> = self.fetch_optional(exists_sql, &[]).await?;
        if exists.is_none_or(|(n,)| n == 0) {
            return Ok(Vec::new());
        }
        let pool = self.pool.clone();
        let (dirty, applied) = self
            .on_io(async move {
                Ok(match &pool {
                    Pool::Sqlite(p) => {
                        let mut conn = p.acquire().await?;
                        (
                            conn.dirty_version().await?,
                            conn.list_applied_migrations().await?,
                        )
                    }
                    Pool::Postgres(p) => {
                        let mut conn = p.acquire().await?;
                        (
                            conn.dirty_version().await?,
                            conn.list_applied_migrations().await?,
                        )
                    }
                    Pool::MySql(p) => {
                        let mut conn = p.acquire().await?;
                        (
                            conn.dirty_version().await?,
                            conn.list_applied_migrations().await?,
                        )
                    }
                })
            })
            .await?;
        match dirty {
            Some(version) => Err(DbError::MigrationMismatch { version }),
            None => Ok(applied),
        }
    }
}
