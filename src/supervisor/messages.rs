//! The process-level requests the supervisor takes: start, snapshot, reload, shutdown.
//! (Operators' commands are `operator_control.rs`'s; children's events, the service
//! module's.)

use std::sync::Arc;
use std::time::Duration;

use actix::Message;

use crate::config::Config;
use crate::snapshot::Snapshot;

/// Start every child in order; resolves when each is running or has failed its start.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct StartAll;

/// Start one child (by index) and resolve when its start phases ended.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct StartChild(pub(super) usize);

/// Stop every child in reverse order, draining in-flight work until `timeout`
/// (`None`: wait as long as it takes).
#[derive(Message, Debug)]
#[rtype(result = "ShutdownReport")]
pub struct Shutdown {
    /// `graceful_shutdown_timeout`.
    pub timeout: Option<Duration>,
}

/// The outcome of a shutdown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShutdownReport {
    /// Actors whose in-flight handlers did not finish before the deadline.
    pub unfinished: Vec<String>,
}

/// Apply a re-read configuration: re-space periodic tasks, call every actor's `reset`.
#[derive(Message, Debug)]
#[rtype(result = "Vec<String>")]
pub struct Reload(pub Arc<Config>);

/// Take a [`Snapshot`].
#[derive(Message, Debug)]
#[rtype(result = "Snapshot")]
pub struct GetSnapshot;
