//! The supervision tree as data: what the state report prints and what a dashboard will
//! serve. Its own wire type, apart from the supervisor's internals.

use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// When the snapshot was taken.
    pub taken_at: DateTime<Utc>,
    /// Seconds since the supervisor started.
    pub uptime_secs: f64,
    /// The broker connection's health.
    pub transport: crate::rpc::transport::TransportStatus,
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

    /// The readiness rule: every actor runs and the broker connection is up.
    pub fn ready(&self) -> bool {
        self.all_running() && self.transport.connected()
    }
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
    /// Messages handled by the current incarnation.
    pub handled: u64,
    /// RPC queues consumed.
    pub rpc_queues: Vec<String>,
    /// Methods delivered at least once (acked after handling); all others at most once.
    pub at_least_once_methods: Vec<String>,
    /// Periodic tasks.
    pub periodic_tasks: Vec<PeriodicTaskSnapshot>,
    /// Service heartbeat, for actors that report state.
    pub heartbeat: Option<HeartbeatSnapshot>,
}

/// One periodic task's timer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PeriodicTaskSnapshot {
    /// Task name.
    pub name: String,
    /// Interval; `None` when disabled.
    pub spacing_secs: Option<f64>,
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
