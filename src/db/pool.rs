//! `Database`: the pool (reached as `connect.rs` says), and the four query primitives
//! (execute, fetch, insert) every repository is built from.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;

use super::connect::{open_pool, target, Pool, Target};
use super::dialect::Dialect;
use super::error::DbError;
use super::io_runtime;
use super::value::{arguments, SqlValue};
use crate::config::{mask_url, DatabaseOptions};

/// A row type every backend can decode (derive `sqlx::FromRow` on a struct whose fields
/// are `i64`, `bool`, `f64`, `String`, `chrono::DateTime<Utc>` or `Option`s of them).
pub trait FromDbRow:
    for<'r> FromRow<'r, SqliteRow>
    + for<'r> FromRow<'r, PgRow>
    + for<'r> FromRow<'r, MySqlRow>
    + Send
    + Unpin
{
}

impl<T> FromDbRow for T where
    T: for<'r> FromRow<'r, SqliteRow>
        + for<'r> FromRow<'r, PgRow>
        + for<'r> FromRow<'r, MySqlRow>
        + Send
        + Unpin
{
}

/// A pool of connections to one database. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Database {
    pub(super) pool: Pool,
    /// For messages: the URL with its password masked.
    masked_url: Arc<str>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("dialect", &self.dialect())
            .field("url", &self.masked_url)
            .finish()
    }
}

/// Runs `$body` once per backend with `$p` bound to that backend's pool and `$db` to its
/// sqlx database type: a query written once, still statically typed for each backend.
macro_rules! on_each_backend {
    ($pool:expr, |$p:ident, $db:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => {
                type $db = sqlx::Sqlite;
                $body
            }
            Pool::Postgres($p) => {
                type $db = sqlx::Postgres;
                $body
            }
            Pool::MySql($p) => {
                type $db = sqlx::MySql;
                $body
            }
        }
    };
}

/// Runs a statement's `$body` (`$p` the pool, `$db` its sqlx type, `$params` the
/// parameters, and whatever else it names, such as its SQL text) where the pool's
/// connections live: inline on SQLite, whose connections sqlx runs on threads of their
/// own; moved to the database thread for PostgreSQL and MySQL (`io_runtime.rs`).
macro_rules! on_connections {
    ($self:expr, $params:ident, |$p:ident, $db:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($p) => {
                type $db = sqlx::Sqlite;
                Ok($body)
            }
            server => {
                let (pool, owned) = (server.clone(), $params.to_vec());
                io_runtime::run(async move {
                    let $params = owned.as_slice();
                    Ok(on_each_backend!(&pool, |$p, $db| $body))
                })
                .await
            }
        }
    };
}

impl Database {
    /// Connects as `[database]` says: `connection` unset means the SQLite file
    /// `<state_path>/novactor.sqlite` (file and directories created on first use).
    ///
    /// A server that cannot be reached (refused, unreachable, timed out) is tried again
    /// `max_retries` more times (`None`: forever), `retry_interval` apart, as oslo.db does at
    /// start; then the error is [`DbError::Unavailable`]. Any other refusal (credentials,
    /// unknown database) fails at once with [`DbError::Refused`]. Once connected the pool
    /// reconnects by itself; queries never retry.
    pub async fn connect(
        options: &DatabaseOptions,
        state_path: &Path,
    ) -> Result<Database, DbError> {
        let url = options.connection.as_ref().map(|u| u.expose());
        let target = target(url, state_path)?;
        let masked_url: Arc<str> = match (&target, url) {
            (_, Some(url)) => mask_url(url).into(),
            (Target::SqliteFile(path), None) => format!("sqlite:///{}", path.display()).into(),
            (_, None) => "sqlite://".into(),
        };
        let pool = open_pool(target, options.clone(), Arc::clone(&masked_url)).await?;
        Ok(Database { pool, masked_url })
    }

