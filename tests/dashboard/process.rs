//! The dashboard and systemd's notify protocol from the outside: the real `novactor run`
//! process, a notify socket of our own, the dashboard port taken or exposed, and the
//! state report over HTTP against the one SIGUSR2 writes.
//!
//! Every test has its own temp dir (nova.conf, SQLite state, notify socket) and its own
//! free loopback ports; waits have deadlines; children are killed when a test fails
//! (`Running`'s Drop).

use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::http;
use crate::common::process::*;
use crate::nova::BIN;

/// Where the compute API may listen, by auth strategy.
mod api_exposure;

/// Start-up of four actors over the memory transport takes well under a second; the
/// deadline is for a loaded two-core machine building other tests meanwhile.
const START: Duration = Duration::from_secs(30);
const EXIT: Duration = Duration::from_secs(30);
const HOST: &str = "dash-host";

/// The warning of src/dashboard/mod.rs for a non-loopback address without a token.
const NO_TOKEN_WARNING: &str = "dashboard listens on a non-loopback address without [dashboard] admin_token: \
     reads (state, configuration report) are open to anyone who can reach it; operations stay refused";
/// Its sibling when a token is set.
const OPEN_READS_WARNING: &str =
    "dashboard listens on a non-loopback address: reads are open to anyone who can reach it";

/// A temp dir holding the process's nova.conf and state.
struct Site {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Site {
    /// nova.conf: memory transport, SQLite under the temp dir, the compute API on a
    /// free port; `extra` is appended (more sections).
    fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("nova.conf");
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\nhost = {HOST}\nstate_path = {}\ntransport_url = memory://\n\
                 osapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = 0\n{extra}",
                dir.path().display()
            ),
        )
        .unwrap();
        Self { dir, conf }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `novactor --config-file <conf> run` (all four actors), clean environment.
    fn run(&self) -> Command {
        let mut command = command(BIN.as_ref(), self.path());
        command.arg("--config-file").arg(&self.conf).arg("run");
        command
    }
}

/// Wait until every actor logged `actor ready` and the dashboard logged where it listens.
fn wait_started(novactor: &Running) {
    novactor.wait_for("actor ready", 4, START);
    novactor.wait_for("dashboard listening on", 1, START);
}

