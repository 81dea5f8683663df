//! The supervision tree as data: what the supervisor answers [`GetSnapshot`] with, the state
//! report prints, the dashboard serves (`/api/v1/snapshot`; `docs/DASHBOARD.md` is the
//! contract) and the metrics mirror at each scrape. Its own wire type, apart from the
//! supervisor's internals (kameo's `console/wire.rs`), so its readers need not depend on the
//! supervisor: fields may be added, none renamed.
//!
//! [`GetSnapshot`]: crate::supervisor::GetSnapshot

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::rpc::transport::TransportStatus;

/// One actor instance's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    /// Start phases running.
    Starting,
    /// Serving.
    Running,
    /// Failed; waiting out the backoff before the next incarnation.
    Restarting,
    /// Failed more often than the restart intensity allows; not restarted.
    Isolated,
    /// Stopping (drain, cleanup).
    Stopping,
    /// Stopped by request, by a normal exit, or for good (temporary).
    Stopped,
}

impl std::fmt::Display for ActorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Isolated => "isolated",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
        };
        f.write_str(text)
    }
}

/// A whole process.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// novactor version.
    pub version: &'static str,
    /// Process id.
    pub pid: u32,
    /// `[DEFAULT] host`.
    pub host: String,
    /// When the snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// Seconds since the supervisor started.
    pub uptime_secs: f64,
    /// [`Snapshot::ready`], for readers of the JSON.
    pub ready: bool,
    /// A graceful shutdown was requested or is running.
    pub draining: bool,
    /// The restart policy in force.
    pub supervisor: SupervisorSettings,
    /// The broker connection's health.
    pub transport: TransportStatus,
    /// Every actor instance, in start order.
    pub actors: Vec<ActorSnapshot>,
}

impl Snapshot {
    /// The instance named `name` (`compute`, `conductor#1`).
    pub fn actor(&self, name: &str) -> Option<&ActorSnapshot> {
        self.actors.iter().find(|a| a.name == name)
    }

    /// True when every actor runs.
    pub fn all_running(&self) -> bool {
        self.actors.iter().all(|a| a.state == ActorState::Running)
    }

    /// The readiness rule: every actor runs (or was stopped by an operator, on purpose),
    /// the broker connection is up, and no drain is under way.
    pub fn ready(&self) -> bool {
        self.actors.iter().all(ActorSnapshot::serving_as_intended)
            && self.transport.connected()
            && !self.draining
    }
}

/// The supervisor's restart policy, as configured.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisorSettings {
    /// `restart_intensity`.
    pub restart_intensity: u32,
    /// `restart_period` in seconds.
    pub restart_period_secs: f64,
    /// `escalate`.
    pub escalate: bool,
    /// Actors placed on each runtime thread (`runtime_threads` entries).
    pub thread_load: Vec<usize>,
}

/// One handler running now.
#[derive(Debug, Clone, Serialize)]
pub struct InFlightSnapshot {
    /// RPC method, `periodic <task>` or `hook <name>`.
    pub method: String,
    /// Seconds since it started.
    pub elapsed_secs: f64,
    /// The caller's request id.
    pub request_id: Option<String>,
}

/// One actor instance.
#[derive(Debug, Clone, Serialize)]
pub struct ActorSnapshot {
    /// Instance name (`conductor`, `conductor#1`).
    pub name: String,
    /// Actor kind (`conductor`).
    pub actor: String,
    /// Service binary.
    pub binary: String,
    /// Host it serves.
    pub host: String,
    /// Restart policy: `permanent`, `transient` or `temporary`.
    pub restart_type: String,
    /// Current state.
    pub state: ActorState,
    /// The runtime thread its current incarnation lives on (none while not running).
    pub thread: Option<usize>,
    /// 1 for the first start, +1 per restart.
    pub incarnation: u64,
    /// Seconds since the current incarnation became ready.
    pub uptime_secs: Option<f64>,
    /// Restarts since the process started.
    pub restarts: u64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// Delay before the pending restart, while restarting.
    pub backoff_secs: Option<f64>,
    /// Messages waiting for the actor.
    pub mailbox_depth: i64,
    /// Handlers running.
    pub in_flight: i64,
    /// What they are, oldest first.
    pub in_flight_handlers: Vec<InFlightSnapshot>,
    /// Work the current incarnation finished: RPC messages, periodic runs and hooks.
    pub handled: u64,
    /// RPC messages handled over the process's life (every incarnation).
    pub messages_total: u64,
    /// Of those, handlers that answered with a failure their endpoint does not declare
    /// expected, or panicked.
    pub errors_total: u64,
    /// Of those, handlers that answered with a failure their endpoint declares expected
    /// (oslo `ExpectedException`, Nova's `@messaging.expected_exceptions`): not errors.
    pub expected_failures_total: u64,
    /// Seconds spent handling them (mean latency = Δseconds / Δmessages).
    pub handler_seconds_total: f64,
    /// Stopped by an operator (not a failure); stays stopped until started.
    pub stopped_by_operator: bool,
    /// RPC queues consumed.
    pub rpc_queues: Vec<String>,
    /// Methods delivered at least once (acked after handling); all others at most once.
    pub at_least_once_methods: Vec<String>,
    /// Periodic tasks.
    pub periodic_tasks: Vec<PeriodicTaskSnapshot>,
    /// Service heartbeat, for actors that report state.
    pub heartbeat: Option<HeartbeatSnapshot>,
}

impl ActorSnapshot {
    /// Running, or stopped on an operator's word.
    pub fn serving_as_intended(&self) -> bool {
        self.state == ActorState::Running
            || (self.state == ActorState::Stopped && self.stopped_by_operator)
    }
}

/// One periodic task's timer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeriodicTaskSnapshot {
    /// Task name.
    pub name: String,
    /// Interval in force; `None` when disabled or paused.
    pub spacing_secs: Option<f64>,
    /// Paused by an operator.
    pub paused: bool,
    /// The spacing was set by an operator, not by the configuration.
    pub spacing_overridden: bool,
    /// Completed runs.
    pub runs: u64,
    /// Runs that returned an error or panicked.
    pub failures: u64,
    /// Ticks skipped because the previous run had not finished.
    pub skipped: u64,
    /// A run is in progress.
    pub running: bool,
    /// Start of the last completed run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Its duration.
    pub last_duration_secs: Option<f64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the timer fires next.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// A service heartbeat's health.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HeartbeatSnapshot {
    /// Successful reports.
    pub reports: u64,
    /// Failed reports.
    pub failures: u64,
    /// Last successful report.
    pub last_report_at: Option<DateTime<Utc>>,
    /// The last report failed and none succeeded since.
    pub in_outage: bool,
}
