//! The Nova side of the toolbox, for the novactor-nova package's test binaries only (the
//! runtime's binaries cannot see `novactor_nova` nor the `novactor` binary): the built
//! binary, and a fresh database with Nova's schema. Declared from a `main.rs` next to
//! `common` as `#[path = "../common/nova.rs"] mod nova;`.
#![allow(dead_code, unreachable_pub)]

use novactor_nova::db::NovaDb;

use crate::common::{Backend, FreshDatabase};

/// The `novactor` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_novactor");

/// A test's own database with Nova's schema (`db sync` applied); dropped when this goes.
pub struct FreshNovaDb {
    /// Its URL (for processes the test starts).
    pub url: String,
    /// Migrated and connected.
    pub db: NovaDb,
    _fresh: FreshDatabase,
}

/// A fresh database on `backend` (`<prefix>_<hex>` on a server), migrated.
pub async fn fresh_nova_db(backend: Backend, prefix: &str) -> FreshNovaDb {
    let fresh = FreshDatabase::create(backend, prefix).await;
    let db = NovaDb::new(fresh.database());
    db.sync().await.expect("migrate the test database");
    FreshNovaDb {
        url: fresh.url.clone(),
        db,
        _fresh: fresh,
    }
}

/// A state directory of this test process's own (removed with the process's temp dir only
/// by the OS; a test never writes into the developer's `~/.local/state/novactor`): computes
/// keep their node identity files here.
pub fn test_state_path() -> &'static str {
    static DIR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("novactor-test-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test state directory");
        dir.to_string_lossy().into_owned()
    })
}

/// Nova's configuration for an in-process test: `overrides` on the defaults, with
/// [`test_state_path`] as `state_path` unless the test sets its own.
pub fn nova_config(
    overrides: &[(&str, &str, &str)],
) -> Result<novactor_nova::conf::NovaConfig, novactor::config::ConfigError> {
    let mut all = vec![("DEFAULT", "state_path", test_state_path())];
    all.extend_from_slice(overrides);
    novactor_nova::conf::NovaConfig::with_overrides(&all)
}
