//! How `[database] connection` is reached: the URL read as oslo.db (SQLAlchemy) writes it,
//! the typed pool opened, the first connection retried at start as oslo.db does, and a
//! failure classified (unreachable, refused) with the password masked.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, MySqlPool, PgPool, SqlitePool};

use super::error::{sqlx_unavailable, DbError};
use super::io_runtime;
use crate::config::{mask_url, DatabaseOptions, ServerUrl};

/// The typed pool of one backend.
#[derive(Clone)]
pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// How long a query waits for a pooled connection: a database outage becomes a clear
/// error in seconds, not a call that hangs for sqlx's default half minute.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// File name of the embedded SQLite database under `state_path`.
const SQLITE_FILE: &str = "novactor.sqlite";

/// How long a SQLite writer waits for another one before failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where `[database] connection` points, oslo.db (SQLAlchemy) style.
pub(super) enum Target {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres(String),
    MySql(String),
}

/// Reads `[database] connection` with the shared URL reader (`config::ServerUrl`).
pub(super) fn target(connection: Option<&str>, state_path: &Path) -> Result<Target, DbError> {
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

/// The pool `target` names, its first connection opened (a server's retried at start as
/// `options` say).
pub(super) async fn open_pool(
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
        // A server's pool is opened on the database thread, where its connections then
        // live (`io_runtime.rs`).
        Target::Postgres(url) => Pool::Postgres(
            io_runtime::run(open_server::<sqlx::Postgres>(url, options, masked_url)).await?,
        ),
        Target::MySql(url) => Pool::MySql(
            io_runtime::run(open_server::<sqlx::MySql>(url, options, masked_url)).await?,
        ),
    })
}

/// A server's pool (PostgreSQL, MySQL): the first connection tried until it works (as
/// `options` say), then the pool.
async fn open_server<DB: sqlx::Database>(
    url: String,
    options: DatabaseOptions,
    masked_url: Arc<str>,
) -> Result<sqlx::Pool<DB>, DbError> {
    let opts = <DB::Connection as Connection>::Options::from_str(&url).map_err(|e| {
        DbError::InvalidUrl {
            url: masked_url.to_string(),
            reason: e.to_string(),
        }
    })?;
    let try_once = || async { DB::Connection::connect_with(&opts).await?.close().await };
    let attempts = first_connection(&options, &masked_url, try_once).await?;
    PoolOptions::<DB>::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(options.max_pool_size)
        .max_lifetime(options.connection_recycle_time)
        .connect_with(opts)
        .await
        .map_err(|e| classify(e, &masked_url, attempts))
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
