//! A fresh PostgreSQL database per test, migrated, dropped when the guard goes.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Duration;

use novactor::config::{DatabaseOptions, SecretUrl};
use novactor::db::Database;
use novactor_nova::db::NovaDb;

/// Pool options for a test connection to `url` (no retries: a missing server fails fast).
pub fn db_options(url: &str) -> DatabaseOptions {
    DatabaseOptions {
        connection: Some(SecretUrl::new(url)),
        max_pool_size: 5,
        max_retries: Some(0),
        retry_interval: Duration::ZERO,
        connection_recycle_time: Duration::from_secs(3600),
    }
}

/// The server tests use: `NOVACTOR_TEST_POSTGRES_URL`, else the local one.
pub fn admin_url() -> String {
    std::env::var("NOVACTOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into())
}

/// A test's own database; dropped (forcibly) when this goes.
pub struct FreshPostgres {
    /// Its URL (for processes the test starts).
    pub url: String,
    /// Migrated and connected.
    pub db: NovaDb,
    name: String,
}

/// Create `<prefix>_<hex>` on the test server and migrate it. Panics with the command
/// that starts PostgreSQL when the server is not there: these tests never skip.
pub async fn fresh_postgres(prefix: &str) -> FreshPostgres {
    let admin_url = admin_url();
    let admin = Database::connect(&db_options(&admin_url), Path::new("."))
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is needed ({e}); start it with bash scripts/services.sh")
        });
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .expect("create the test database");
    admin.close().await;
    let url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base)
    );
    let db = NovaDb::new(
        Database::connect(&db_options(&url), Path::new("."))
            .await
            .expect("connect to the test database"),
    );
    db.sync().await.expect("migrate the test database");
    FreshPostgres { url, db, name }
}

impl Drop for FreshPostgres {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await, and a pool belongs to the runtime that made it: connect
        // afresh on a runtime of this thread's own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) =
                    Database::connect(&db_options(&admin_url()), Path::new(".")).await
                {
                    let _ = admin.execute(&sql, &[]).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// `pg_ctlcluster <version> main <action>` on the local cluster; panics with its stderr.
pub fn pg_ctl(action: &str) {
    let output = std::process::Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            &cluster_version(),
            "main",
            action,
        ])
        .output()
        .expect("pg_ctlcluster runs");
    assert!(
        output.status.success(),
        "pg_ctlcluster {action}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cluster_version() -> String {
    std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut dir| dir.next())
        .and_then(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .expect("a PostgreSQL cluster under /etc/postgresql")
}

/// Starts PostgreSQL again however a test that stopped it ends.
pub struct PostgresBack;

impl Drop for PostgresBack {
    fn drop(&mut self) {
        let _ = std::process::Command::new("pg_ctlcluster")
            .args([
                "--skip-systemctl-redirect",
                &cluster_version(),
                "main",
                "start",
            ])
            .output();
    }
}
