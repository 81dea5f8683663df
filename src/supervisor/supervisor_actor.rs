//! [`Supervisor`]: the actor, its children and its settings. What it does on each message
//! is in the files named for the concern: `child_lifecycle.rs` (start, failure, restart),
//! `drain.rs` (shutdown), `reload.rs` (SIGHUP), `operator_control.rs` (operators' commands),
//! `snapshot_capture.rs` (the tree as data).

use std::sync::Arc;

use actix::{Actor, Context, Handler, MessageResult};
use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use super::arbiter_pool::ArbiterPool;
use super::child::Child;
use super::messages::GetSnapshot;
use super::restart_policy::RestartLimits;
use super::runtime_env::RuntimeEnv;
use crate::service::ServiceDefinition;

/// The supervisor actor; see the module doc.
pub struct Supervisor {
    pub(super) env: Arc<RuntimeEnv>,
    pub(super) children: Vec<Child>,
    pub(super) started: Instant,
    pub(super) shutting_down: bool,
    /// Incarnations an operator's restart or stop is draining.
    pub(super) retiring: TaskTracker,
    /// The runtime threads the incarnations are placed on.
    pub(super) pool: ArbiterPool,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.children.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Supervisor")
            .field("children", &names)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor for `services`, each expanded into its `instances`; must be created
    /// inside an actix system (its runtime threads are arbiters of it).
    pub fn new(env: Arc<RuntimeEnv>, services: Vec<Arc<ServiceDefinition>>) -> Self {
        let pool = env.config().default.executor_thread_pool_size.max(1);
        let children = services
            .iter()
            .flat_map(|factory| {
                (0..factory.spec().instances.max(1))
                    .map(move |instance| Child::new(factory, instance, pool))
            })
            .collect();
        let pool = ArbiterPool::new(env.config().supervisor.runtime_threads);
        Self {
            env,
            children,
            started: Instant::now(),
            shutting_down: false,
            retiring: TaskTracker::new(),
            pool,
        }
    }

    /// `[supervisor]`'s restart limits as configured now.
    pub(super) fn limits(&self) -> RestartLimits {
        let s = &self.env.config().supervisor;
        RestartLimits {
            intensity: s.restart_intensity,
            period: s.restart_period,
            backoff_initial: s.restart_backoff_initial,
            backoff_max: s.restart_backoff_max,
            stable_period: s.restart_stable_period,
        }
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

impl Handler<GetSnapshot> for Supervisor {
    type Result = MessageResult<GetSnapshot>;

    fn handle(&mut self, _: GetSnapshot, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.snapshot())
    }
}
