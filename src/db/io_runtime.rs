//! The database's own thread: the pool's connections are opened and driven, and go back to
//! the pool, on a runtime of their own, never on an actor's runtime thread or an HTTP
//! worker.
//!
//! Why: a tokio socket is served by the I/O driver of the runtime that opened it. A sqlx
//! pool shared by several current-thread runtimes (the supervisor's runtime threads, the
//! API's workers) hands each connection to whichever thread asks next, but the readiness
//! of its socket is still noticed only when the thread that opened it turns its driver —
//! between two of its own tasks, or when it goes idle. A busy actor thread then delays
//! every other thread's queries on the connections it happened to open, and a connection
//! opened by a thread that has since ended (an API worker of a restarted api actor) has
//! no driver at all. On the database thread every query's I/O is served by a thread that
//! does nothing else; the cost is one hand-over per query between the caller's thread and
//! it. SQLite stays inline: sqlx runs each SQLite connection on a thread of its own, and
//! the hand-over measurably slowed the 1,000-compute start-up (docs/BENCHMARKS.md); there
//! a connection still goes back to the pool on the thread that used it, at its next yield.
//!
//! A query handed over runs to its end even if its caller stops waiting, as a statement
//! sent to a server does anyway; a transaction whose caller went away still commits or
//! rolls back as its statements say.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

use super::error::DbError;

/// The process's database thread: a current-thread runtime, built and driven for the
/// process's life by a thread of its own (so it is never dropped, from async code or at
/// all); `None` if it could not be started. One thread, parked when idle: the work is
/// moving bytes and decoding rows, and a multi-threaded runtime's idle workers would spin
/// for work on the very cores the actors need.
fn runtime() -> Option<&'static Handle> {
    static RUNTIME: OnceLock<Option<Handle>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let (handle_tx, handle_rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("novactor-db".into())
                .spawn(move || match Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => {
                        let _ = handle_tx.send(Ok(runtime.handle().clone()));
                        runtime.block_on(std::future::pending::<()>());
                    }
                    Err(error) => {
                        let _ = handle_tx.send(Err(error));
                    }
                });
            // Waits only for the new thread to build its runtime, once per process.
            let started = spawned.and_then(|_| {
                handle_rx
                    .recv()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the thread ended")))
            });
            match started {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error,
                        "cannot start the database thread; database I/O runs on the callers' threads");
                    None
                }
            }
        })
        .as_ref()
}

/// Runs `work` on the database runtime (with the caller's span and tracing dispatcher) and
/// waits for its result. A panic in `work` is resumed here, as if it had run inline.
pub(super) async fn run<T, F>(work: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, DbError>> + Send + 'static,
{
    let Some(runtime) = runtime() else {
        return work.await;
    };
    let work = work
        .instrument(tracing::Span::current())
        .with_current_subscriber();
    match runtime.spawn(work).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(DbError::Runtime(error.to_string())),
    }
}