/// `GET path` on 127.0.0.1:port, read whole.
fn get(port: u16, path: &str) -> http::Reply {
    http::request("GET", format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(20))
        .send_blocking()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The receiving end of `$NOTIFY_SOCKET`, as systemd holds it.
struct NotifySocket {
    socket: UnixDatagram,
    path: PathBuf,
    /// Every datagram received, in order.
    seen: Vec<String>,
    /// Datagrams before this index were already matched by `next_with`.
    cursor: usize,
}

impl NotifySocket {
    fn bind(path: PathBuf) -> Self {
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Self {
            socket,
            path,
            seen: Vec::new(),
            cursor: 0,
        }
    }

    /// The first datagram after the last match with the line `line`; panics with every
    /// datagram seen after `deadline`.
    fn next_with(&mut self, line: &str, deadline: Duration, log: &Running) -> String {
        let started = Instant::now();
        loop {
            if let Some(offset) = self.seen[self.cursor..]
                .iter()
                .position(|d| d.lines().any(|l| l == line))
            {
                self.cursor += offset + 1;
                return self.seen[self.cursor - 1].clone();
            }
            assert!(
                started.elapsed() < deadline,
                "no datagram with {line:?} within {deadline:?}; datagrams: {:#?}\nlog:\n{}",
                self.seen,
                log.lines().join("\n")
            );
            let mut buf = [0u8; 4096];
            match self.socket.recv(&mut buf) {
                Ok(n) => self
                    .seen
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("recv on {}: {e}", self.path.display()),
            }
        }
    }

    /// How many datagrams received so far (matched or not) carry `line`.
    fn count(&self, line: &str) -> usize {
        self.seen
            .iter()
            .filter(|d| d.lines().any(|l| l == line))
            .count()
    }
}

#[test]
fn systemd_notify_sees_ready_reloading_and_stopping() {
    let site = Site::new("");
    let mut notify = NotifySocket::bind(site.path().join("notify.sock"));
    let mut command = site.run();
    command
        .env("NOTIFY_SOCKET", &notify.path)
        .env("WATCHDOG_USEC", "2000000");
    let mut novactor = Running::spawn(command);

    let ready = notify.next_with("READY=1", START, &novactor);
    assert!(
        ready
            .lines()
            .any(|l| l.starts_with("STATUS=") && l.contains("4/4 actors running")),
        "READY=1 without the status of the four actors: {ready:?}"
    );
    // Every actor really runs by then.
    novactor.wait_for("actor ready", 4, START);

    // WATCHDOG_USEC = 2 s: a ping at least every second while the supervisor answers.
    notify.next_with("WATCHDOG=1", Duration::from_secs(10), &novactor);
    notify.next_with("WATCHDOG=1", Duration::from_secs(10), &novactor);

    novactor.signal("HUP");
    let reloading = notify.next_with("RELOADING=1", START, &novactor);
    let monotonic = reloading
        .lines()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .unwrap_or_else(|| panic!("RELOADING=1 without MONOTONIC_USEC=: {reloading:?}"));
    assert!(
        monotonic.parse::<u64>().is_ok_and(|usec| usec > 0),
        "MONOTONIC_USEC={monotonic}"
    );
    let reloaded = notify.next_with("READY=1", START, &novactor);
    assert!(
        reloaded.lines().any(|l| l.starts_with("STATUS=")),
        "{reloaded:?}"
    );
    novactor.wait_for("SIGHUP: configuration reloaded", 1, START);
    assert_eq!(
        notify.count("READY=1"),
        2,
        "one READY=1 at start, one after the reload: {:#?}",
        notify.seen
    );

    novactor.signal("TERM");
    let stopping = notify.next_with("STOPPING=1", START, &novactor);
    assert!(
        stopping.lines().any(|l| l.starts_with("STATUS=")),
        "{stopping:?}"
    );
    let status = novactor.wait_exit(EXIT);
    assert_eq!(status.code(), Some(0), "{}", novactor.lines().join("\n"));
}

#[test]
fn binding_the_dashboard_to_a_non_loopback_address_without_a_token_warns() {
    // No token: the warning, and the dashboard still serves.
    let site = Site::new("");
    let port = free_port_on("0.0.0.0");
    let mut command = site.run();
    command
        .env("OS_DASHBOARD__LISTEN", "0.0.0.0")
        .env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);
    let log = novactor.lines().join("\n");
    assert_eq!(novactor.count(NO_TOKEN_WARNING), 1, "{log}");
    let warning = novactor
        .lines()
        .into_iter()
        .find(|l| l.contains(NO_TOKEN_WARNING))
        .unwrap();
    assert!(
        warning.contains("WARN") && warning.contains(&format!("0.0.0.0:{port}")),
        "{warning}"
    );
    let health = get(port, "/healthz");
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(
        health.header("content-type"),
        Some("application/health+json"),
        "{health:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&health.text).unwrap();
    assert_eq!(body["status"], "pass", "{body}");
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));

    // With a token: only the milder warning about open reads.
    let site = Site::new("");
    let port = free_port_on("0.0.0.0");
    let mut command = site.run();
    command
        .env("OS_DASHBOARD__LISTEN", "0.0.0.0")
        .env("OS_DASHBOARD__PORT", port.to_string())
        .env("OS_DASHBOARD__ADMIN_TOKEN", "a-token-for-the-test");
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);
    let log = novactor.lines().join("\n");
    assert_eq!(
        novactor.count("without [dashboard] admin_token"),
        0,
        "{log}"
    );
    assert_eq!(novactor.count(OPEN_READS_WARNING), 1, "{log}");
    assert!(
        !log.contains("a-token-for-the-test"),
        "token logged:\n{log}"
    );
    assert_eq!(get(port, "/healthz").status, 200);
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));
}

