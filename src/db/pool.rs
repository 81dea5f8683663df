//! `Database`: the pool, how it is reached from `[database] connection`, and the four query
//! primitives (execute, fetch, insert) every repository is built from.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a query waits for a pooled connection: a database outage becomes a clear
/// error in seconds, not a call that hangs for sqlx's default half minute.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPoolOptions, MySqlRow};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, FromRow, MySqlPool, PgPool, SqlitePool};

use super::dialect::Dialect;
use super::error::{sqlx_unavailable, DbError};
use super::io_runtime;
use super::value::{arguments, SqlValue};
use crate::config::{mask_url, DatabaseOptions, ServerUrl};

/// File name of the embedded SQLite database under `state_path`.
const SQLITE_FILE: &str = "novactor.sqlite";

/// How long a SQLite writer waits for another one before failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// The typed pool of one backend.
#[derive(Clone)]
pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
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

/// Where `[database] connection` points, oslo.db (SQLAlchemy) style.
enum Target {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres(String),
    MySql(String),
}

/// Reads `[database] connection` with the shared URL reader (`config::ServerUrl`).
fn target(connection: Option<&str>, state_path: &Path) -> Result<Target, DbError> {
    let Some(url) = connection else {
        return Ok(Target::SqliteFile(state_path.join(SQLITE_FILE)));
    };
    let invalid = |reason: String| DbError::InvalidUrl {
        url: mask_url(url),
        reason,
    };
    let parsed = ServerUrl::parse(url).map_err(|e| invalid(e.to_string()))?;
    // oslo.db URLs name the Python driver (mysql+pymysql, postgresql+psycopg2): drop it.
    let dialect = parsed.scheme().split('+').next().unwrap_or_default();
    let one_host = || match parsed.hosts().len() {
        0 | 1 => Ok(()),
        n => Err(invalid(format!(
            "it names {n} hosts; a database URL names one (host:port)"
        ))),
    };
    match dialect {
        "sqlite" => {
            if !parsed.hosts().is_empty() {
                return Err(invalid(
                    "a SQLite URL has no host: write sqlite:////absolute/path or \
                     sqlite:///relative/path"
                        .to_owned(),
                ));
            }
            // SQLAlchemy: sqlite:// is in memory, sqlite:///rel relative, sqlite:////abs absolute.
            match parsed.path().strip_prefix('/') {
                None | Some("") | Some(":memory:") => Ok(Target::SqliteMemory),
                Some(file) => Ok(Target::SqliteFile(PathBuf::from(file))),
            }
        }
        "postgresql" | "postgres" => {
            one_host()?;
            Ok(Target::Postgres(parsed.with_scheme("postgresql")))
        }
        "mysql" | "mariadb" => {
            one_host()?;
            Ok(Target::MySql(parsed.with_scheme("mysql")))
        }
        other => Err(invalid(format!("unknown database type {other:?}"))),
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
        // A server's connections are opened (and then driven) on the database thread.
        let server = matches!(target, Target::Postgres(_) | Target::MySql(_));
        let opening = open_pool(target, options.clone(), Arc::clone(&masked_url));
        let pool = if server {
            io_runtime::run(opening).await?
        } else {
            opening.await?
        };
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

/// The pool `target` names, its first connection opened (retrying at start as
/// `options` say). Runs on the database threads.
async fn open_pool(
    target: Target,
    options: DatabaseOptions,
    masked_url: Arc<str>,
) -> Result<Pool, DbError> {
    let refused = |source: sqlx::Error| DbError::Refused {
        url: masked_url.to_string(),
        source,
    };
    let invalid = |e: sqlx::Error| DbError::InvalidUrl {
        url: masked_url.to_string(),
        reason: e.to_string(),
    };
    Ok(match target {
        Target::SqliteFile(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            let opts = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable in WAL mode except for the last commits on power loss.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                // `column REGEXP pattern`, as PostgreSQL's `~` and MySQL's REGEXP.
                .with_regexp();
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .max_connections(options.max_pool_size)
                .max_lifetime(options.connection_recycle_time)
                .connect_with(opts)
                .await
                .map_err(refused)?;
            Pool::Sqlite(pool)
        }
        Target::SqliteMemory => {
            // Every SQLite connection to :memory: is its own database: keep exactly one,
            // forever.
            let opts = SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(invalid)?
                .foreign_keys(true)
                .with_regexp();
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await
                .map_err(refused)?;
            Pool::Sqlite(pool)
        }
        Target::Postgres(url) => {
            let opts = PgConnectOptions::from_str(&url).map_err(invalid)?;
            let try_once = || async { PgConnection::connect_with(&opts).await?.close().await };
            let attempts = first_connection(&options, &masked_url, try_once).await?;
            let pool = PgPoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .max_connections(options.max_pool_size)
                .max_lifetime(options.connection_recycle_time)
                .connect_with(opts)
                .await
                .map_err(|e| classify(e, &masked_url, attempts))?;
            Pool::Postgres(pool)
        }
        Target::MySql(url) => {
            let opts = MySqlConnectOptions::from_str(&url).map_err(invalid)?;
            let try_once = || async { MySqlConnection::connect_with(&opts).await?.close().await };
            let attempts = first_connection(&options, &masked_url, try_once).await?;
            let pool = MySqlPoolOptions::new()
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .max_connections(options.max_pool_size)
                .max_lifetime(options.connection_recycle_time)
                .connect_with(opts)
                .await
                .map_err(|e| classify(e, &masked_url, attempts))?;
            Pool::MySql(pool)
        }
    })
}

/// Tries the first connection until it works, retrying only failures that waiting can fix.
/// Returns the number of attempts made.
async fn first_connection<F, Fut>(
    options: &DatabaseOptions,
    masked_url: &str,
    try_once: F,
) -> Result<u32, DbError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    let mut attempts: u32 = 0;
    loop {
        attempts = attempts.saturating_add(1);
        match try_once().await {
            Ok(()) => return Ok(attempts),
            Err(e) => {
                let retries_left = options.max_retries.is_none_or(|max| attempts <= max);
                if !sqlx_unavailable(&e) || !retries_left {
                    return Err(classify(e, masked_url, attempts));
                }
                tracing::warn!(
                    url = masked_url,
                    attempt = attempts,
                    error = %e,
                    "database unreachable; retrying in {}s",
                    options.retry_interval.as_secs()
                );
                tokio::time::sleep(options.retry_interval).await;
            }
        }
    }
}

fn classify(source: sqlx::Error, masked_url: &str, attempts: u32) -> DbError {
    if sqlx_unavailable(&source) {
        DbError::Unavailable {
            url: masked_url.to_owned(),
            attempts,
            source,
        }
    } else {
        DbError::Refused {
            url: masked_url.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Target, DbError> {
        target(Some(url), Path::new("/state"))
    }

    #[test]
    fn unset_connection_is_the_sqlite_file_under_state_path() {
        assert!(matches!(
            target(None, Path::new("/state")),
            Ok(Target::SqliteFile(p)) if p == Path::new("/state/novactor.sqlite")
        ));
    }

    #[test]
    fn sqlite_urls_follow_sqlalchemy() {
        assert!(matches!(parse("sqlite:////var/lib/nova.db"),
            Ok(Target::SqliteFile(p)) if p == Path::new("/var/lib/nova.db")));
        assert!(matches!(parse("sqlite:///nova.db"),
            Ok(Target::SqliteFile(p)) if p == Path::new("nova.db")));
        assert!(matches!(parse("sqlite://"), Ok(Target::SqliteMemory)));
        assert!(parse("sqlite://host/x").is_err());
    }

    #[test]
    fn oslo_driver_suffixes_are_dropped() {
        assert!(
            matches!(parse("mysql+pymysql://nova:pw@db/nova?charset=utf8"),
            Ok(Target::MySql(u)) if u == "mysql://nova:pw@db/nova?charset=utf8")
        );
        assert!(matches!(parse("postgresql+psycopg2://nova:pw@db/nova"),
            Ok(Target::Postgres(u)) if u == "postgresql://nova:pw@db/nova"));
        assert!(matches!(
            parse("postgres://db/nova"),
            Ok(Target::Postgres(_))
        ));
    }

    #[test]
    fn urls_are_read_by_the_shared_reader() {
        // Percent-encoded delimiters stay in the URL handed to sqlx, which decodes them.
        assert!(
            matches!(parse("mysql+pymysql://nova:p%2Fw%40x@[::1]:3307/nova"),
            Ok(Target::MySql(u)) if u == "mysql://nova:p%2Fw%40x@[::1]:3307/nova")
        );
        assert!(matches!(
            parse("SQLITE:///:memory:"),
            Ok(Target::SqliteMemory)
        ));
        assert!(matches!(parse("sqlite:///nova.db?timeout=5"),
            Ok(Target::SqliteFile(p)) if p == Path::new("nova.db")));
    }

    #[test]
    fn bad_urls_are_refused_naming_the_fix_with_every_password_masked() {
        for (url, reason) in [
            (
                "mysql://nova:hunter2@db1,nova:hunter2@db2/nova",
                "names 2 hosts",
            ),
            ("postgresql://nova:hunter2@db:99999/nova", "port of host 1"),
            ("postgresql://nova:hunter2/x@db/nova", "port of host 1"),
            ("mysql://nova:hunter2@/nova", "names no host name"),
            ("sqlite://nova:hunter2@db/x", "a SQLite URL has no host"),
            ("nova:hunter2@db/nova", "no scheme"),
            ("oracle://db/nova?password=hunter2", "unknown database type"),
        ] {
            let Err(err) = parse(url) else {
                panic!("{url} accepted");
            };
            let text = err.to_string();
            assert!(text.contains(reason), "{url}: {text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

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

    #[test]
    fn unknown_schemes_are_refused_with_the_password_masked() {
        let Err(err) = parse("oracle://nova:hunter2@db/nova") else {
            panic!("oracle accepted");
        };
        let text = err.to_string();
        assert!(text.contains("nova:***@db"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
