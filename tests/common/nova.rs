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