#[test]
fn a_taken_dashboard_port_stops_the_process_with_a_clear_error() {
    let site = Site::new("");
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let mut command = site.run();
    command.env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    let status = novactor.wait_exit(START);
    let log = novactor.lines().join("\n");
    assert_eq!(status.code(), Some(1), "{log}");
    let error = novactor
        .lines()
        .into_iter()
        .find(|l| l.starts_with("novactor: error: "))
        .unwrap_or_else(|| panic!("no error line on stderr:\n{log}"));
    assert!(
        error.contains(&format!("dashboard cannot listen on 127.0.0.1:{port}"))
            && error.contains("[dashboard] port"),
        "{error}"
    );
    // The port still belongs to its holder.
    assert_eq!(holder.local_addr().unwrap().port(), port);
}

/// The report with its time-dependent values blanked: timestamps, uptimes, counters that
/// move while the process idles (heartbeats, periodic runs, handled messages).
fn stable(report: &str) -> Vec<String> {
    let volatile = regex::Regex::new(
        r"(^|\s)(taken|uptime|since|last|next|reports|runs|failures|skipped|running|handled|mailbox|in_flight|outage)([ =])\S+",
    )
    .unwrap();
    let duration = regex::Regex::new(r"\((\d+(\.\d+)?s|-)\)").unwrap();
    report
        .lines()
        // Handlers in flight come and go (the compute's heartbeat goes through the conductor).
        .filter(|l| !l.trim_start().starts_with("in flight:"))
        .map(|l| {
            let l = volatile.replace_all(l, "$1$2$3*");
            duration.replace_all(&l, "(*)").into_owned()
        })
        .collect()
}

#[test]
fn sigusr2_and_get_report_give_the_same_report() {
    let secret = "report-secret-never-shown";
    let site = Site::new(&format!("\n[dashboard]\nadmin_token = {secret}\n"));
    let port = free_port();
    let mut command = site.run();
    command.env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);

    let reply = get(port, "/api/v1/report");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{reply:?}"
    );
    let http = reply.text;
    // Handlers in flight come and go between the two reports: count the other lines.
    let in_flight = |l: &str| l.trim_start().starts_with("in flight:");
    let expected = http.lines().filter(|l| !in_flight(l)).count();

    novactor.signal("USR2");
    // The report on stderr: from its title, the same number of lines (besides handlers in
    // flight), skipping log lines another thread may have written meanwhile.
    let log_line = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:").unwrap();
    let started = Instant::now();
    let signalled = loop {
        let lines = novactor.lines();
        if let Some(title) = lines
            .iter()
            .position(|l| l == "==== novactor state report ====")
        {
            let mut report = Vec::new();
            let mut counted = 0;
            for line in lines[title..].iter().filter(|l| !log_line.is_match(l)) {
                if counted == expected {
                    break;
                }
                counted += usize::from(!in_flight(line));
                report.push(line.clone());
            }
            if counted == expected {
                break report.join("\n");
            }
        }
        assert!(
            started.elapsed() < START,
            "no complete report on stderr within {START:?}:\n{}",
            lines.join("\n")
        );
        std::thread::sleep(Duration::from_millis(10));
    };

    assert_eq!(
        stable(&http),
        stable(&signalled),
        "GET /api/v1/report:\n{http}\n\nSIGUSR2:\n{signalled}"
    );

    // What the report must hold, in both.
    for report in [&http, &signalled] {
        assert!(
            report.starts_with("==== novactor state report ====\n"),
            "{report}"
        );
        assert!(
            report.contains(&format!("version {}", env!("CARGO_PKG_VERSION"))),
            "{report}"
        );
        assert!(
            report.contains("==== actors (supervisor -> actor instances) ===="),
            "{report}"
        );
        for (actor, binary) in [
            ("conductor", "nova-conductor"),
            ("scheduler", "nova-scheduler"),
            ("compute", "nova-compute"),
            ("api", "nova-api"),
        ] {
            let line = format!("\n{actor} [{binary} on {HOST}] state=running");
            assert!(report.contains(&line), "{line:?} missing:\n{report}");
        }
        assert!(
            report.contains("==== configuration (secrets masked) ===="),
            "{report}"
        );
        assert!(report.contains("\n[dashboard]\n"), "{report}");
        assert!(report.contains("\nadmin_token = ***"), "{report}");
        assert!(!report.contains(secret), "secret shown:\n{report}");
    }

    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));
}