    /// The dialect of the connected server.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
            Pool::MySql(_) => Dialect::MySql,
        }
    }

    /// The URL connected to, password masked.
    pub fn masked_url(&self) -> &str {
        &self.masked_url
    }

    /// `SELECT 1`: is the database reachable and answering?
    pub async fn ping(&self) -> Result<(), DbError> {
        self.execute("SELECT 1", &[]).await.map(drop)
    }

    /// Closes every connection; later queries fail with `PoolClosed`.
    pub async fn close(&self) {
        let pool = self.pool.clone();
        let closed = self
            .on_io(async move {
                on_each_backend!(&pool, |p, _Db| p.close().await);
                Ok(())
            })
            .await;
        if let Err(error) = closed {
            tracing::warn!(%error, "closing the database pool");
        }
    }

    /// Runs `work` where this pool's connections live: on the database thread for
    /// PostgreSQL and MySQL (`io_runtime.rs`); inline for SQLite, whose connections sqlx
    /// runs on threads of their own (the hand-over would only add a hop per query).
    pub(super) async fn on_io<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, DbError>> + Send + 'static,
    {
        match self.pool {
            Pool::Sqlite(_) => work.await,
            Pool::Postgres(_) | Pool::MySql(_) => io_runtime::run(work).await,
        }
    }

    /// Runs one statement (portable SQL, see [`Dialect::sql`]); returns the rows it
    /// affected. MySQL counts matched rows here, not only changed ones (sqlx sets
    /// `CLIENT_FOUND_ROWS`), so "0 rows" means "no row matched" on every backend.
    pub async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let sql = self.dialect().sql(sql);
        on_connections!(self, params, |p, Db| {
            sqlx::query_with(&sql, arguments::<Db>(params)?)
                .execute(p)
                .await?
                .rows_affected()
        })
    }

    /// The first row of a query, if any.
    pub async fn fetch_optional<T: FromDbRow + 'static>(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Option<T>, DbError> {
        let sql = self.dialect().sql(sql);
        on_connections!(self, params, |p, Db| {
            sqlx::query_as_with(&sql, arguments::<Db>(params)?)
                .fetch_optional(p)
                .await?
        })
    }

    /// Every row of a query.
    pub async fn fetch_all<T: FromDbRow + 'static>(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<T>, DbError> {
        let sql = self.dialect().sql(sql);
        on_connections!(self, params, |p, Db| {
            sqlx::query_as_with(&sql, arguments::<Db>(params)?)
                .fetch_all(p)
                .await?
        })
    }

    /// Runs `statements` (portable SQL with their parameters) in order in ONE transaction:
    /// all take effect or, on the first failure, none. Returns each statement's affected
    /// rows (counted as [`Database::execute`] counts them).
    pub async fn execute_in_transaction(
        &self,
        statements: &[(&str, &[SqlValue])],
    ) -> Result<Vec<u64>, DbError> {
        let dialect = self.dialect();
        let statements: Vec<(String, Vec<SqlValue>)> = statements
            .iter()
            .map(|(sql, params)| (dialect.sql(sql), params.to_vec()))
            .collect();
        let pool = self.pool.clone();
        self.on_io(async move {
            let mut affected = Vec::with_capacity(statements.len());
            on_each_backend!(&pool, |p, Db| {
                // Dropped without commit on any error: sqlx rolls the transaction back.
                let mut tx = p.begin().await?;
                for (sql, params) in &statements {
                    let done = sqlx::query_with(sql, arguments::<Db>(params)?)
                        .execute(&mut *tx)
                        .await?;
                    affected.push(done.rows_affected());
                }
                tx.commit().await?;
            });
            Ok(affected)
        })
        .await
    }

    /// `INSERT INTO table (columns…) VALUES (…)`; returns the new row's integer `id`.
    /// Table and column names are `'static` so they come from code, never from input.
    pub async fn insert(
        &self,
        table: &'static str,
        values: &[(&'static str, SqlValue)],
    ) -> Result<i64, DbError> {
        let columns: Vec<String> = values.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let marks = vec!["?"; values.len()].join(", ");
        let params: Vec<SqlValue> = values.iter().map(|(_, v)| v.clone()).collect();
        let sql = format!(
            "INSERT INTO \"{table}\" ({}) VALUES ({marks})",
            columns.join(", ")
        );
        let pool = self.pool.clone();
        self.on_io(async move {
            Ok(match &pool {
                Pool::Sqlite(p) => sqlx::query_with(&sql, arguments::<sqlx::Sqlite>(&params)?)
                    .execute(p)
                    .await?
                    .last_insert_rowid(),
                // PostgreSQL has no "last insert id" on the result: ask for it.
                Pool::Postgres(p) => {
                    let sql = Dialect::Postgres.sql(&format!("{sql} RETURNING id"));
                    let (id,): (i64,) =
                        sqlx::query_as_with(&sql, arguments::<sqlx::Postgres>(&params)?)
                            .fetch_one(p)
                            .await?;
                    id
                }
                Pool::MySql(p) => {
                    let sql = Dialect::MySql.sql(&sql);
                    let id = sqlx::query_with(&sql, arguments::<sqlx::MySql>(&params)?)
                        .execute(p)
                        .await?
                        .last_insert_id();
                    i64::try_from(id).unwrap_or(i64::MAX)
                }
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_refused_connection_is_reported_with_the_password_masked() {
        let options = DatabaseOptions {
            connection: Some(crate::config::SecretUrl::new(
                "postgresql://nova:hunter2@127.0.0.1:1/nova?password=hunter2",
            )),
            max_pool_size: 1,
            max_retries: Some(0),
            retry_interval: Duration::ZERO,
            connection_recycle_time: Duration::from_secs(60),
        };
        let err = Database::connect(&options, Path::new("/state"))
            .await
            .expect_err("nothing listens on port 1");
        let text = err.to_string();
        assert!(
            text.contains("postgresql://nova:***@127.0.0.1:1/nova?password=***"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }
}
