//! The supervisor: one per process, replacing oslo.service's ProcessLauncher forking.
//!
//! Guarantees, in plain sentences:
//! - **Order.** Services (runs of actors of one binary) start one after another in the
//!   order given; the actors of one service start together, up to 16 at a time (start
//!   phases in Nova's order: `init_host` → `pre_start_hook` → RPC consumers on `topic`,
//!   `topic.<host>` and fanout → `post_start_hook` → heartbeat → periodic tasks); actors
//!   stop in reverse (periodic tasks and heartbeat, stop consuming, drain in-flight
//!   handlers, `cleanup_host`).
//! - **Failure.** A panic anywhere in a manager (handler, hook, async part), a failed start
//!   phase ([`StartError`]), or an [`ExitReason::Error`] ends the incarnation; the
//!   [`StopReason`] says which, and its text is the instance's `last_error`. A call whose
//!   handler panicked gets a failure reply at once. Queued messages of the dead incarnation
//!   get failure replies; messages still in the broker wait for the next incarnation.
//! - **Restart.** Per the table below, after an exponential backoff with jitter; more than
//!   `restart_intensity` restarts within `restart_period` isolates the actor (stopped,
//!   state `isolated`, readiness false) while the process and the other actors go on — or,
//!   with `escalate`, ends the process with exit code 1. A run of `restart_stable_period`
//!   without failure forgets earlier failures.
//! - **Address.** An actor's address is its RPC target; the queues stay declared across
//!   restarts and the new incarnation consumes them.
//! - **Drain.** Shutdown stops consumption, lets running handlers finish until the
//!   `graceful_shutdown_timeout` deadline, and reports what did not finish.
//! - **Threads.** Each incarnation lives on one of `[supervisor] runtime_threads` arbiters
//!   (the fewest-loaded one): one message at a time touches its state, in mailbox order,
//!   while actors on other arbiters run in parallel. The supervisor itself, the transport's
//!   consumers and the dashboard stay on the main thread.
//!
//! What follows the end of an incarnation, by [`RestartType`] and [`StopReason`] (one
//! exhaustive match, [`StopReason::after_stop`]):
//!
//! | restart type | `Panicked` | `Exited` (error) | `StartFailed` | `Normal` exit | `Operator` stop |
//! |---|---|---|---|---|---|
//! | `permanent` | restart | restart | restart | restart | stays stopped |
//! | `transient` | restart | restart | restart | stays stopped | stays stopped |
//! | `temporary` | stays stopped | stays stopped | stays stopped | stays stopped | stays stopped |
//!
//! "restart" waits out the backoff and counts against the restart intensity; an operator's
//! restart command does neither.
//!
//! | file | its one job |
//! |---|---|
//! | `supervisor_actor.rs` | `Supervisor`: the actor, its children, its limits |
//! | `runtime_env.rs` | `RuntimeEnv`: what every actor of the process shares |
//! | `messages.rs` | the process-level requests: start, snapshot, reload, shutdown |
//! | `child.rs` | `Child`, `Incarnation`: one instance across incarnations, and the one running |
//! | `arbiter_pool.rs` | `ArbiterPool`: the runtime threads incarnations are placed on, balanced |
//! | `child_lifecycle.rs` | launch, ready, failure, restart; children's panics and exits |
//! | `start_phases.rs` | the start phases in Nova's order; `StartPhase`, `StartError` |
//! | `stop_reason.rs` | `StopReason` and the restart decision (the table above) |
//! | `restart_policy.rs` | restart intensity and backoff |
//! | `cell_requests.rs` | the RPC → cell bridge, counting each request |
//! | `heartbeat.rs` | the service heartbeat |
//! | `periodic_timer.rs` | one timer per periodic task, operators' controls |
//! | `drain.rs` | graceful stop: of the process, of one incarnation |
//! | `reload.rs` | SIGHUP: re-spaced periodic tasks, `reset` hooks |
//! | `operator_control.rs` | operators' commands to actors and periodic tasks |
//! | `snapshot_capture.rs` | the tree as the wire [`Snapshot`] |
//!
//! [`ExitReason::Error`]: crate::service::ExitReason::Error
//! [`RestartType`]: crate::service::RestartType

mod arbiter_pool;
mod cell_requests;
mod child;
mod child_lifecycle;
mod drain;
mod heartbeat;
mod messages;
mod operator_control;
mod periodic_timer;
mod reload;
mod restart_policy;
mod runtime_env;
mod snapshot_capture;
mod start_phases;
mod stop_reason;
mod supervisor_actor;

pub use crate::snapshot::{
    ActorSnapshot, ActorState, HeartbeatSnapshot, InFlightSnapshot, PeriodicTaskSnapshot, Snapshot,
    SupervisorSettings,
};
pub use messages::{GetSnapshot, Reload, Shutdown, ShutdownReport, StartAll};
pub use operator_control::{ActorCommand, ControlActor, ControlError, ControlTask, TaskCommand};
pub use restart_policy::{backoff, RestartDecision, RestartHistory, RestartLimits};
pub use runtime_env::RuntimeEnv;
pub use start_phases::{StartError, StartPhase};
pub use stop_reason::{AfterStop, StopReason};
pub use supervisor_actor::Supervisor;
