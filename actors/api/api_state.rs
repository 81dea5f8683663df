//! `ApiState`, what every handler gets from the app data: the bridge that runs database and
//! RPC work on the api actor's own runtime. The HTTP workers are separate threads; keeping
//! pooled connections and the RPC reply consumer on the actor's arbiter means a worker's
//! exit cannot strand them.

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
    actor: actix_rt::ArbiterHandle,
    /// `[api] max_limit`: the most items one list response holds.
    max_limit: usize,
}

impl ApiState {
    /// The state of a server whose work runs on the current arbiter (the api actor's).
    pub fn on_current_arbiter(deps: ComputeApiDeps, max_limit: usize) -> Self {
        Self {
            backend: Arc::new(Backend { deps }),
            actor: actix_rt::Arbiter::current(),
            max_limit,
        }
    }

    /// `[api] max_limit`.
    pub fn max_limit(&self) -> usize {
        self.max_limit
    }

    /// Runs `work` on the api actor's arbiter and waits for its result.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, ApiFault>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Backend>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, ApiFault>> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let backend = Arc::clone(&self.backend);
        let sent = self.actor.spawn_fn(move || {
            actix_rt::spawn(async move {
                let _ = tx.send(work(backend).await);
            });
        });
        let gone = || ApiFault::unavailable("The api service is restarting; try again.");
        if !sent {
            return Err(gone());
        }
        rx.await.map_err(|_| gone())?
    }
}
