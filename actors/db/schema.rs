//! The slice's schema, embedded: one sqlx migrator per dialect, from
//! `migrations/<dialect>/` beside this file. Applying and checking them is the runtime's
//! migrator engine ([`novactor::db::Migrations`]).

use sqlx::migrate::Migrator;

use novactor::db::Migrations;

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
