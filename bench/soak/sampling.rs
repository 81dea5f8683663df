//! Sampling every 10 s: per process RSS, fds, threads and `/metrics` gauges, RabbitMQ
//! queues and channels, the database's connections; the CSV of `target/soak/samples.csv`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::http::get_text;

#[derive(Clone, Default)]
pub(crate) struct ProcSample {
    pub(crate) alive: bool,
    pub(crate) rss_kib: f64,
    /// RSS split: anonymous memory (the heap, stacks) and file pages (the binary's code
    /// and data, faulted in as code paths first run).
    pub(crate) rss_anon_kib: f64,
    pub(crate) rss_file_kib: f64,
    pub(crate) fds: f64,
    pub(crate) threads: f64,
    pub(crate) metric_rss: f64,
    pub(crate) metric_fds: f64,
    pub(crate) mailbox: f64,
    pub(crate) in_flight: f64,
    pub(crate) handler_errors: f64,
    pub(crate) rpc_timeouts: f64,
    pub(crate) rpc_failures: f64,
    pub(crate) restarts: f64,
    pub(crate) cpu_s: f64,
    /// Size of the `/metrics` text: grows only if some label set does.
    pub(crate) metrics_bytes: f64,
}

#[derive(Clone, Default)]
pub(crate) struct Sample {
    pub(crate) t: f64,
    pub(crate) phase: &'static str,
    pub(crate) procs: Vec<ProcSample>,
    pub(crate) queues: f64,
    pub(crate) queue_messages: f64,
    pub(crate) consumers: f64,
    pub(crate) channels: f64,
    pub(crate) connections: f64,
    pub(crate) pg_connections: f64,
    pub(crate) load_avg: f64,
    pub(crate) ops: f64,
    pub(crate) errors: f64,
    pub(crate) servers_in_flight: f64,
    pub(crate) req_per_s: f64,
    pub(crate) latency_ms: f64,
}

pub(crate) fn proc_status(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

pub(crate) fn fd_count(pid: u32) -> Option<f64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as f64)
}

/// The sum of every series of `name` (any labels) in a Prometheus text exposition.
pub(crate) fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            if !(rest.starts_with('{') || rest.starts_with(' ')) {
                return None;
            }
            l.trim_end().rsplit_once(' ')?.1.parse::<f64>().ok()
        })
        .fold(0.0, |a, b| a + b)
}

pub(crate) fn run_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// (queues, messages, consumers, channels, connections) of the vhost.
pub(crate) fn rabbit_figures(vhost: &str) -> (f64, f64, f64, f64, f64) {
    let mut figures = (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN);
    if let Some(out) = run_output(
        "rabbitmqctl",
        &[
            "list_queues",
            "-q",
            "--no-table-headers",
            "-p",
            vhost,
            "name",
            "messages",
            "consumers",
        ],
    ) {
        let rows: Vec<Vec<&str>> = out
            .lines()
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r.len() == 3)
            .collect();
        figures.0 = rows.len() as f64;
        figures.1 = rows.iter().filter_map(|r| r[1].parse::<f64>().ok()).sum();
        figures.2 = rows.iter().filter_map(|r| r[2].parse::<f64>().ok()).sum();
    }
    if let Some(out) = run_output(
        "rabbitmqctl",
        &[
            "list_channels",
            "-q",
            "--no-table-headers",
            "vhost",
            "connection",
        ],
    ) {
        let ours: Vec<&str> = out
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .filter(|(v, _)| *v == vhost)
            .map(|(_, c)| c)
            .collect();
        figures.3 = ours.len() as f64;
        let mut connections = ours.clone();
        connections.sort_unstable();
        connections.dedup();
        figures.4 = connections.len() as f64;
    }
    figures
}

pub(crate) fn psql(database: &str, sql: &str) -> Option<String> {
    run_output(
        "psql",
        &[
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            database,
            "-qAtX",
            "-c",
            sql,
        ],
    )
}

