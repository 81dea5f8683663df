//! `ApiState`, what every handler gets from the app data: the flow layer's clients, used on
//! the HTTP worker thread that took the request — so `osapi_compute_workers` workers serve
//! in parallel, each awaiting its own database and RPC work. Database work goes through the
//! pool's async connections (PostgreSQL, MySQL: as many at once as the pool holds; SQLite
//! serializes writers itself); a server's connections live on the database's own thread,
//! never on a worker, so a worker that ends with an api restart leaves none behind. The RPC
//! reply consumer runs on the node's main thread (`ClientShared`), never on a worker.

use std::future::Future;
use std::sync::Arc;

use super::api_fault::ApiFault;
use super::compute_api::ComputeApiDeps;

/// What handlers reach through [`ApiState::run`]: the flow layer's clients.
#[derive(Debug)]
pub struct Backend {
    /// Database, conductor and compute clients.
    pub deps: ComputeApiDeps,
}

/// Shared by every HTTP worker.
#[derive(Debug, Clone)]
pub struct ApiState {
    backend: Arc<Backend>,
    /// `[api] max_limit`: the most items one list response holds.
    max_limit: usize,
}

impl ApiState {
    /// The state of a server over `deps`.
    pub fn new(deps: ComputeApiDeps, max_limit: usize) -> Self {
        Self {
            backend: Arc::new(Backend { deps }),
            max_limit,
        }
    }

    /// `[api] max_limit`.
    pub fn max_limit(&self) -> usize {
        self.max_limit
    }

    /// Runs `work` on this worker thread and waits for its result.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, ApiFault>
    where
        F: FnOnce(Arc<Backend>) -> Fut,
        Fut: Future<Output = Result<T, ApiFault>>,
    {
        work(Arc::clone(&self.backend)).await
    }
}
