//! One novactor process: a supervisor hosting the chosen services over one transport.
//! Tests start nodes directly; `main.rs` adds signals on top.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};

use crate::config::Config;
use crate::rpc::{RpcClient, Target, TransportError};
use crate::service::ServiceDefinition;
use crate::servicegroup::{MemoryServiceGroup, ServiceGroup};
use crate::supervisor::{
    ActorCommand, ActorSnapshot, ControlActor, ControlError, ControlTask, GetSnapshot,
    PeriodicTaskSnapshot, Reload, RuntimeEnv, Shutdown, ShutdownReport, Snapshot, StartAll,
    Supervisor, TaskCommand,
};

/// Why a node could not start or answer.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The transport URL could not be served.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The supervisor stopped.
    #[error("the supervisor is gone")]
    SupervisorGone,
}

/// A running process-worth of actors.
#[derive(Clone)]
pub struct Node {
    supervisor: Addr<Supervisor>,
    env: Arc<RuntimeEnv>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Start `services` on the transport `config` names, with in-process service records.
    /// Returns once every actor is running or has failed its first start.
    pub async fn start(
        config: Arc<Config>,
        services: Vec<Arc<ServiceDefinition>>,
    ) -> Result<Self, NodeError> {
        let env = Self::environment(config)?;
        Self::start_with(env, services).await
    }

    /// The environment `config` describes: its transport and in-process service records.
    /// Must run inside the actix system (a RabbitMQ transport connects in the background).
    pub fn environment(config: Arc<Config>) -> Result<Arc<RuntimeEnv>, NodeError> {
        Self::environment_with(config, Arc::new(MemoryServiceGroup::default()))
    }

    /// The environment `config` describes, with service records kept by `servicegroup`.
    pub fn environment_with(
        config: Arc<Config>,
        servicegroup: Arc<dyn ServiceGroup>,
    ) -> Result<Arc<RuntimeEnv>, NodeError> {
        let (transport, warnings) = crate::rpc::transport::from_url(
            config.default.transport_url.as_ref().map(|u| u.expose()),
            &config.oslo_messaging_rabbit,
        )?;
        for warning in warnings {
            tracing::warn!("transport_url: {warning}");
        }
        Ok(RuntimeEnv::new(config, transport, servicegroup))
    }

    /// Start `services` in a prepared environment (tests share a transport between nodes).
    /// Returns once every actor is running or has failed its first start.
    pub async fn start_with(
        env: Arc<RuntimeEnv>,
        services: Vec<Arc<ServiceDefinition>>,
    ) -> Result<Self, NodeError> {
        let supervisor = Supervisor::new(Arc::clone(&env), services).start();
        supervisor
            .send(StartAll)
            .await
            .map_err(|_| NodeError::SupervisorGone)?;
        Ok(Self { supervisor, env })
    }

    /// Like [`Node::start_with`] but returns at once while the actors start in the
    /// background, so a process answers signals even while an actor's start waits
    /// (e.g. a compute waiting for its conductor).
    pub fn spawn_with(env: Arc<RuntimeEnv>, services: Vec<Arc<ServiceDefinition>>) -> Self {
        let supervisor = Supervisor::new(Arc::clone(&env), services).start();
        supervisor.do_send(StartAll);
        Self { supervisor, env }
    }

    /// What the node's actors share.
    pub fn env(&self) -> &Arc<RuntimeEnv> {
        &self.env
    }

    /// An RPC client for `target` with `rpc_response_timeout`, on this node's transport.
    pub fn client(&self, target: Target) -> RpcClient {
        let timeout = self.env.config().default.rpc_response_timeout;
        self.env
            .rpc
            .client(target, timeout.max(Duration::from_millis(1)))
    }

    /// The supervision tree now.
    pub async fn snapshot(&self) -> Result<Snapshot, NodeError> {
        self.supervisor
            .send(GetSnapshot)
            .await
            .map_err(|_| NodeError::SupervisorGone)
    }

    /// The state report text (SIGUSR2).
    pub async fn report(&self) -> Result<String, NodeError> {
        let snapshot = self.snapshot().await?;
        Ok(crate::report::render(&snapshot, &self.env.config()))
    }

    /// An operator's command to the actor instance `actor`; returns the instance as the
    /// command left it (a restart or stop continues in the background).
    pub async fn control_actor(
        &self,
        actor: &str,
        command: ActorCommand,
    ) -> Result<Result<ActorSnapshot, ControlError>, NodeError> {
        self.supervisor
            .send(ControlActor {
                actor: actor.to_owned(),
                command,
            })
            .await
            .map_err(|_| NodeError::SupervisorGone)
    }

    /// An operator's command to periodic task `task` of `actor`.
    pub async fn control_task(
        &self,
        actor: &str,
        task: &str,
        command: TaskCommand,
    ) -> Result<Result<PeriodicTaskSnapshot, ControlError>, NodeError> {
        self.supervisor
            .send(ControlTask {
                actor: actor.to_owned(),
                task: task.to_owned(),
                command,
            })
            .await
            .map_err(|_| NodeError::SupervisorGone)
    }

    /// Ask the process to shut down gracefully, as SIGTERM does (whoever runs the node,
    /// [`Node::run_until`] or the signal loop, carries it out).
    pub fn request_drain(&self) {
        if !self.env.drain.is_cancelled() {
            tracing::info!("drain requested: graceful shutdown");
        }
        self.env.drain.cancel();
    }

    /// The Prometheus text exposition of the process.
    pub async fn metrics(&self) -> Result<String, NodeError> {
        let snapshot = self.snapshot().await?;
        Ok(self.env.metrics.render(&snapshot))
    }

    /// Apply a re-read configuration; returns the periodic re-spacings made.
    pub async fn reload(&self, config: Config) -> Result<Vec<String>, NodeError> {
        self.supervisor
            .send(Reload(Arc::new(config)))
            .await
            .map_err(|_| NodeError::SupervisorGone)
    }

    /// Graceful stop within `graceful_shutdown_timeout`.
    pub async fn shutdown(&self) -> Result<ShutdownReport, NodeError> {
        let timeout = self.env.config().default.graceful_shutdown_timeout;
        self.supervisor
            .send(Shutdown { timeout })
            .await
            .map_err(|_| NodeError::SupervisorGone)
    }

    /// Run until `stop` resolves or an actor escalates, then shut down gracefully.
    /// Returns the process exit code: 0 after a clean drain, 1 after an escalation or
    /// a drain that ran out of time.
    pub async fn run_until(&self, stop: impl std::future::Future<Output = ()>) -> i32 {
        let escalated = tokio::select! {
            _ = stop => false,
            _ = self.env.drain.cancelled() => false,
            _ = self.env.escalation.cancelled() => true,
        };
        match self.shutdown().await {
            Ok(report) if report.unfinished.is_empty() && !escalated => 0,
            Ok(_) | Err(_) => 1,
        }
    }
}
