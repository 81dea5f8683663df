//! The binary from the outside: `novactor run` on embedded defaults, SIGTERM, SIGHUP,
//! SIGUSR2, the `nova-<service>` program-name rule and argument errors.

use std::time::Duration;

use crate::common::process::*;
use crate::nova::BIN;

#[test]
fn run_with_no_config_hosts_all_four_actors_ready_within_a_second_and_sigterm_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = command(BIN.as_ref(), dir.path());
    command.arg("run");
    let mut novactor = Running::spawn(command);
    let took = novactor.wait_for("actor ready", 4, Duration::from_secs(10));
    let log = novactor.lines().join("\n");
    for actor in [
        "actor=conductor",
        "actor=scheduler",
        "actor=compute",
        "actor=api",
    ] {
        assert!(log.contains(actor), "{actor} missing:\n{log}");
    }
    // The four ready lines come within 1 s of the start line.
    let starting = novactor
        .lines()
        .iter()
        .position(|l| l.contains("novactor starting"))
        .expect("start line");
    let last_ready = novactor
        .lines()
        .iter()
        .rposition(|l| l.contains("actor ready"))
        .unwrap();
    let stamp = |line: &str| {
        chrono::DateTime::parse_from_rfc3339(line.split_whitespace().next().unwrap()).unwrap()
    };
    let lines = novactor.lines();
    let spread = stamp(&lines[last_ready]) - stamp(&lines[starting]);
    assert!(
        spread < chrono::Duration::seconds(1),
        "ready after {spread} (observed {took:?})"
    );
    assert!(log.contains("transport=memory://"), "{log}");

    novactor.signal("TERM");
    let status = novactor.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", novactor.lines().join("\n"));
    assert!(
        novactor.count("actor stopped") == 4,
        "{}",
        novactor.lines().join("\n")
    );
}

#[test]
fn sighup_rereads_the_file_and_applies_debug_and_sigusr2_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    std::fs::write(
        &conf,
        "[DEFAULT]\ndebug = false\nhost = hup-host\ntransport_url = memory://\n",
    )
    .unwrap();
    let mut command = command(BIN.as_ref(), dir.path());
    command
        .args(["run", "--actors", "conductor", "--config-file"])
        .arg(&conf);
    let mut novactor = Running::spawn(command);
    novactor.wait_for("actor ready", 1, Duration::from_secs(10));
    novactor.signal("USR2");
    novactor.wait_for(
        "==== configuration (secrets masked) ====",
        1,
        Duration::from_secs(10),
    );
    let report = novactor.lines().join("\n");
    assert!(
        report.contains("==== novactor state report ===="),
        "{report}"
    );
    assert!(
        report.contains("conductor [nova-conductor on hup-host] state=running"),
        "{report}"
    );
    assert!(
        report.contains("rpc queues: conductor, conductor.hup-host"),
        "{report}"
    );
    assert!(
        report.contains("delivery: at-most-once (ack before dispatch) for every method"),
        "{report}"
    );
    assert!(
        report.contains("transport memory: state=Connected"),
        "{report}"
    );
    assert!(report.contains("ready true"), "{report}");
    assert_eq!(
        novactor.count("SIGUSR2: writing the state report"),
        0,
        "debug is off: {report}"
    );

    std::fs::write(
        &conf,
        "[DEFAULT]\ndebug = true\nhost = other-host\ntransport_url = memory://\n",
    )
    .unwrap();
    novactor.signal("HUP");
    novactor.wait_for("SIGHUP: configuration reloaded", 1, Duration::from_secs(10));
    let log = novactor.lines().join("\n");
    assert!(
        log.contains("SIGHUP: option changed") && log.contains("[DEFAULT] debug"),
        "{log}"
    );
    assert!(
        log.contains("only takes effect after a restart") && log.contains("[DEFAULT] host"),
        "{log}"
    );

    // debug now applies: the same request logs its debug line.
    novactor.signal("USR2");
    novactor.wait_for(
        "SIGUSR2: writing the state report",
        1,
        Duration::from_secs(10),
    );
    novactor.wait_for(
        "==== configuration (secrets masked) ====",
        2,
        Duration::from_secs(10),
    );
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn invoked_as_nova_compute_it_hosts_only_compute_which_waits_for_a_conductor() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("nova-compute");
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let mut command = command(&link, dir.path());
    command.args(["--config-file", "/dev/null"]);
    let mut novactor = Running::spawn(command);
    novactor.wait_for("novactor starting", 1, Duration::from_secs(10));
    let log = novactor.lines().join("\n");
    assert!(log.contains("actors=[\"compute\"]"), "{log}");
    // Alone, compute waits for a conductor (Nova's wait_until_ready) and starts nothing else.
    assert!(!log.contains("actor=conductor"), "{log}");
    assert_eq!(novactor.count("actor ready"), 0, "{log}");
    novactor.signal("INT");
    assert_eq!(
        novactor.wait_exit(Duration::from_secs(20)).code(),
        Some(0),
        "{}",
        novactor.lines().join("\n")
    );
}

#[test]
fn an_unknown_actor_name_is_exit_2_listing_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .args(["run", "--actors", "compute,nosuch"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nosuch") && stderr.contains("conductor, scheduler, compute, api"),
        "{stderr}"
    );
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("novactor {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn use_json_and_log_file_write_json_lines_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("novactor.log");
    let mut command = command(BIN.as_ref(), dir.path());
    command
        .env("OS_DEFAULT__USE_JSON", "true")
        .args(["run", "--actors", "scheduler", "--log-file"])
        .arg(&log);
    let mut novactor = Running::spawn(command);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("actor ready")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no ready line in {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(Duration::from_secs(20)).code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let ready = text
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
        })
        .find(|v| v["fields"]["message"] == "actor ready")
        .expect("a ready event");
    assert_eq!(ready["fields"]["actor"], "scheduler");
    assert_eq!(ready["level"], "INFO");
    assert!(
        novactor.lines().iter().all(|l| !l.contains("actor ready")),
        "stderr stays quiet"
    );
}

#[test]
fn with_no_api_enabled_the_api_process_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .env("OS_DEFAULT__ENABLED_APIS", "metadata")
        .args(["run", "--actors", "api"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("lacks osapi_compute"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
