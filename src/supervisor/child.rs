//! The supervisor's record of one actor instance ([`Child`]) and of its running
//! incarnation ([`Incarnation`]). Counters, controls and history live on the child and
//! outlive incarnations; the cell, RPC server, timers and heartbeat live on the incarnation
//! and end with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::heartbeat::{Heartbeat, HeartbeatStatus};
use super::periodic_timer::{PeriodicStatus, PeriodicTimer, TaskControls};
use super::restart_policy::RestartHistory;
use super::stop_reason::StopReason;
use crate::rpc::RpcServer;
use crate::service::{instance_name, CellHandle, ServiceDefinition};
use crate::servicegroup::ServiceGroup;
use crate::snapshot::ActorState;

/// One running incarnation.
pub(super) struct Incarnation {
    pub(super) cell: Arc<dyn CellHandle>,
    /// The runtime thread (the pool's index) the cell lives on.
    pub(super) thread: usize,
    /// Where its heartbeats go.
    pub(super) servicegroup: Arc<dyn ServiceGroup>,
    pub(super) rpc: Option<RpcServer>,
    pub(super) timers: Vec<PeriodicTimer>,
    pub(super) heartbeat: Option<Heartbeat>,
}

/// One actor instance, across its incarnations.
pub(super) struct Child {
    pub(super) name: String,
    /// Stopped on an operator's word; stays stopped until started.
    pub(super) operator_stopped: bool,
    /// The operator's controls of each periodic task (index as in `factory.periodic_tasks`).
    pub(super) task_controls: Vec<TaskControls>,
    pub(super) instance: usize,
    pub(super) factory: Arc<ServiceDefinition>,
    pub(super) state: ActorState,
    pub(super) incarnation: u64,
    pub(super) running: Option<Incarnation>,
    /// A panic arrived while the start phases ran.
    pub(super) failed_while_starting: Option<StopReason>,
    pub(super) history: RestartHistory,
    pub(super) restarts: u64,
    /// Why the last incarnation ended (an operator's stop excepted).
    pub(super) last_error: Option<StopReason>,
    pub(super) backoff: Option<Duration>,
    pub(super) ready_at: Option<Instant>,
    pub(super) periodic: Vec<Arc<PeriodicStatus>>,
    pub(super) heartbeat: Arc<HeartbeatStatus>,
    pub(super) limiter: Arc<Semaphore>,
}

impl Child {
    /// Instance `instance` of `factory`, stopped, never started; its handlers share `pool`
    /// permits.
    pub(super) fn new(factory: &Arc<ServiceDefinition>, instance: usize, pool: usize) -> Self {
        let spec = factory.spec();
        Self {
            name: instance_name(&spec.name, instance, spec.instances),
            operator_stopped: false,
            task_controls: vec![TaskControls::default(); factory.periodic_tasks.len()],
            instance,
            factory: Arc::clone(factory),
            state: ActorState::Stopped,
            incarnation: 0,
            running: None,
            failed_while_starting: None,
            history: RestartHistory::default(),
            restarts: 0,
            last_error: None,
            backoff: None,
            ready_at: None,
            periodic: factory
                .periodic_tasks
                .iter()
                .map(|t| PeriodicStatus::new(t.name))
                .collect(),
            heartbeat: Arc::default(),
            limiter: Arc::new(Semaphore::new(pool)),
        }
    }
}
