//! What every database scenario runs on: a fresh, empty (not migrated) database of the
//! backend (`common::FreshDatabase`), dropped afterwards also when the scenario panics;
//! and small builders for the scenarios' values.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use novactor_nova::db::NovaDb;
use serde_json::{Map, Value};

use crate::common::{Backend, FreshDatabase};

/// Runs `scenario` on a fresh, empty (not migrated) database of `backend`, then drops it,
/// also when the scenario panics.
pub(crate) async fn with_db<F, Fut>(backend: Backend, scenario: F)
where
    F: FnOnce(NovaDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let fresh = FreshDatabase::create(backend, "novactor_test").await;
    let db = fresh.database();
    assert_eq!(db.dialect(), backend.dialect());
    let outcome = AssertUnwindSafe(scenario(NovaDb::new(db)))
        .catch_unwind()
        .await;
    let dropped = fresh.remove().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    dropped.expect("drop the test database");
}

pub(crate) async fn synced(db: &NovaDb) {
    db.sync().await.expect("db sync");
}

pub(crate) fn values(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

pub(crate) fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}
