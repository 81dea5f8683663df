//! Prometheus metrics of one process (`/metrics`). Each [`RuntimeEnv`] owns its own
//! registry, so several nodes in one test process never mix their series.
//!
//! Two kinds of series:
//! - **observed live** where the work happens: RPC handler count, latency, errors and
//!   expected failures (the supervisor's request bridge), periodic-task durations (the
//!   timer), RPC client calls, timeouts, failures, expected failures and latency (the
//!   client, through [`ClientObserver`]);
//! - **mirrored from the supervision snapshot** at scrape time: mailbox depth, in-flight,
//!   actor state, restarts, periodic runs/failures/skips, heartbeats and the broker link.
//!   The supervisor's tallies are monotonic for the process's life, so the mirrored
//!   counters are real counters: each scrape advances them by what the tally gained.
//!
//! [`RuntimeEnv`]: crate::supervisor::RuntimeEnv

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::rpc::transport::LinkState;
use crate::rpc::{ClientObserver, ClientOutcome, RequestKind};
use crate::snapshot::{ActorState, Snapshot};

/// Buckets for handler and call latencies: 100 µs … 60 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Buckets for periodic-task runs, coarser: a simulated cloud has thousands of tasks.
const PERIODIC_BUCKETS: &[f64] = &[0.001, 0.01, 0.1, 1.0, 10.0, 60.0];

const ACTOR_STATES: [ActorState; 6] = [
    ActorState::Starting,
    ActorState::Running,
    ActorState::Restarting,
    ActorState::Isolated,
    ActorState::Stopping,
    ActorState::Stopped,
];

/// Every series of the process.
#[derive(Debug)]
pub struct RuntimeMetrics {
    registry: Registry,
    handled: IntCounterVec,
    handler_errors: IntCounterVec,
    handler_expected: IntCounterVec,
    handler_seconds: HistogramVec,
    mailbox_depth: IntGaugeVec,
    in_flight: IntGaugeVec,
    actor_state: IntGaugeVec,
    restarts: IntCounterVec,
    periodic_runs: IntCounterVec,
    periodic_failures: IntCounterVec,
    periodic_skips: IntCounterVec,
    periodic_seconds: HistogramVec,
    heartbeat_reports: IntCounterVec,
    heartbeat_failures: IntCounterVec,
    client_calls: IntCounterVec,
    client_timeouts: IntCounterVec,
    client_failures: IntCounterVec,
    client_expected: IntCounterVec,
    client_call_seconds: HistogramVec,
    broker_connected: IntGauge,
    broker_reconnects: IntCounter,
    broker_losses: IntCounter,
    broker_heartbeats_missed: IntCounter,
}

/// One actor instance's handler series, resolved once so the per-message path does no
/// label lookup.
#[derive(Debug, Clone)]
pub struct HandlerMetrics {
    handled: IntCounter,
    seconds: Histogram,
    expected: IntCounter,
    failed: IntCounter,
    crashed: IntCounter,
}

impl HandlerMetrics {
    /// One handled RPC message.
    pub fn observe(&self, elapsed: Duration, outcome: HandlerOutcome) {
        self.handled.inc();
        self.seconds.observe(elapsed.as_secs_f64());
        match outcome {
            HandlerOutcome::Ok => {}
            HandlerOutcome::Expected => self.expected.inc(),
            HandlerOutcome::Failed => self.failed.inc(),
            HandlerOutcome::Crashed => self.crashed.inc(),
        }
    }
}

/// Lifetime totals of one actor instance's RPC handlers, for the snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HandlerTotals {
    /// Messages handled, any outcome.
    pub messages: u64,
    /// Of those, unexpected failures and crashes.
    pub errors: u64,
    /// Of those, failures the endpoint declared expected.
    pub expected_failures: u64,
    /// Seconds spent handling them.
    pub seconds: f64,
}

/// How an RPC handler ended, for the error and expected-failure counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerOutcome {
    /// Returned a result.
    Ok,
    /// Returned a failure its endpoint declared expected (sent to the caller as a remote
    /// exception; not an error).
    Expected,
    /// Returned a failure not declared expected (sent to the caller as a remote exception).
    Failed,
    /// Panicked or died with its actor.
    Crashed,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name} is well-formed: {e}"));
    register(registry, metric)
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name} is well-formed: {e}"));
    register(registry, metric)
}

fn histogram_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    let metric = HistogramVec::new(opts, labels)
        .unwrap_or_else(|e| panic!("metric {name} is well-formed: {e}"));
    register(registry, metric)
}

/// Registration only fails on a duplicate name, which is a programming error here.
fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .unwrap_or_else(|e| panic!("metric registered once: {e}"));
    metric
}

