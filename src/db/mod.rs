//! The database runtime: one pool to SQLite, PostgreSQL or MySQL/MariaDB, SQL text written
//! once for the three, and migrations run or checked against the binary's embedded ones.
//! No table of any service lives here (only sqlx's own `_sqlx_migrations`); a service's
//! schema and queries belong to its own module (Nova's: `actors/db/`).
//!
//! ```text
//! connect.rs  [database] connection read (oslo.db URL → typed pool), retries at start
//! pool.rs     Database: connect, queries,
//!             statements run in one transaction
//! io_runtime.rs  the thread PostgreSQL and MySQL connections are opened and driven on
//! dialect.rs  Dialect, and the rewrite of `?` / "quoted" SQL into each dialect's text
//! value.rs    SqlValue, a typed bind parameter (NULLs keep their type, as PostgreSQL wants)
//! migrate.rs  Migrations (one embedded migrator per dialect), sync and schema check
//! error.rs    DbError, with is_unavailable() for connection-level failures
//! ```
//!
//! # Typed pools, not `sqlx::AnyPool`
//! [`Database`] holds an enum of `SqlitePool` / `PgPool` / `MySqlPool`. sqlx's `Any` driver
//! only carries booleans, integers, floats, text and blobs: timestamps would have to be
//! stored as text on PostgreSQL and MySQL too. Typed pools keep native column types
//! (`TIMESTAMPTZ`, `DATETIME(6)`, `BOOLEAN`) and chrono decoding, at the cost of one
//! dispatch `match` per query, which lives here and nowhere else: callers pass one SQL text,
//! [`SqlValue`] parameters, and get rows of any type that is [`FromDbRow`].
//!
//! # SQL text
//! Write `?` placeholders and `"double-quoted"` identifiers (needed for names such as
//! `binary`, reserved in MySQL); [`Dialect::sql`] turns them into `$1…` for PostgreSQL and
//! backticks for MySQL. Timestamps are bound from Rust (`chrono::Utc::now()`), never taken
//! from the server clock, so the three backends agree and tests can choose `now`.
//!
//! # TLS
//! sqlx is built without a TLS feature: a URL demanding TLS (`sslmode=require`,
//! `ssl-mode=REQUIRED`) fails at connect. Add `tls-rustls-ring` to Cargo.toml when needed.

mod connect;
mod dialect;
mod error;
mod io_runtime;
mod migrate;
mod pool;
mod value;

pub use dialect::Dialect;
pub use error::DbError;
pub use migrate::Migrations;
pub use pool::{Database, FromDbRow};
pub use value::SqlValue;