/// The samples of a Prometheus text exposition: (series name, labels, value).
fn samples(exposition: &str) -> Vec<(String, String, f64)> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`<series> <value>`");
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            let value = value
                .parse()
                .unwrap_or_else(|e| panic!("{line:?}: value: {e}"));
            (
                name.to_owned(),
                labels.trim_end_matches('}').to_owned(),
                value,
            )
        })
        .collect()
}

#[test]
fn a_fresh_process_counts_no_error_in_metrics_or_snapshot() {
    let site = Site::new("");
    let port = free_port();
    let mut command = site.run();
    command.env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);

    // Every actor runs, the compute's service record exists and has reported.
    let started = Instant::now();
    let snapshot = loop {
        let snapshot: serde_json::Value =
            serde_json::from_str(&get(port, "/api/v1/snapshot").text).unwrap();
        let services: serde_json::Value =
            serde_json::from_str(&get(port, "/api/v1/services").text).unwrap();
        let running = snapshot["actors"]
            .as_array()
            .is_some_and(|actors| actors.iter().all(|a| a["state"] == "running"));
        let compute_reported = snapshot["actors"]
            .as_array()
            .and_then(|actors| actors.iter().find(|a| a["name"] == "compute"))
            .is_some_and(|compute| compute["heartbeat"]["reports"].as_u64() >= Some(1));
        let compute_registered = services["services"].as_array().is_some_and(|services| {
            services
                .iter()
                .any(|s| s["binary"] == "nova-compute" && s["host"] == HOST)
        });
        if running && compute_reported && compute_registered {
            break snapshot;
        }
        assert!(
            started.elapsed() < START,
            "not settled within {START:?}: {snapshot}\n{services}\nlog:\n{}",
            novactor.lines().join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    };

    // No error counted: every error or failure series that is not an expected-failure
    // series is zero.
    let metrics = get(port, "/metrics");
    assert_eq!(metrics.status, 200, "{metrics:?}");
    let samples = samples(&metrics.text);
    let counted: Vec<_> = samples
        .iter()
        .filter(|(name, _, value)| {
            let name = name.to_lowercase();
            (name.contains("error") || name.contains("failure"))
                && !name.contains("expected")
                && *value != 0.0
        })
        .collect();
    assert!(
        counted.is_empty(),
        "errors counted: {counted:#?}\n{}",
        metrics.text
    );
    // The compute's first resource audit asks the conductor for its compute node, which does
    // not exist yet: ComputeHostNotFound, expected on both sides (Nova's conductor replies
    // object failures as ExpectedException; the resource tracker then creates the node).
    let expected = |series: &str, labels: &str| {
        samples
            .iter()
            .find(|(name, l, _)| name == series && l == labels)
            .map(|(_, _, value)| *value)
    };
    assert_eq!(
        expected(
            "novactor_actor_handler_expected_failures_total",
            "actor=\"conductor\""
        ),
        Some(1.0),
        "{}",
        metrics.text
    );
    assert_eq!(
        expected(
            "novactor_rpc_client_expected_failures_total",
            "topic=\"conductor\""
        ),
        Some(1.0),
        "{}",
        metrics.text
    );

    // Nor does the snapshot show one.
    for actor in snapshot["actors"].as_array().unwrap() {
        assert_eq!(actor["errors_total"], 0, "{actor}");
        assert_eq!(actor["last_error"], serde_json::Value::Null, "{actor}");
        if let Some(heartbeat) = actor["heartbeat"].as_object() {
            assert_eq!(heartbeat["failures"], 0, "{actor}");
        }
        for task in actor["periodic_tasks"].as_array().unwrap() {
            assert_eq!(task["failures"], 0, "{actor}");
            assert_eq!(task["last_error"], serde_json::Value::Null, "{actor}");
        }
    }
    let conductor = snapshot["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "conductor")
        .unwrap();
    assert_eq!(conductor["expected_failures_total"], 1, "{conductor}");
    assert_eq!(
        snapshot["transport"]["last_error"],
        serde_json::Value::Null,
        "{snapshot}"
    );

    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));
}
