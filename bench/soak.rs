//! Soak: a real three-process deployment on loopback under steady mixed load for a fixed
//! time, sampled every 10 s, with a verdict on whether memory, file descriptors, threads
//! and RabbitMQ queues stay flat.
//!
//! Started by `bash bench/soak.sh [MINUTES]`, which creates the PostgreSQL database and
//! the RabbitMQ virtual host this run uses (names in `SOAK_DB` / `SOAK_VHOST`), builds in
//! release, runs this binary and removes both afterwards. This binary:
//!
//! 1. writes `target/soak/nova.conf` (its own vhost and control exchange, so nothing else
//!    on the broker shares its queues), runs `novactor db sync`, starts three `novactor
//!    run` processes — (api, conductor, scheduler) on a host of its own, compute `node1`,
//!    compute `node2` — each with its own dashboard port, logs in `target/soak/*.log`;
//! 2. drives the compute REST API for MINUTES: `SOAK_SERVERS` workers (default 8) each run
//!    server lifecycles (create → ACTIVE → maybe soft/hard reboot or stop/start → delete
//!    → gone) while a lister reads `servers/detail`, `os-services`, `os-hypervisors`;
//!    every HTTP request, polls included, takes a token from one limiter at `SOAK_RATE`
//!    requests/s (default 8), so the load is fixed, not as fast as possible;
//! 3. samples every 10 s per process `/proc` RSS, fds, threads and the `/metrics`
//!    gauges, RabbitMQ queues (`rabbitmqctl list_queues -p <vhost>`) and channels, the
//!    database's connections, the driver's counters; raw samples in
//!    `target/soak/samples.csv`;
//! 4. stops the load, keeps sampling for one idle minute, stops the processes with
//!    SIGTERM and prints the summary and the PASS/FAIL lines (also in
//!    `target/soak/report.txt`).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_novactor");
const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const WARM_UP: f64 = 60.0;
const IDLE_AFTER: Duration = Duration::from_secs(60);
/// Allowed end-over-start growth of open fds and threads per process.
const FD_SLACK: f64 = 8.0;
const THREAD_SLACK: f64 = 4.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

// ---------------------------------------------------------------------------------------
// The deployment

struct Proc {
    name: &'static str,
    child: Child,
    dashboard: u16,
    log: PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn novactor(dir: &Path, conf: &Path, dashboard: u16) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("OS_DASHBOARD__PORT", dashboard.to_string())
        .current_dir(dir)
        .arg("--config-file")
        .arg(conf);
    command
}