pub(crate) async fn take_sample(
    procs: &[(u32, u16)],
    client: &awc::Client,
    vhost: &str,
    db: &str,
) -> Sample {
    let vhost_owned = vhost.to_owned();
    let db_owned = db.to_owned();
    let rabbit = tokio::task::spawn_blocking(move || rabbit_figures(&vhost_owned));
    let pg = tokio::task::spawn_blocking(move || {
        psql(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{db_owned}'"),
        )
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN)
    });
    let mut sample = Sample::default();
    for &(pid, dashboard) in procs {
        let mut p = ProcSample {
            alive: Path::new(&format!("/proc/{pid}")).exists(),
            rss_kib: proc_status(pid, "VmRSS").unwrap_or(f64::NAN),
            rss_anon_kib: proc_status(pid, "RssAnon").unwrap_or(f64::NAN),
            rss_file_kib: proc_status(pid, "RssFile").unwrap_or(f64::NAN),
            fds: fd_count(pid).unwrap_or(f64::NAN),
            threads: proc_status(pid, "Threads").unwrap_or(f64::NAN),
            ..ProcSample::default()
        };
        let metrics = get_text(client, &format!("http://127.0.0.1:{dashboard}/metrics")).await;
        let metrics = metrics.unwrap_or_default();
        let m = |name: &str| {
            if metrics.is_empty() {
                f64::NAN
            } else {
                metric_sum(&metrics, name)
            }
        };
        p.metric_rss = m("process_resident_memory_bytes") / 1024.0;
        p.metric_fds = m("process_open_fds");
        p.mailbox = m("novactor_actor_mailbox_depth");
        p.in_flight = m("novactor_actor_in_flight");
        p.handler_errors = m("novactor_actor_handler_errors_total");
        p.rpc_timeouts = m("novactor_rpc_client_timeouts_total");
        p.rpc_failures = m("novactor_rpc_client_failures_total");
        p.restarts = m("novactor_actor_restarts_total");
        p.cpu_s = m("process_cpu_seconds_total");
        p.metrics_bytes = if metrics.is_empty() {
            f64::NAN
        } else {
            metrics.len() as f64
        };
        sample.procs.push(p);
    }
    let (queues, messages, consumers, channels, connections) =
        rabbit
            .await
            .unwrap_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN));
    sample.queues = queues;
    sample.queue_messages = messages;
    sample.consumers = consumers;
    sample.channels = channels;
    sample.connections = connections;
    sample.pg_connections = pg.await.unwrap_or(f64::NAN);
    sample.load_avg = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN);
    sample
}

pub(crate) const PROC_COLUMNS: [&str; 16] = [
    "alive",
    "rss_kib",
    "rss_anon_kib",
    "rss_file_kib",
    "fds",
    "threads",
    "metric_rss_kib",
    "metric_fds",
    "mailbox",
    "in_flight",
    "handler_errors",
    "rpc_timeouts",
    "rpc_failures",
    "restarts",
    "cpu_s",
    "metrics_bytes",
];

pub(crate) fn csv_header(names: &[&str]) -> String {
    let mut header = String::from("t_s,phase");
    for name in names {
        for column in PROC_COLUMNS {
            let _ = write!(header, ",{name}_{column}");
        }
    }
    header.push_str(
        ",queues,queue_messages,consumers,channels,connections,pg_connections,load_avg,ops,errors,servers_in_flight,req_per_s,latency_ms",
    );
    header
}

pub(crate) fn csv_row(s: &Sample) -> String {
    let mut row = format!("{:.1},{}", s.t, s.phase);
    for p in &s.procs {
        for v in [
            f64::from(u8::from(p.alive)),
            p.rss_kib,
            p.rss_anon_kib,
            p.rss_file_kib,
            p.fds,
            p.threads,
            p.metric_rss,
            p.metric_fds,
            p.mailbox,
            p.in_flight,
            p.handler_errors,
            p.rpc_timeouts,
            p.rpc_failures,
            p.restarts,
            p.cpu_s,
            p.metrics_bytes,
        ] {
            let _ = write!(row, ",{v}");
        }
    }
    for v in [
        s.queues,
        s.queue_messages,
        s.consumers,
        s.channels,
        s.connections,
        s.pg_connections,
        s.load_avg,
        s.ops,
        s.errors,
        s.servers_in_flight,
        s.req_per_s,
        s.latency_ms,
    ] {
        let _ = write!(row, ",{v:.3}");
    }
    row
}