/// Raise `counter` to `total` (a monotonic tally kept elsewhere).
fn advance(counter: &IntCounter, total: u64) {
    let current = counter.get();
    if total > current {
        counter.inc_by(total - current);
    }
}

impl Default for RuntimeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeMetrics {
    /// A registry with every series (and the process's own: RSS, fds, CPU).
    pub fn new() -> Self {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        {
            let process = prometheus::process_collector::ProcessCollector::for_self();
            if let Err(error) = registry.register(Box::new(process)) {
                tracing::warn!(%error, "process metrics unavailable");
            }
        }
        let r = &registry;
        let broker_connected = register(
            r,
            IntGauge::new(
                "novactor_broker_connected",
                "1 while the broker connection is up, 0 otherwise.",
            )
            .unwrap_or_else(|e| panic!("well-formed: {e}")),
        );
        let plain_counter = |name: &str, help: &str| {
            register(
                r,
                IntCounter::new(name, help).unwrap_or_else(|e| panic!("well-formed: {e}")),
            )
        };
        Self {
            handled: counter_vec(
                r,
                "novactor_actor_messages_handled_total",
                "RPC messages an actor instance handled, any outcome.",
                &["actor"],
            ),
            handler_errors: counter_vec(
                r,
                "novactor_actor_handler_errors_total",
                "RPC handlers that returned a failure not declared expected (kind=failed) or panicked (kind=crashed).",
                &["actor", "kind"],
            ),
            handler_expected: counter_vec(
                r,
                "novactor_actor_handler_expected_failures_total",
                "RPC handlers that returned a failure their endpoint declares expected (oslo ExpectedException); not errors.",
                &["actor"],
            ),
            handler_seconds: histogram_vec(
                r,
                "novactor_actor_handler_duration_seconds",
                "Time from a message reaching an actor's mailbox to its handler's end.",
                &["actor"],
                LATENCY_BUCKETS,
            ),
            mailbox_depth: gauge_vec(
                r,
                "novactor_actor_mailbox_depth",
                "Messages waiting in an actor instance's mailbox.",
                &["actor"],
            ),
            in_flight: gauge_vec(
                r,
                "novactor_actor_in_flight",
                "Handlers of an actor instance running now.",
                &["actor"],
            ),
            actor_state: gauge_vec(
                r,
                "novactor_actor_state",
                "1 for the state an actor instance is in, 0 for the others.",
                &["actor", "state"],
            ),
            restarts: counter_vec(
                r,
                "novactor_actor_restarts_total",
                "Restarts of an actor instance (after failures and by operators).",
                &["actor"],
            ),
            periodic_runs: counter_vec(
                r,
                "novactor_periodic_task_runs_total",
                "Completed runs of a periodic task.",
                &["actor", "task"],
            ),
            periodic_failures: counter_vec(
                r,
                "novactor_periodic_task_failures_total",
                "Runs of a periodic task that failed or panicked.",
                &["actor", "task"],
            ),
            periodic_skips: counter_vec(
                r,
                "novactor_periodic_task_skipped_total",
                "Ticks skipped because the previous run had not finished.",
                &["actor", "task"],
            ),
            periodic_seconds: histogram_vec(
                r,
                "novactor_periodic_task_duration_seconds",
                "Duration of periodic task runs.",
                &["actor", "task"],
                PERIODIC_BUCKETS,
            ),
            heartbeat_reports: counter_vec(
                r,
                "novactor_service_heartbeats_total",
                "Successful service heartbeats (report_state).",
                &["actor"],
            ),
            heartbeat_failures: counter_vec(
                r,
                "novactor_service_heartbeat_failures_total",
                "Failed service heartbeats.",
                &["actor"],
            ),
            client_calls: counter_vec(
                r,
                "novactor_rpc_client_requests_total",
                "RPC requests sent, by target topic and kind (call, cast, fanout).",
                &["topic", "kind"],
            ),
            client_timeouts: counter_vec(
                r,
                "novactor_rpc_client_timeouts_total",
                "RPC calls that ended in MessagingTimeout, by target topic.",
                &["topic"],
            ),
            client_failures: counter_vec(
                r,
                "novactor_rpc_client_failures_total",
                "RPC requests that ended in a remote failure the caller did not declare expected, or a transport error, by target topic.",
                &["topic"],
            ),
            client_expected: counter_vec(
                r,
                "novactor_rpc_client_expected_failures_total",
                "RPC requests that ended in a remote failure the caller declared expected, by target topic; not errors.",
                &["topic"],
            ),
            client_call_seconds: histogram_vec(
                r,
                "novactor_rpc_client_call_duration_seconds",
                "RPC call round trips, by target topic.",
                &["topic"],
                LATENCY_BUCKETS,
            ),
            broker_connected,
            broker_reconnects: plain_counter(
                "novactor_broker_reconnects_total",
                "Successful reconnections to the broker.",
            ),
            broker_losses: plain_counter(
                "novactor_broker_connection_losses_total",
                "Broker connection losses.",
            ),
            broker_heartbeats_missed: plain_counter(
                "novactor_broker_heartbeats_missed_total",
                "Connection losses caused by missed AMQP heartbeats.",
            ),
            registry,
        }
    }

