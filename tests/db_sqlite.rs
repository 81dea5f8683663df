//! Nova's database layer over SQLite (a file in a temp dir, as the embedded default). The
//! same scenarios run over PostgreSQL (`db_postgres.rs`) and MariaDB/MySQL (`db_mysql.rs`).

const BACKEND: Backend = Backend::Sqlite;

include!("scenarios/db.rs");
