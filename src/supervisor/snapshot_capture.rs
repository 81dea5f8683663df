//! The supervision tree as data: the supervisor's children turned into the wire
//! [`Snapshot`] (gauges of the running incarnation, lifetime totals from the metrics,
//! counters kept across incarnations).

use std::sync::atomic::Ordering;

use tokio::time::Instant;

use super::supervisor_actor::Supervisor;
use crate::service::CellGauges;
use crate::snapshot::{ActorSnapshot, ActorState, InFlightSnapshot, Snapshot, SupervisorSettings};

impl Supervisor {
    /// The tree now.
    pub(super) fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let config = self.env.config();
        let metrics = &self.env.metrics;
        let actors = self
            .children
            .iter()
            .map(|child| {
                let spec = child.factory.spec();
                let gauges = child.running.as_ref().map(|r| r.cell.gauges());
                let load = |f: fn(&CellGauges) -> i64| gauges.as_deref().map_or(0, f);
                let totals = metrics.handler_totals(&child.name);
                let in_flight_handlers = gauges
                    .as_deref()
                    .map(|g| g.running())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|work| InFlightSnapshot {
                        method: work.method,
                        elapsed_secs: work.started.elapsed().as_secs_f64(),
                        request_id: work.request_id,
                    })
                    .collect();
                ActorSnapshot {
                    name: child.name.clone(),
                    actor: spec.name.clone(),
                    binary: spec.binary.clone(),
                    host: spec.host.clone(),
                    restart_type: format!("{:?}", spec.restart).to_lowercase(),
                    state: child.state,
                    thread: child.running.as_ref().map(|r| r.thread),
                    incarnation: child.incarnation,
                    uptime_secs: (child.state == ActorState::Running)
                        .then(|| {
                            child
                                .ready_at
                                .map(|at| now.duration_since(at).as_secs_f64())
                        })
                        .flatten(),
                    restarts: child.restarts,
                    last_error: child.last_error.as_ref().map(ToString::to_string),
                    backoff_secs: (child.state == ActorState::Restarting)
                        .then(|| child.backoff.map(|d| d.as_secs_f64()))
                        .flatten(),
                    mailbox_depth: load(|g| g.queued.load(Ordering::Relaxed).max(0)),
                    in_flight: load(|g| g.in_flight.load(Ordering::Relaxed).max(0)),
                    in_flight_handlers,
                    handled: gauges
                        .as_deref()
                        .map_or(0, |g| g.handled.load(Ordering::Relaxed)),
                    messages_total: totals.messages,
                    errors_total: totals.errors,
                    expected_failures_total: totals.expected_failures,
                    handler_seconds_total: totals.seconds,
                    stopped_by_operator: child.state == ActorState::Stopped
                        && child.operator_stopped,
                    rpc_queues: child
                        .running
                        .as_ref()
                        .and_then(|r| r.rpc.as_ref())
                        .map(|s| s.queues().to_vec())
                        .unwrap_or_default(),
                    at_least_once_methods: child
                        .factory
                        .endpoints
                        .iter()
                        .flat_map(|e| e.ack_after_handling.iter().cloned())
                        .collect(),
                    periodic_tasks: child.periodic.iter().map(|p| p.snapshot()).collect(),
                    heartbeat: spec.report_interval.map(|_| child.heartbeat.snapshot()),
                }
            })
            .collect();
        let mut snapshot = Snapshot {
            version: env!("CARGO_PKG_VERSION"),
            pid: std::process::id(),
            host: config.default.host.clone(),
            taken_at: chrono::Utc::now(),
            uptime_secs: now.duration_since(self.started).as_secs_f64(),
            ready: false,
            draining: self.shutting_down || self.env.drain.is_cancelled(),
            supervisor: SupervisorSettings {
                restart_intensity: config.supervisor.restart_intensity,
                restart_period_secs: config.supervisor.restart_period.as_secs_f64(),
                escalate: config.supervisor.escalate,
                thread_load: self.pool.load(),
            },
            transport: self.env.transport.status(),
            actors,
        };
        snapshot.ready = snapshot.ready();
        snapshot
    }
}
