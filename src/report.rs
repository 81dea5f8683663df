//! The state report (Guru Meditation Report): version, actor tree, in-flight work,
//! periodic tasks and the masked effective configuration, as text.

use std::fmt::Write;

use crate::config::Config;
use crate::snapshot::Snapshot;

fn secs(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |s| format!("{s:.1}s"))
}

fn time(value: Option<chrono::DateTime<chrono::Utc>>) -> String {
    value.map_or_else(|| "-".to_owned(), |t| t.format("%H:%M:%S%.3f").to_string())
}

/// Render `snapshot` and `config` as the report text.
pub fn render(snapshot: &Snapshot, config: &Config) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, snapshot, config);
    out
}

fn write_report(out: &mut String, snapshot: &Snapshot, config: &Config) -> std::fmt::Result {
    writeln!(out, "==== novactor state report ====")?;
    writeln!(
        out,
        "version {}  host {}  pid {}  taken {}  uptime {:.1}s  ready {}  draining {}",
        snapshot.version,
        snapshot.host,
        snapshot.pid,
        snapshot.taken_at.to_rfc3339(),
        snapshot.uptime_secs,
        snapshot.ready(),
        snapshot.draining
    )?;
    let policy = &snapshot.supervisor;
    writeln!(
        out,
        "supervisor: restart_intensity={} restart_period={:.0}s escalate={} runtime_threads={} actors_per_thread={:?}",
        policy.restart_intensity,
        policy.restart_period_secs,
        policy.escalate,
        policy.thread_load.len(),
        policy.thread_load
    )?;
    let link = &snapshot.transport;
    writeln!(
        out,
        "transport {}: state={:?} broker={} since={} reconnects={} losses={} heartbeats_missed={} last_error={}",
        link.scheme,
        link.state,
        link.broker.as_deref().unwrap_or("-"),
        link.since.format("%H:%M:%S"),
        link.reconnects,
        link.losses,
        link.heartbeats_missed,
        link.last_error.as_deref().unwrap_or("-")
    )?;
    writeln!(out, "\n==== actors (supervisor -> actor instances) ====")?;
    for actor in &snapshot.actors {
        writeln!(
            out,
            "{} [{} on {}] state={} thread={} incarnation={} uptime={} restarts={} restart={} mailbox={} in_flight={} handled={} errors={} expected_failures={}",
            actor.name,
            actor.binary,
            actor.host,
            actor.state,
            actor.thread.map_or_else(|| "-".to_owned(), |t| t.to_string()),
            actor.incarnation,
            secs(actor.uptime_secs),
            actor.restarts,
            actor.restart_type,
            actor.mailbox_depth,
            actor.in_flight,
            actor.handled,
            actor.errors_total,
            actor.expected_failures_total
        )?;
        if actor.stopped_by_operator {
            writeln!(out, "    stopped by an operator")?;
        }
        for work in &actor.in_flight_handlers {
            writeln!(
                out,
                "    in flight: {} for {:.3}s{}",
                work.method,
                work.elapsed_secs,
                work.request_id
                    .as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            )?;
        }
        if let Some(error) = &actor.last_error {
            writeln!(out, "    last error: {error}")?;
        }
        if let Some(backoff) = actor.backoff_secs {
            writeln!(out, "    next restart in {backoff:.1}s")?;
        }
        if !actor.rpc_queues.is_empty() {
            writeln!(out, "    rpc queues: {}", actor.rpc_queues.join(", "))?;
            let delivery = if actor.at_least_once_methods.is_empty() {
                "at-most-once (ack before dispatch) for every method".to_owned()
            } else {
                format!(
                    "at-least-once (ack after handling): {}; at-most-once: the rest",
                    actor.at_least_once_methods.join(", ")
                )
            };
            writeln!(out, "    delivery: {delivery}")?;
        }
        if let Some(hb) = &actor.heartbeat {
            writeln!(
                out,
                "    heartbeat: reports={} failures={} last={} outage={}",
                hb.reports,
                hb.failures,
                time(hb.last_report_at),
                hb.in_outage
            )?;
        }
        for task in &actor.periodic_tasks {
            writeln!(
                out,
                "    periodic {}: spacing={}{}{} runs={} failures={} skipped={} running={} last={} ({}) next={}",
                task.name,
                secs(task.spacing_secs),
                if task.spacing_overridden { " (operator)" } else { "" },
                if task.paused { " paused" } else { "" },
                task.runs,
                task.failures,
                task.skipped,
                task.running,
                time(task.last_run_at),
                secs(task.last_duration_secs),
                time(task.next_run_at)
            )?;
        }
    }
    writeln!(out, "\n==== configuration (secrets masked) ====")?;
    out.push_str(&config.show());
    Ok(())
}
