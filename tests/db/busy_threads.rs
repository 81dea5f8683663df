//! A pooled connection does not belong to the thread that opened it. The runtime threads
//! and the API's workers share one pool; a busy actor thread (a long handler) must not
//! stall another thread's queries on a connection it happened to open or last used. On
//! PostgreSQL and MySQL the pool's work — each connection's I/O, and its return to the pool
//! after a query — runs on the database's own thread (`src/db/io_runtime.rs`).
//!
//! SQLite is not in this test: its connections run on threads of their own (sqlx), and
//! sending every query through the database thread as well cost the 1,000-compute bench
//! start-up time for nothing; what remains there is sqlx's return of a connection to the
//! pool on the thread that used it, at that thread's next yield.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use novactor::db::Database;

use crate::common::*;

/// How long the opening thread stays busy without yielding.
const BUSY: Duration = Duration::from_secs(3);
/// Far above a local query, far below [`BUSY`].
const PROMPT: Duration = Duration::from_secs(1);

async fn a_busy_thread_does_not_stall_queries_on_the_connection_it_opened(backend: Backend) {
    let fresh = FreshDatabase::create(backend, "novactor_test").await;
    let url = fresh.url.clone();
    let (opened_tx, opened_rx) = mpsc::channel();
    // Another thread with a runtime of its own (as a runtime thread is) opens the pool —
    // its only connection — runs a query, then stays busy without yielding.
    let busy = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let mut options = db_options(Some(url));
            options.max_pool_size = 1;
            let db = Database::connect(&options, Path::new("."))
                .await
                .expect("connect");
            db.execute("SELECT 1", &[]).await.expect("the first query");
            opened_tx.send(db).expect("the test waits");
            std::thread::sleep(BUSY);
        });
    });
    let db = tokio::task::spawn_blocking(move || opened_rx.recv())
        .await
        .expect("join")
        .expect("the pool from the busy thread");
    let started = Instant::now();
    db.execute("SELECT 1", &[])
        .await
        .expect("a query while the opening thread is busy");
    let took = started.elapsed();
    assert!(
        took < PROMPT,
        "a query waited {took:?} for the thread that opened its connection to be free"
    );
    db.close().await;
    tokio::task::spawn_blocking(move || busy.join())
        .await
        .expect("join")
        .expect("the busy thread ends");
    fresh.remove().await.expect("drop the test database");
}

scenarios! {
    #[tokio::test]
    (postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        a_busy_thread_does_not_stall_queries_on_the_connection_it_opened,
    ]
}
