//! The database's own threads: PostgreSQL and MySQL connections are opened and driven on a
//! small multi-threaded tokio runtime of their own, never on an actor's runtime thread or
//! an HTTP worker.
//!
//! Why: a tokio socket is served by the I/O driver of the runtime that opened it. A sqlx
//! pool shared by several current-thread runtimes (the supervisor's runtime threads, the
//! API's workers) hands each connection to whichever thread asks next, but the readiness
//! of its socket is still noticed only when the thread that opened it turns its driver —
//! between two of its own tasks, or when it goes idle. A busy actor thread then delays
//! every other thread's queries on the connections it happened to open, and a connection
//! opened by a thread that has since ended (an API worker of a restarted api actor) has
//! no driver at all. On the database runtime every query's I/O is served by threads that
//! do nothing else; the cost is one hand-over per query between the caller's thread and
//! those threads. SQLite needs none of this (sqlx runs each SQLite connection on a thread
//! of its own) and stays inline.
//!
//! A query handed over runs to its end even if its caller stops waiting, as a statement
//! sent to a server does anyway; a transaction whose caller went away still commits or
//! rolls back as its statements say.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

use super::error::DbError;

/// Most threads the database runtime starts (fewer on a host with fewer cores): they only
/// move bytes and decode rows, so a few serve many connections.
const MAX_THREADS: usize = 4;

/// The process's database runtime, built on first use and kept for the process's life
/// (a runtime must not be dropped from async code); `None` if it could not be built.
fn runtime() -> Option<&'static Runtime> {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let threads = std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .min(MAX_THREADS);
            match Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("novactor-db")
                .enable_all()
                .build()
            {
                Ok(runtime) => Some(runtime),
                Err(error) => {
                    tracing::warn!(%error,
                        "cannot start the database threads; database I/O runs on the callers' threads");
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
