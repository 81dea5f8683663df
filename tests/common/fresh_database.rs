//! A fresh database per test, gone when the test ends: SQLite in a temp dir, or a new
//! `<prefix>_<hex>` database on the PostgreSQL of `NOVACTOR_TEST_POSTGRES_URL` / the
//! MariaDB (MySQL) of `NOVACTOR_TEST_MYSQL_URL` (defaults: the local servers), dropped at
//! the end. A missing server fails the test with how to start it: these tests never skip.
//! The database is empty; Nova's schema is `NovaDb::sync`'s business (`common/nova.rs`).
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Duration;

use novactor::config::{DatabaseOptions, SecretUrl};
use novactor::db::{Database, DbError, Dialect};

/// Which server a test's database lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    /// Admin URL (its database is only used to create and drop test databases).
    pub fn admin_url(self) -> Option<String> {
        let (var, default) = match self {
            Backend::Sqlite => return None,
            Backend::Postgres => (
                "NOVACTOR_TEST_POSTGRES_URL",
                "postgresql://postgres@127.0.0.1:5432/test",
            ),
            Backend::MySql => (
                "NOVACTOR_TEST_MYSQL_URL",
                "mysql://root@127.0.0.1:3306/test",
            ),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }

    fn start_hint(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => {
                "bash scripts/services.sh (or: pg_ctlcluster --skip-systemctl-redirect \
                 $(ls /etc/postgresql) main start), or set NOVACTOR_TEST_POSTGRES_URL"
            }
            Backend::MySql => {
                "bash scripts/services.sh (or: start-stop-daemon --start --oknodo --background \
                 --exec /usr/sbin/mariadbd), or set NOVACTOR_TEST_MYSQL_URL"
            }
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
            Backend::MySql => Dialect::MySql,
        }
    }

    fn drop_statement(self, name: &str) -> String {
        match self {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {name}"),
        }
    }
}

/// Pool options for a test connection to `url` (`None`: SQLite in the state path); no
/// retries, so a missing server fails fast.
pub fn db_options(url: Option<String>) -> DatabaseOptions {
    DatabaseOptions {
        connection: url.map(SecretUrl::new),
        max_pool_size: 5,
        max_retries: Some(0),
        retry_interval: Duration::ZERO,
        connection_recycle_time: Duration::from_secs(3600),
    }
}

/// `url` with its database (path) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let base = match head[scheme_end..].find('/') {
        Some(slash) => &head[..scheme_end + slash],
        None => head,
    };
    format!("{base}/{name}{query}")
}

/// A test's own database, connected; dropped (or its temp dir removed) when this goes.
pub struct FreshDatabase {
    pub backend: Backend,
    /// Its URL, for processes the test starts.
    pub url: String,
    database: Database,
    /// The server-side name, until it is dropped.
    name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl FreshDatabase {
    /// A new, empty database on `backend`, named `<prefix>_<hex>` on a server.
    pub async fn create(backend: Backend, prefix: &str) -> Self {
        let Some(admin_url) = backend.admin_url() else {
            let dir = tempfile::tempdir().expect("temp dir");
            let database = Database::connect(&db_options(None), dir.path())
                .await
                .expect("SQLite database in a temp dir");
            return Self {
                backend,
                url: format!("sqlite:///{}", dir.path().join("novactor.sqlite").display()),
                database,
                name: None,
                _dir: Some(dir),
            };
        };
        let admin = admin(backend, &admin_url).await;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(&format!("CREATE DATABASE {name}"), &[])
            .await
            .expect("create the test database");
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let database = Database::connect(&db_options(Some(url.clone())), Path::new("."))
            .await
            .expect("connect to the fresh test database");
        Self {
            backend,
            url,
            database,
            name: Some(name),
            _dir: None,
        }
    }

    /// The connected pool (a handle: clones share it).
    pub fn database(&self) -> Database {
        self.database.clone()
    }

    /// Close the pool and drop the database now, reporting a failure (dropping `self`
    /// does the same silently).
    pub async fn remove(mut self) -> Result<(), DbError> {
        self.database.close().await;
        let (Some(name), Some(admin_url)) = (self.name.take(), self.backend.admin_url()) else {
            return Ok(());
        };
        let admin = admin(self.backend, &admin_url).await;
        let dropped = admin
            .execute(&self.backend.drop_statement(&name), &[])
            .await;
        admin.close().await;
        dropped.map(|_| ())
    }
}

/// A connection to the server's admin database; panics with how to start the server.
async fn admin(backend: Backend, admin_url: &str) -> Database {
    match Database::connect(&db_options(Some(admin_url.to_owned())), Path::new(".")).await {
        Ok(admin) => admin,
        Err(e) => panic!(
            "{backend:?} is needed for these tests and is not reachable: {e}\nstart it with: {}",
            backend.start_hint()
        ),
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (Some(name), Some(admin_url)) = (self.name.take(), self.backend.admin_url()) else {
            return;
        };
        let sql = self.backend.drop_statement(&name);
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
                    Database::connect(&db_options(Some(admin_url)), Path::new(".")).await
                {
                    let _ = admin.execute(&sql, &[]).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}