    /// The handler series of `actor`.
    pub fn handler(&self, actor: &str) -> HandlerMetrics {
        HandlerMetrics {
            handled: self.handled.with_label_values(&[actor]),
            seconds: self.handler_seconds.with_label_values(&[actor]),
            expected: self.handler_expected.with_label_values(&[actor]),
            failed: self.handler_errors.with_label_values(&[actor, "failed"]),
            crashed: self.handler_errors.with_label_values(&[actor, "crashed"]),
        }
    }

    /// Lifetime totals of `actor`'s RPC handlers.
    pub fn handler_totals(&self, actor: &str) -> HandlerTotals {
        let errors = ["failed", "crashed"]
            .iter()
            .map(|kind| self.handler_errors.with_label_values(&[actor, kind]).get())
            .sum();
        HandlerTotals {
            messages: self.handled.with_label_values(&[actor]).get(),
            errors,
            expected_failures: self.handler_expected.with_label_values(&[actor]).get(),
            seconds: self
                .handler_seconds
                .with_label_values(&[actor])
                .get_sample_sum(),
        }
    }

    /// The duration histogram of one periodic task.
    pub fn periodic_duration(&self, actor: &str, task: &str) -> Histogram {
        self.periodic_seconds.with_label_values(&[actor, task])
    }

    /// One RPC client send to `topic`; `elapsed` is the round trip for calls.
    pub fn observe_client(
        &self,
        topic: &str,
        kind: RequestKind,
        elapsed: Option<Duration>,
        outcome: ClientOutcome,
    ) {
        self.client_calls
            .with_label_values(&[topic, kind.as_str()])
            .inc();
        match outcome {
            ClientOutcome::Ok => {
                if let Some(elapsed) = elapsed {
                    self.client_call_seconds
                        .with_label_values(&[topic])
                        .observe(elapsed.as_secs_f64());
                }
            }
            ClientOutcome::Timeout => self.client_timeouts.with_label_values(&[topic]).inc(),
            ClientOutcome::ExpectedFailure => {
                self.client_expected.with_label_values(&[topic]).inc()
            }
            ClientOutcome::Failed => self.client_failures.with_label_values(&[topic]).inc(),
        }
    }

    /// Mirror the snapshot's gauges and tallies.
    pub fn observe_snapshot(&self, snapshot: &Snapshot) {
        // Gauges of instances that no longer exist must not linger.
        self.mailbox_depth.reset();
        self.in_flight.reset();
        self.actor_state.reset();
        for actor in &snapshot.actors {
            let name = actor.name.as_str();
            self.mailbox_depth
                .with_label_values(&[name])
                .set(actor.mailbox_depth);
            self.in_flight
                .with_label_values(&[name])
                .set(actor.in_flight);
            for state in ACTOR_STATES {
                let label = state.to_string();
                self.actor_state
                    .with_label_values(&[name, label.as_str()])
                    .set(i64::from(actor.state == state));
            }
            advance(&self.restarts.with_label_values(&[name]), actor.restarts);
            if let Some(heartbeat) = &actor.heartbeat {
                advance(
                    &self.heartbeat_reports.with_label_values(&[name]),
                    heartbeat.reports,
                );
                advance(
                    &self.heartbeat_failures.with_label_values(&[name]),
                    heartbeat.failures,
                );
            }
            for task in &actor.periodic_tasks {
                let labels = [name, task.name.as_str()];
                advance(&self.periodic_runs.with_label_values(&labels), task.runs);
                advance(
                    &self.periodic_failures.with_label_values(&labels),
                    task.failures,
                );
                advance(
                    &self.periodic_skips.with_label_values(&labels),
                    task.skipped,
                );
            }
        }
        let link = &snapshot.transport;
        self.broker_connected
            .set(i64::from(link.state == LinkState::Connected));
        advance(&self.broker_reconnects, link.reconnects);
        advance(&self.broker_losses, link.losses);
        advance(&self.broker_heartbeats_missed, link.heartbeats_missed);
    }

    /// The text exposition of every series, after mirroring `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        self.observe_snapshot(snapshot);
        let mut out = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(%error, "encoding metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl ClientObserver for RuntimeMetrics {
    fn observe(
        &self,
        topic: &str,
        kind: RequestKind,
        elapsed: Option<Duration>,
        outcome: ClientOutcome,
    ) {
        self.observe_client(topic, kind, elapsed, outcome);
    }
}

/// The content type of [`RuntimeMetrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