fn spawn(dir: &Path, conf: &Path, name: &'static str, actors: &str, host: &str) -> Proc {
    let dashboard = free_port();
    let log = dir.join(format!("{name}.log"));
    let out = File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = novactor(dir, conf, dashboard)
        .args(["run", "--actors", actors, "--host", host])
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("novactor starts");
    Proc {
        name,
        child,
        dashboard,
        log,
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

struct Reply {
    status: u16,
    body: Value,
}

async fn http(
    client: &awc::Client,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> Result<Reply, String> {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let request = client
        .request(method, url)
        .insert_header(("X-Auth-Token", "notused"))
        .insert_header(("OpenStack-API-Version", "compute 2.53"));
    let sent = match body {
        Some(body) => {
            request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body.to_owned())
                .await
        }
        None => request.send().await,
    };
    let mut response = sent.map_err(|e| format!("request failed: {e}"))?;
    let bytes = response
        .body()
        .limit(1 << 24)
        .await
        .map_err(|e| format!("body: {e}"))?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Ok(Reply {
        status: response.status().as_u16(),
        body,
    })
}

async fn get_text(client: &awc::Client, url: &str) -> Option<String> {
    let mut response = client.get(url).send().await.ok()?;
    let bytes = response.body().limit(1 << 26).await.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------------------------------
// The load

#[derive(Default)]
struct Stats {
    ops: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
    error_log: Vec<String>,
    /// Requests and their summed latency since the last sample.
    window_requests: u64,
    window_latency: f64,
    /// (seconds since load start, seconds from POST to ACTIVE).
    boots: Vec<(f64, f64)>,
    lifecycles: u64,
}

struct Load {
    client: awc::Client,
    base: String,
    limiter: tokio::sync::Mutex<tokio::time::Interval>,
    stats: RefCell<Stats>,
    in_flight: Cell<i64>,
    started: Instant,
    deadline: Instant,
}

impl Load {
    fn t(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn error(&self, kind: &'static str, message: String) {
        let mut stats = self.stats.borrow_mut();
        *stats.errors.entry(kind).or_default() += 1;
        let line = format!("t={:.1}s {kind}: {message}", self.t());
        eprintln!("soak error: {line}");
        stats.error_log.push(line);
    }

    /// One rate-limited request; an unexpected status or a failed request is an error.
    async fn request(
        &self,
        kind: &'static str,
        method: &str,
        path: &str,
        body: Option<&str>,
        expect: &[u16],
    ) -> Option<Reply> {
        self.limiter.lock().await.tick().await;
        let sent = Instant::now();
        let result = http(&self.client, method, &format!("{}{path}", self.base), body).await;
        let latency = sent.elapsed().as_secs_f64();
        {
            let mut stats = self.stats.borrow_mut();
            *stats.ops.entry(kind).or_default() += 1;
            stats.window_requests += 1;
            stats.window_latency += latency;
        }
        match result {
            Ok(reply) if expect.contains(&reply.status) => Some(reply),
            Ok(reply) => {
                let body = reply.body.to_string();
                self.error(
                    kind,
                    format!(
                        "{method} {path} → {} {}",
                        reply.status,
                        &body[..body.len().min(300)]
                    ),
                );
                None
            }
            Err(e) => {
                self.error(kind, format!("{method} {path}: {e}"));
                None
            }
        }
    }

    /// Polls until the server shows `want` with no task state. False on error or timeout.
    async fn wait_status(&self, id: &str, want: &str, timeout: Duration) -> bool {
        let started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(reply) = self
                .request("show", "GET", &format!("/v2.1/servers/{id}"), None, &[200])
                .await
            else {
                return false;
            };
            let server = &reply.body["server"];
            let status = server["status"].as_str().unwrap_or("?");
            if status == want && server["OS-EXT-STS:task_state"].is_null() {
                return true;
            }
            if status == "ERROR" {
                self.error(
                    "server-error",
                    format!("{id} went to ERROR waiting for {want}: {}", server["fault"]),
                );
                return false;
            }
            if started.elapsed() > timeout {
                self.error(
                    "stuck",
                    format!(
                        "{id} still {status}/{} after {timeout:?} waiting for {want}",
                        server["OS-EXT-STS:task_state"]
                    ),
                );
                return false;
            }
        }
    }

    async fn delete(&self, id: &str) {
        if self
            .request(
                "delete",
                "DELETE",
                &format!("/v2.1/servers/{id}"),
                None,
                &[204],
            )
            .await
            .is_none()
        {
            return;
        }
        let started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            match self
                .request(
                    "show",
                    "GET",
                    &format!("/v2.1/servers/{id}"),
                    None,
                    &[200, 404],
                )
                .await
            {
                Some(reply) if reply.status == 404 => {
                    self.in_flight.set(self.in_flight.get() - 1);
                    return;
                }
                Some(_) if started.elapsed() < Duration::from_secs(120) => {}
                Some(reply) => {
                    self.error(
                        "stuck",
                        format!(
                            "{id} not gone 120 s after DELETE: {}/{}",
                            reply.body["server"]["status"],
                            reply.body["server"]["OS-EXT-STS:task_state"]
                        ),
                    );
                    return;
                }
                None => return,
            }
        }
    }

    /// A server action, then wait for `then` with no task state.
    async fn act(&self, id: &str, kind: &'static str, body: &str, then: &str) -> bool {
        let path = format!("/v2.1/servers/{id}/action");
        self.request(kind, "POST", &path, Some(body), &[202])
            .await
            .is_some()
            && self.wait_status(id, then, Duration::from_secs(60)).await
    }

    /// Create → ACTIVE → an action or two → delete → gone.
    async fn lifecycle(&self, worker: usize, n: u64) {
        let body = format!(
            r#"{{"server": {{"name": "soak-{worker}-{n}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"}}}}"#
        );
        let posted = Instant::now();
        let Some(reply) = self
            .request("create", "POST", "/v2.1/servers", Some(&body), &[202])
            .await
        else {
            return;
        };
        let Some(id) = reply.body["server"]["id"].as_str().map(str::to_owned) else {
            self.error("create", format!("no server id in {}", reply.body));
            return;
        };
        self.in_flight.set(self.in_flight.get() + 1);
        if self
            .wait_status(&id, "ACTIVE", Duration::from_secs(120))
            .await
        {
            self.stats
                .borrow_mut()
                .boots
                .push((self.t(), posted.elapsed().as_secs_f64()));
            let (hold, action) = {
                let mut rng = rand::rng();
                (
                    Duration::from_millis(rng.random_range(0..4000)),
                    rng.random_range(0..100u32),
                )
            };
            tokio::time::sleep(hold).await;
            if Instant::now() < self.deadline {
                let _ = match action {
                    0..=24 => {
                        self.act(&id, "reboot", r#"{"reboot": {"type": "SOFT"}}"#, "ACTIVE")
                            .await
                    }
                    25..=39 => {
                        self.act(&id, "reboot", r#"{"reboot": {"type": "HARD"}}"#, "ACTIVE")
                            .await
                    }
                    40..=64 => {
                        self.act(&id, "stop", r#"{"os-stop": null}"#, "SHUTOFF")
                            .await
                            && self
                                .act(&id, "start", r#"{"os-start": null}"#, "ACTIVE")
                                .await
                    }
                    _ => true,
                };
            }
        }
        self.delete(&id).await;
        self.stats.borrow_mut().lifecycles += 1;
    }

    async fn worker(self: Rc<Self>, worker: usize) {
        // Spread the workers' first requests over a few seconds.
        tokio::time::sleep(Duration::from_millis(300 * worker as u64)).await;
        let mut n = 0;
        while Instant::now() < self.deadline {
            n += 1;
            self.lifecycle(worker, n).await;
        }
    }

    async fn lister(self: Rc<Self>) {
        let mut round = 0u64;
        while Instant::now() < self.deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            round += 1;
            match round % 4 {
                0 => {
                    self.request("list", "GET", "/v2.1/servers/detail", None, &[200])
                        .await;
                }
                1 => {
                    if let Some(reply) = self
                        .request("services", "GET", "/v2.1/os-services", None, &[200])
                        .await
                    {
                        let services = reply.body["services"].as_array().cloned();
                        let down: Vec<String> = services
                            .unwrap_or_default()
                            .iter()
                            .filter(|s| s["state"] != "up")
                            .map(|s| format!("{}@{}", s["binary"], s["host"]))
                            .collect();
                        if !down.is_empty() {
                            self.error("service-down", format!("{down:?}"));
                        }
                    }
                }
                2 => {
                    self.request("list", "GET", "/v2.1/servers", None, &[200])
                        .await;
                }
                _ => {
                    self.request(
                        "hypervisors",
                        "GET",
                        "/v2.1/os-hypervisors/detail",
                        None,
                        &[200],
                    )
                    .await;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sampling

#[derive(Clone, Default)]
struct ProcSample {
    alive: bool,
    rss_kib: f64,
    /// RSS split: anonymous memory (the heap, stacks) and file pages (the binary's code
    /// and data, faulted in as code paths first run).
    rss_anon_kib: f64,
    rss_file_kib: f64,
    fds: f64,
    threads: f64,
    metric_rss: f64,
    metric_fds: f64,
    mailbox: f64,
    in_flight: f64,
    handler_errors: f64,
    rpc_timeouts: f64,
    rpc_failures: f64,
    restarts: f64,
    cpu_s: f64,
    /// Size of the `/metrics` text: grows only if some label set does.
    metrics_bytes: f64,
}

#[derive(Clone, Default)]
struct Sample {
    t: f64,
    phase: &'static str,
    procs: Vec<ProcSample>,
    queues: f64,
    queue_messages: f64,
    consumers: f64,
    channels: f64,
    connections: f64,
    pg_connections: f64,
    load_avg: f64,
    ops: f64,
    errors: f64,
    servers_in_flight: f64,
    req_per_s: f64,
    latency_ms: f64,
}

fn proc_status(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn fd_count(pid: u32) -> Option<f64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as f64)
}

/// The sum of every series of `name` (any labels) in a Prometheus text exposition.
fn metric_sum(text: &str, name: &str) -> f64 {
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

fn run_output(program: &str, args: &[&str]) -> Option<String> {
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
fn rabbit_figures(vhost: &str) -> (f64, f64, f64, f64, f64) {
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

fn psql(database: &str, sql: &str) -> Option<String> {
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

async fn take_sample(procs: &[(u32, u16)], client: &awc::Client, vhost: &str, db: &str) -> Sample {
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

const PROC_COLUMNS: [&str; 16] = [
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

fn csv_header(names: &[&str]) -> String {
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

fn csv_row(s: &Sample) -> String {
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

// ---------------------------------------------------------------------------------------
// Analysis

fn mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    }
}

fn max(values: &[f64]) -> f64 {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max)
}

/// Least-squares slope of `v` over `t`, per hour.
fn slope_per_hour(points: &[(f64, f64)]) -> f64 {
    let points: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
    if points.len() < 2 {
        return f64::NAN;
    }
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - mv)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    if var == 0.0 {
        f64::NAN
    } else {
        cov / var * 3600.0
    }
}

struct Series<'a> {
    load: Vec<&'a Sample>,
    length: f64,
}

impl Series<'_> {
    fn window(&self, from: f64, to: f64, f: &dyn Fn(&Sample) -> f64) -> Vec<f64> {
        self.load
            .iter()
            .filter(|s| s.t >= from && s.t < to)
            .map(|s| f(s))
            .collect()
    }

    fn first_minute(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        mean(&self.window(0.0, 60.0, f))
    }

    fn last_minute(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        mean(&self.window(self.length - 60.0, f64::INFINITY, f))
    }

    fn after_warm_up(&self, f: &dyn Fn(&Sample) -> f64) -> Vec<(f64, f64)> {
        self.load
            .iter()
            .filter(|s| s.t >= WARM_UP)
            .map(|s| (s.t, f(s)))
            .collect()
    }

    fn slope(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        slope_per_hour(&self.after_warm_up(f))
    }

    /// The slope over the second half of the load only: a leak keeps its slope, a cache
    /// or an allocator warming up flattens out.
    fn slope_second_half(&self, f: &dyn Fn(&Sample) -> f64) -> f64 {
        let half = self.length / 2.0;
        let points: Vec<(f64, f64)> = self
            .load
            .iter()
            .filter(|s| s.t >= half)
            .map(|s| (s.t, f(s)))
            .collect();
        slope_per_hour(&points)
    }
}

fn percentile(mut values: Vec<f64>, q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

// ---------------------------------------------------------------------------------------

async fn wait_ready(client: &awc::Client, proc: &mut Proc) {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = proc.child.try_wait() {
            panic!(
                "{} exited with {status} at start; log: {}",
                proc.name,
                proc.log.display()
            );
        }
        let url = format!("http://127.0.0.1:{}/readyz", proc.dashboard);
        if let Ok(response) = client.get(&url).send().await {
            if response.status().as_u16() == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} not ready within 90 s; log: {}",
            proc.name,
            proc.log.display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn log_findings(path: &Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (mut warns, mut errors) = (0, 0);
    let mut distinct: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let level = if line.contains(" ERROR ") || line.contains("\"level\":\"ERROR\"") {
            errors += 1;
            "ERROR"
        } else if line.contains(" WARN ") || line.contains("\"level\":\"WARN\"") {
            warns += 1;
            "WARN"
        } else {
            continue;
        };
        // Group by the text after the level, without uuids and numbers.
        let after = line.split_once(level).map_or(line, |(_, rest)| rest);
        let key: String = after
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .take(160)
            .collect();
        *distinct.entry(format!("{level}{key}")).or_default() += 1;
    }
    let mut top: Vec<(String, usize)> = distinct.into_iter().collect();
    top.sort_by_key(|b| std::cmp::Reverse(b.1));
    (
        warns,
        errors,
        top.into_iter()
            .take(6)
            .map(|(k, n)| format!("{n}× {k}"))
            .collect(),
    )
}

fn main() {
    let minutes: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10.0);
    let vhost = std::env::var("SOAK_VHOST").expect("SOAK_VHOST (run bench/soak.sh)");
    let db = std::env::var("SOAK_DB").expect("SOAK_DB (run bench/soak.sh)");
    let workers: usize = env_or("SOAK_SERVERS", 8);
    let rate: f64 = env_or("SOAK_RATE", 8.0);
    let spawn_delay: f64 = env_or("SOAK_SPAWN_DELAY", 0.5);
    let out_dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("target/soak");
    std::fs::create_dir_all(&out_dir).expect("target/soak");

    actix_rt::System::new().block_on(async move {
        let exchange = format!("soak_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let api_port = free_port();
        let conf = out_dir.join("nova.conf");
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\n\
                 transport_url = rabbit://guest:guest@127.0.0.1:5672/{vhost}\n\
                 control_exchange = {exchange}\n\
                 state_path = {dir}\n\
                 periodic_fuzzy_delay = 0\n\
                 instance_build_timeout = 300\n\
                 osapi_compute_listen = 127.0.0.1\n\
                 osapi_compute_listen_port = {api_port}\n\
                 osapi_compute_workers = 1\n\
                 [database]\n\
                 connection = postgresql://postgres@127.0.0.1:5432/{db}\n\
                 [fake_driver]\n\
                 spawn_delay = {spawn_delay}\n",
                dir = out_dir.display(),
            ),
        )
        .expect("nova.conf");
        let sync = novactor(&out_dir, &conf, 0)
            .args(["db", "sync"])
            .output()
            .expect("db sync runs");
        assert!(
            sync.status.success(),
            "db sync: {}",
            String::from_utf8_lossy(&sync.stderr)
        );

        // The control process first, so the computes find their conductor at once.
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let pid_file = out_dir.join("pids");
        let mut procs = vec![spawn(
            &out_dir,
            &conf,
            "control",
            "api,conductor,scheduler",
            &format!("ctl-{exchange}"),
        )];
        std::fs::write(&pid_file, format!("{}\n", procs[0].pid())).expect("pids");
        wait_ready(&client, &mut procs[0]).await;
        procs.push(spawn(&out_dir, &conf, "node1", "compute", "node1"));
        procs.push(spawn(&out_dir, &conf, "node2", "compute", "node2"));
        let pids: String = procs.iter().map(|p| format!("{}\n", p.pid())).collect();
        std::fs::write(&pid_file, pids).expect("pids");
        for proc in &mut procs[1..] {
            wait_ready(&client, proc).await;
        }
        let names: Vec<&str> = procs.iter().map(|p| p.name).collect();
        let base = format!("http://127.0.0.1:{api_port}");
        // Both computes up with their hypervisors before the load starts.
        let started = Instant::now();
        loop {
            let services = http(&client, "GET", &format!("{base}/v2.1/os-services"), None).await;
            let hypervisors =
                http(&client, "GET", &format!("{base}/v2.1/os-hypervisors"), None).await;
            let computes_up = services.ok().map_or(0, |r| {
                r.body["services"]
                    .as_array()
                    .map_or(0, |s| {
                        s.iter()
                            .filter(|s| s["binary"] == "nova-compute" && s["state"] == "up")
                            .count()
                    })
            });
            let nodes = hypervisors.ok().map_or(0, |r| {
                r.body["hypervisors"].as_array().map_or(0, Vec::len)
            });
            if computes_up == 2 && nodes == 2 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "computes never came up ({computes_up} up, {nodes} hypervisors)"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let machine = format!(
            "{} cores, {}, RabbitMQ {}, {}",
            std::thread::available_parallelism().map_or(0, usize::from),
            run_output("uname", &["-sr"]).unwrap_or_default().trim(),
            run_output("rabbitmqctl", &["version"]).unwrap_or_default().trim(),
            run_output("psql", &["--version"]).unwrap_or_default().trim(),
        );
        println!(
            "soak: {minutes} min, {workers} servers in flight, {rate} requests/s, spawn_delay {spawn_delay} s; vhost {vhost}, exchange {exchange}, database {db}"
        );
        println!("soak: machine: {machine}");
        println!(
            "soak: pids {}; dashboards {}; api {base}",
            procs
                .iter()
                .map(|p| format!("{}={}", p.name, p.pid()))
                .collect::<Vec<_>>()
                .join(" "),
            procs
                .iter()
                .map(|p| format!("{}=:{}", p.name, p.dashboard))
                .collect::<Vec<_>>()
                .join(" ")
        );

        // The load.
        let length = Duration::from_secs_f64(minutes * 60.0);
        let mut limiter = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        limiter.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let load_started = Instant::now();
        let load = Rc::new(Load {
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
            base: base.clone(),
            limiter: tokio::sync::Mutex::new(limiter),
            stats: RefCell::new(Stats::default()),
            in_flight: Cell::new(0),
            started: load_started,
            deadline: load_started + length,
        });

        // The sampler, until told to stop.
        let proc_ids: Vec<(u32, u16)> = procs.iter().map(|p| (p.pid(), p.dashboard)).collect();
        let phase = Rc::new(Cell::new("load"));
        let stop = Rc::new(Cell::new(false));
        let sampler = {
            let (load, phase, stop) = (Rc::clone(&load), Rc::clone(&phase), Rc::clone(&stop));
            let (vhost, db) = (vhost.clone(), db.clone());
            let csv_path = out_dir.join("samples.csv");
            let header = csv_header(&names);
            actix_rt::spawn(async move {
                let mut csv = header + "\n";
                let mut samples = Vec::new();
                let mut tick = tokio::time::interval(SAMPLE_EVERY);
                let mut last = Instant::now();
                while !stop.get() {
                    tick.tick().await;
                    let t = load.t();
                    let mut sample = take_sample(&proc_ids, &metrics_client(), &vhost, &db).await;
                    sample.t = t;
                    sample.phase = phase.get();
                    {
                        let mut stats = load.stats.borrow_mut();
                        let window = last.elapsed().as_secs_f64();
                        last = Instant::now();
                        sample.ops = stats.ops.values().sum::<u64>() as f64;
                        sample.errors = stats.errors.values().sum::<u64>() as f64;
                        sample.req_per_s = stats.window_requests as f64 / window;
                        sample.latency_ms = if stats.window_requests == 0 {
                            f64::NAN
                        } else {
                            stats.window_latency / stats.window_requests as f64 * 1e3
                        };
                        stats.window_requests = 0;
                        stats.window_latency = 0.0;
                    }
                    sample.servers_in_flight = load.in_flight.get() as f64;
                    let rss: f64 = sample.procs.iter().map(|p| p.rss_kib).sum();
                    println!(
                        "t={t:>6.0}s {:<5} rss {:>7.1} MiB, fds {:?}, threads {:?}, queue msgs {}, servers {}, ops {}, errors {}, load {:.2}",
                        sample.phase,
                        rss / 1024.0,
                        sample.procs.iter().map(|p| p.fds).collect::<Vec<_>>(),
                        sample.procs.iter().map(|p| p.threads).collect::<Vec<_>>(),
                        sample.queue_messages,
                        sample.servers_in_flight,
                        sample.ops,
                        sample.errors,
                        sample.load_avg,
                    );
                    csv.push_str(&csv_row(&sample));
                    csv.push('\n');
                    let _ = std::fs::write(&csv_path, &csv);
                    samples.push(sample);
                }
                samples
            })
        };

        let mut tasks = Vec::new();
        for w in 0..workers {
            tasks.push(actix_rt::spawn(Rc::clone(&load).worker(w)));
        }
        tasks.push(actix_rt::spawn(Rc::clone(&load).lister()));
        for task in tasks {
            task.await.expect("load task");
        }
        let load_ended = load.t();
        let wind_down = load_ended - length.as_secs_f64();
        println!("soak: load stopped at t={load_ended:.0}s (the last lifecycles took {wind_down:.0} s to finish); idle for {IDLE_AFTER:?}");
        phase.set("idle");
        tokio::time::sleep(IDLE_AFTER).await;
        stop.set(true);
        let samples = sampler.await.expect("sampler");

        // Leftovers in the database (every server was deleted by its worker).
        let live = psql(&db, "SELECT count(*) FROM instances WHERE deleted = 0")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "?".into());
        let by_state = psql(
            &db,
            "SELECT coalesce(vm_state, 'null') || '=' || count(*) FROM instances GROUP BY vm_state ORDER BY 1",
        )
        .map(|s| s.lines().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
        let faults = psql(&db, "SELECT count(*) FROM instance_faults")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| "?".into());

        // Graceful stop: computes first, then the control process.
        let mut exits = Vec::new();
        for index in [1, 2, 0] {
            let proc = &mut procs[index];
            let _ = Command::new("kill")
                .args(["-TERM", &proc.pid().to_string()])
                .status();
            let started = Instant::now();
            let status = loop {
                if let Ok(Some(status)) = proc.child.try_wait() {
                    break Some(status);
                }
                if started.elapsed() > Duration::from_secs(60) {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            exits.push((
                proc.name,
                status.and_then(|s| s.code()),
                started.elapsed().as_secs_f64(),
            ));
        }
        let _ = std::fs::remove_file(out_dir.join("pids"));

        let report = summarize(&Summary {
            names: &names,
            samples: &samples,
            length: length.as_secs_f64(),
            load: &load,
            exits: &exits,
            logs: &procs.iter().map(|p| p.log.clone()).collect::<Vec<_>>(),
            live: &live,
            by_state: &by_state,
            faults: &faults,
        });
        print!("{report}");
        let _ = std::fs::write(out_dir.join("report.txt"), &report);
        println!(
            "soak: raw samples in {}",
            out_dir.join("samples.csv").display()
        );
    });
}

fn metrics_client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish()
}

struct Summary<'a> {
    names: &'a [&'a str],
    samples: &'a [Sample],
    length: f64,
    load: &'a Load,
    exits: &'a [(&'static str, Option<i32>, f64)],
    logs: &'a [PathBuf],
    live: &'a str,
    by_state: &'a str,
    faults: &'a str,
}

fn summarize(s: &Summary<'_>) -> String {
    let mut out = String::new();
    let series = Series {
        load: s.samples.iter().filter(|x| x.phase == "load").collect(),
        length: s.length,
    };
    let idle: Vec<&Sample> = s.samples.iter().filter(|x| x.phase == "idle").collect();
    let _ = writeln!(
        out,
        "\n== soak summary: {:.0} min of load, {} samples (every {} s), warm-up {WARM_UP} s ==",
        s.length / 60.0,
        s.samples.len(),
        SAMPLE_EVERY.as_secs()
    );
    let _ = writeln!(
        out,
        "{:<30} {:>14} {:>14} {:>12} {:>11} {:>16}",
        "figure", "first-min avg", "last-min avg", "slope / h", "% mean / h", "2nd-half slope/h"
    );
    let mut row = |label: String, f: &dyn Fn(&Sample) -> f64| {
        let first = series.first_minute(f);
        let last = series.last_minute(f);
        let slope = series.slope(f);
        let m = mean(
            &series
                .after_warm_up(f)
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
        );
        let _ = writeln!(
            out,
            "{label:<30} {first:>14.2} {last:>14.2} {slope:>12.2} {:>10.1}% {:>16.2}",
            slope / m * 100.0,
            series.slope_second_half(f)
        );
    };
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} RSS MiB"), &move |x| {
            x.procs[i].rss_kib / 1024.0
        });
    }
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} RSS anon MiB"), &move |x| {
            x.procs[i].rss_anon_kib / 1024.0
        });
        row(format!("{name} RSS file MiB"), &move |x| {
            x.procs[i].rss_file_kib / 1024.0
        });
    }
    row("total RSS MiB".into(), &|x| {
        x.procs.iter().map(|p| p.rss_kib).sum::<f64>() / 1024.0
    });
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} open fds"), &move |x| x.procs[i].fds);
    }
    for (i, name) in s.names.iter().enumerate() {
        row(format!("{name} threads"), &move |x| x.procs[i].threads);
    }
    row("queue messages (total)".into(), &|x| x.queue_messages);
    row("queues".into(), &|x| x.queues);
    row("consumers".into(), &|x| x.consumers);
    row("AMQP channels".into(), &|x| x.channels);
    row("PostgreSQL connections".into(), &|x| x.pg_connections);
    row("mailbox depth (sum)".into(), &|x| {
        x.procs.iter().map(|p| p.mailbox).sum()
    });
    row("in-flight handlers (sum)".into(), &|x| {
        x.procs.iter().map(|p| p.in_flight).sum()
    });
    row("servers in flight".into(), &|x| x.servers_in_flight);
    row("requests/s".into(), &|x| x.req_per_s);
    row("request latency ms".into(), &|x| x.latency_ms);
    row("load average (1 min)".into(), &|x| x.load_avg);
    // CPU use per process over the load: the machine must not be saturated.
    let cpu: Vec<String> = s
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (Some(a), Some(b)) = (series.load.first(), series.load.last()) else {
                return format!("{name} ?");
            };
            let share = (b.procs[i].cpu_s - a.procs[i].cpu_s) / (b.t - a.t) * 100.0;
            format!("{name} {share:.1} %")
        })
        .collect();
    let _ = writeln!(out, "CPU of one core during the load: {}", cpu.join(", "));

    let stats = s.load.stats.borrow();
    let ops: u64 = stats.ops.values().sum();
    let errors: u64 = stats.errors.values().sum();
    let _ = writeln!(
        out,
        "\noperations: {ops} HTTP requests ({}), {} lifecycles, {} boots to ACTIVE",
        stats
            .ops
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        stats.lifecycles,
        stats.boots.len()
    );
    let boot = |from: f64, to: f64| {
        percentile(
            stats
                .boots
                .iter()
                .filter(|b| b.0 >= from && b.0 < to)
                .map(|b| b.1)
                .collect(),
            0.5,
        )
    };
    let _ = writeln!(
        out,
        "boot POST→ACTIVE p50: first minute {:.2} s, last minute {:.2} s; overall p99 {:.2} s",
        boot(0.0, 60.0),
        boot(s.length - 60.0, f64::INFINITY),
        percentile(stats.boots.iter().map(|b| b.1).collect(), 0.99)
    );
    let _ = writeln!(
        out,
        "errors: {errors}{}",
        if stats.errors.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                stats
                    .errors
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for line in stats.error_log.iter().take(10) {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(last) = s.samples.last() {
        for (i, name) in s.names.iter().enumerate() {
            let p = &last.procs[i];
            let _ = writeln!(
                out,
                "{name}: handler errors {} (incl. expected ones), rpc timeouts {}, rpc failures {}, restarts {}",
                p.handler_errors, p.rpc_timeouts, p.rpc_failures, p.restarts
            );
        }
    }
    let _ = writeln!(
        out,
        "database after: {} live instances; all rows by vm_state: {}; instance_faults {}",
        s.live, s.by_state, s.faults
    );
    for (path, name) in s.logs.iter().zip(s.names) {
        let (warns, errors, top) = log_findings(path);
        let _ = writeln!(out, "{name} log: {warns} WARN, {errors} ERROR lines");
        for line in top {
            let _ = writeln!(out, "  {line}");
        }
    }
    for (name, code, secs) in s.exits {
        let _ = writeln!(out, "{name}: SIGTERM → exit {code:?} in {secs:.1} s");
    }

    // Verdicts.
    let _ = writeln!(out);
    if s.length < WARM_UP + 120.0 {
        let _ = writeln!(
            out,
            "(a run shorter than 3 minutes gives no meaningful slope or start/end comparison)"
        );
    }
    let mut verdict = |ok: bool, text: String| {
        let _ = writeln!(out, "{} {text}", if ok { "PASS" } else { "FAIL" });
        ok
    };
    let mut all = true;
    for (i, name) in s.names.iter().enumerate() {
        let f = move |x: &Sample| x.procs[i].rss_kib / 1024.0;
        let slope = series.slope(&f);
        let m = mean(
            &series
                .after_warm_up(&f)
                .iter()
                .map(|p| p.1)
                .collect::<Vec<_>>(),
        );
        all &= verdict(
            slope < 0.05 * m,
            format!(
                "flat RSS {name}: slope {slope:+.2} MiB/h after warm-up = {:+.1} % of its mean {m:.1} MiB per hour (limit 5 %)",
                slope / m * 100.0
            ),
        );
    }
    // Start: the highest value in the minute after warm-up; end: the highest in the last
    // minute of load and in the idle minute after it.
    let start_window = |f: &dyn Fn(&Sample) -> f64| max(&series.window(WARM_UP, WARM_UP + 60.0, f));
    let end_window = |f: &dyn Fn(&Sample) -> f64| {
        max(&series.window(s.length - 60.0, f64::INFINITY, f))
            .max(max(&idle.iter().map(|x| f(x)).collect::<Vec<_>>()))
    };
    for (i, name) in s.names.iter().enumerate() {
        let fds = move |x: &Sample| x.procs[i].fds;
        let (a, b) = (start_window(&fds), end_window(&fds));
        all &= verdict(
            b <= a + FD_SLACK,
            format!("flat fds {name}: start {a} → end {b} (allowed +{FD_SLACK})"),
        );
        let threads = move |x: &Sample| x.procs[i].threads;
        let (a, b) = (start_window(&threads), end_window(&threads));
        all &= verdict(
            b <= a + THREAD_SLACK,
            format!("flat threads {name}: start {a} → end {b} (allowed +{THREAD_SLACK})"),
        );
    }
    let queues = |x: &Sample| x.queues;
    let (a, b) = (start_window(&queues), end_window(&queues));
    all &= verdict(b <= a, format!("no queue leak: {a} queues → {b}"));
    let drained_at = idle
        .iter()
        .find(|x| x.queue_messages == 0.0 && x.procs.iter().all(|p| p.mailbox == 0.0))
        .map(|x| x.t);
    let final_messages = idle.last().map_or(f64::NAN, |x| x.queue_messages);
    all &= verdict(
        drained_at.is_some() && final_messages == 0.0,
        format!(
            "queues drained after load: {} (last idle sample: {final_messages} messages)",
            drained_at.map_or("never".into(), |t| format!(
                "0 messages and empty mailboxes at t={t:.0}s"
            ))
        ),
    );
    all &= verdict(
        errors == 0,
        format!("no operation errors: {errors} errors in {ops} requests"),
    );
    all &= verdict(
        s.live == "0",
        format!("every server deleted: {} left in the database", s.live),
    );
    let died = s.samples.iter().any(|x| x.procs.iter().any(|p| !p.alive));
    all &= verdict(
        !died && s.exits.iter().all(|e| e.1 == Some(0)),
        "processes alive throughout and exit 0 on SIGTERM".into(),
    );
    let _ = writeln!(out, "{}", if all { "SOAK PASS" } else { "SOAK FAIL" });
    out
}
