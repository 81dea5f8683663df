//! The start phases of an incarnation, in Nova's order — `init_host`, `pre_start_hook`, RPC
//! consumers on `topic`, `topic.<host>` and fanout, `post_start_hook` — each failing with a
//! typed [`StartError`]. Heartbeat and periodic tasks follow once all of them succeeded
//! (`child_lifecycle.rs`).

use std::sync::Arc;

use actix_rt::ArbiterHandle;
use tokio::sync::{oneshot, Semaphore};

use super::cell_requests::CellRequests;
use crate::config::Config;
use crate::metrics::HandlerMetrics;
use crate::rpc::{Dispatcher, EndpointInfo, HandlerError, RemoteFailure, RpcServer, ServerTarget};
use crate::rpc::{Transport, TransportError};
use crate::service::{CellCall, CellHandle, Hook, ServiceSpec};

/// A start phase that can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPhase {
    /// Nova `init_host`.
    InitHost,
    /// Nova `pre_start_hook`, before the RPC consumers exist.
    PreStartHook,
    /// Declaring and consuming the RPC queues.
    Consumers,
    /// Nova `post_start_hook`, after the consumers started.
    PostStartHook,
}

impl std::fmt::Display for StartPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InitHost => "init_host",
            Self::PreStartHook => "pre_start_hook",
            Self::Consumers => "RPC consumers",
            Self::PostStartHook => "post_start_hook",
        })
    }
}

/// Why an incarnation did not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    /// A hook answered with a failure, or panicked.
    #[error("{phase} failed: {}", failure.failure().message)]
    Hook {
        /// `InitHost`, `PreStartHook` or `PostStartHook`.
        phase: StartPhase,
        /// What the hook answered.
        failure: HandlerError,
    },
    /// The RPC queues could not be declared or consumed.
    #[error("starting RPC consumers failed: {0}")]
    Consumers(TransportError),
}

impl StartError {
    /// The phase that failed.
    pub fn phase(&self) -> StartPhase {
        match self {
            Self::Hook { phase, .. } => *phase,
            Self::Consumers(_) => StartPhase::Consumers,
        }
    }
}

/// What the start phases of one incarnation need.
pub(super) struct StartPlan {
    pub(super) cell: Arc<dyn CellHandle>,
    pub(super) spec: ServiceSpec,
    pub(super) config: Arc<Config>,
    pub(super) transport: Arc<dyn Transport>,
    pub(super) endpoints: Vec<EndpointInfo>,
    pub(super) limiter: Arc<Semaphore>,
    /// Instance name.
    pub(super) name: String,
    pub(super) metrics: HandlerMetrics,
}

/// Run one hook on the cell; its failure is the phase's.
async fn hook(cell: &Arc<dyn CellHandle>, phase: StartPhase, hook: Hook) -> Result<(), StartError> {
    cell.call(CellCall::Hook(hook))
        .await
        .map(drop)
        .map_err(|failure| StartError::Hook { phase, failure })
}

impl StartPlan {
    /// [`StartPlan::run`] on `arbiter`; a stopped arbiter fails the start.
    pub(super) async fn run_on(
        self,
        arbiter: ArbiterHandle,
    ) -> Result<Option<RpcServer>, StartError> {
        let (done, outcome) = oneshot::channel();
        let spawned = arbiter.spawn(async move {
            let _ = done.send(self.run().await);
        });
        let gone = || StartError::Hook {
            phase: StartPhase::InitHost,
            failure: HandlerError::Crashed(RemoteFailure::runtime_error(
                "the actor's runtime thread stopped before it started",
            )),
        };
        if !spawned {
            return Err(gone());
        }
        outcome.await.unwrap_or_else(|_| Err(gone()))
    }

    /// Run the phases in order; the RPC server when the service consumes a topic.
    pub(super) async fn run(self) -> Result<Option<RpcServer>, StartError> {
        hook(&self.cell, StartPhase::InitHost, Hook::InitHost).await?;
        hook(&self.cell, StartPhase::PreStartHook, Hook::PreStart).await?;
        let rpc = match &self.spec.topic {
            Some(topic) => {
                let target = ServerTarget {
                    exchange: self.config.default.control_exchange.clone(),
                    topic: topic.clone(),
                    alternate_topics: self.spec.alternate_topics.clone(),
                    server: self.spec.host.clone(),
                    actor: self.name.clone(),
                };
                let handler = Arc::new(CellRequests::new(Arc::clone(&self.cell), self.metrics));
                let server = RpcServer::start(
                    self.transport,
                    target,
                    Dispatcher::new(self.endpoints),
                    handler,
                    self.limiter,
                )
                .await
                .map_err(StartError::Consumers)?;
                Some(server)
            }
            None => None,
        };
        if let Err(error) = hook(&self.cell, StartPhase::PostStartHook, Hook::PostStart).await {
            if let Some(server) = &rpc {
                server.stop_consuming();
            }
            return Err(error);
        }
        Ok(rpc)
    }
}
