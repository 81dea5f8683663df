//! `DbError`: every way the database runtime fails, each naming what to fix. URLs in messages
//! are always masked (`crate::config::mask_url`: each host's password, secret query parameters
//! such as `?password=`, and all of a URL that cannot be read); reasons never repeat URL text.

use std::path::PathBuf;

/// Why a database operation failed (oslo.db names in parentheses where it has one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// `[database] connection` is not a URL novactor can use.
    #[error(
        "[database] connection {url} is not supported: {reason} (use sqlite:////path, \
         postgresql://user:password@host/db or mysql://user:password@host/db)"
    )]
    InvalidUrl {
        /// The URL, password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite file's directory could not be created.
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server could not be reached after every attempt at start (oslo.db
    /// `DBConnectionError`).
    #[error(
        "cannot connect to the database at {url} after {attempts} attempt(s): {source}; \
         is the server running? ([database] max_retries / retry_interval set how long to wait)"
    )]
    Unavailable {
        /// The URL, password masked.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        source: sqlx::Error,
    },
    /// The server refused the connection for a reason waiting will not fix (credentials,
    /// unknown database, …).
    #[error("the database at {url} refused the connection: {source}")]
    Refused {
        /// The URL, password masked.
        url: String,
        /// The server's answer.
        source: sqlx::Error,
    },
    /// An insert or update broke a unique constraint (oslo.db `DBDuplicateEntry`).
    #[error("duplicate entry: {message}")]
    Duplicate {
        /// The server's message (names the constraint or key).
        message: String,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database's own threads did not run the query (`io_runtime.rs`).
    #[error("the database threads did not run the query: {0}")]
    Runtime(String),
    /// The database lacks migrations this binary has.
    #[error(
        "the database schema is at version {} but this novactor needs version {expected}: \
         run `novactor db sync`",
        current.map_or_else(|| "none (empty database)".to_owned(), |v| v.to_string())
    )]
    SchemaOutdated {
        /// Highest applied migration; `None` for an empty database.
        current: Option<i64>,
        /// Highest migration this binary embeds.
        expected: i64,
    },
    /// The database has migrations this binary does not know: a newer novactor migrated it.
    #[error(
        "the database schema is at version {current}, newer than this novactor's {expected}: \
         upgrade novactor"
    )]
    SchemaNewer {
        /// Highest applied migration.
        current: i64,
        /// Highest migration this binary embeds.
        expected: i64,
    },
    /// An applied migration differs from the one embedded under the same version, or failed
    /// half-way.
    #[error(
        "migration {version} in the database differs from this novactor's or did not \
         finish: restore the database or use the novactor release that applied it"
    )]
    MigrationMismatch {
        /// The migration's version.
        version: i64,
    },
}

impl DbError {
    /// A connection-level failure: the server is down or unreachable, or the pool has no
    /// connection to give. Worth retrying later; everything else is a bug or a config error.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Unavailable { .. } | DbError::Runtime(_) => true,
            DbError::Query(e) => sqlx_unavailable(e),
            DbError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => sqlx_unavailable(e),
            DbError::Migrate(_) => false,
            DbError::InvalidUrl { .. }
            | DbError::CreateDir { .. }
            | DbError::Refused { .. }
            | DbError::Duplicate { .. }
            | DbError::SchemaOutdated { .. }
            | DbError::SchemaNewer { .. }
            | DbError::MigrationMismatch { .. } => false,
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Duplicate {
                message: db.message().to_owned(),
            },
            _ => DbError::Query(e),
        }
    }
}

/// sqlx errors that mean "no usable connection" rather than "bad query".
pub(super) fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL class 08 (connection exception) and 57P0x (server shutting down).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}
