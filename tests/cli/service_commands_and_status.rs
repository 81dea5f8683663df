//! The operator commands from the outside, on the embedded SQLite database: `db sync`,
//! `service list|disable|enable|force-down`, `status`, and a stopped service turning
//! `down` after `service_down_time`.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::process::*;
use crate::nova::BIN;
use serde_json::Value;

fn novactor(home: &Path, args: &[&str]) -> Output {
    command(BIN.as_ref(), home)
        .env("OS_DEFAULT__REPORT_INTERVAL", "1")
        .env("OS_DEFAULT__SERVICE_DOWN_TIME", "3")
        .args(args)
        .output()
        .unwrap()
}

fn services(home: &Path) -> Vec<Value> {
    let output = novactor(home, &["service", "list", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn service<'a>(list: &'a [Value], binary: &str) -> &'a Value {
    list.iter()
        .find(|s| s["Binary"] == binary)
        .unwrap_or_else(|| panic!("{binary} not in {list:?}"))
}

/// Run conductor + compute until both reported twice, then stop them.
fn run_until_reported(home: &Path) {
    let mut command = command(BIN.as_ref(), home);
    command.env("OS_DEFAULT__REPORT_INTERVAL", "1").args([
        "run",
        "--actors",
        "conductor,compute",
        "--host",
        "op1",
    ]);
    let mut running = Running::spawn(command);
    running.wait_for("actor ready", 2, Duration::from_secs(20));
    let started = Instant::now();
    loop {
        let list = services(home);
        let count = |binary: &str| list.iter().find(|s| s["Binary"] == binary).map(|_| ());
        if count("nova-conductor").is_some()
            && count("nova-compute").is_some()
            && started.elapsed() > Duration::from_millis(2500)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "services never registered: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    running.signal("TERM");
    assert_eq!(running.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn service_commands_need_a_synced_schema_and_db_sync_is_idempotent() {
    let home = tempfile::tempdir().unwrap();
    let before = novactor(home.path(), &["service", "list"]);
    assert_eq!(before.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&before.stderr).contains("run `novactor db sync`"),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    for _ in 0..2 {
        let sync = novactor(home.path(), &["db", "sync"]);
        assert_eq!(
            sync.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&sync.stderr)
        );
        assert!(String::from_utf8_lossy(&sync.stdout).contains("is at the current schema"));
    }
    assert_eq!(services(home.path()), Vec::<Value>::new());
}

#[test]
fn disable_enable_and_force_down_show_in_service_list_and_a_stopped_service_goes_down() {
    let home = tempfile::tempdir().unwrap();
    run_until_reported(home.path());
    let list = services(home.path());
    assert_eq!(service(&list, "nova-compute")["State"], "up", "{list:?}");
    assert_eq!(service(&list, "nova-compute")["Zone"], "nova");
    assert_eq!(service(&list, "nova-conductor")["Zone"], "internal");

    let disable = novactor(
        home.path(),
        &[
            "service",
            "disable",
            "op1",
            "nova-compute",
            "--reason",
            "hardware check",
        ],
    );
    assert_eq!(
        disable.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&disable.stderr)
    );
    let list = services(home.path());
    assert_eq!(
        (
            service(&list, "nova-compute")["Status"].as_str(),
            service(&list, "nova-compute")["Disabled Reason"].as_str()
        ),
        (Some("disabled"), Some("hardware check"))
    );

    assert_eq!(
        novactor(home.path(), &["service", "enable", "op1", "nova-compute"])
            .status
            .code(),
        Some(0)
    );
    let list = services(home.path());
    assert_eq!(service(&list, "nova-compute")["Status"], "enabled");
    assert_eq!(
        service(&list, "nova-compute")["Disabled Reason"],
        Value::Null
    );

    assert_eq!(
        novactor(
            home.path(),
            &["service", "force-down", "op1", "nova-conductor"]
        )
        .status
        .code(),
        Some(0)
    );
    let list = services(home.path());
    assert_eq!(
        (
            service(&list, "nova-conductor")["State"].as_str(),
            service(&list, "nova-conductor")["Forced Down"].as_bool()
        ),
        (Some("down"), Some(true))
    );
    assert_eq!(
        novactor(
            home.path(),
            &["service", "force-down", "op1", "nova-conductor", "--up"]
        )
        .status
        .code(),
        Some(0)
    );

    // Nobody reports any more: after service_down_time (3 s here) both are down.
    let started = Instant::now();
    while service(&services(home.path()), "nova-compute")["State"] != "down" {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "compute never went down"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = novactor(home.path(), &["status"]);
    assert_eq!(
        status.status.code(),
        Some(2),
        "no conductor up is a failure"
    );
    assert!(String::from_utf8_lossy(&status.stdout)
        .contains("none of 1 registered nova-conductor services is up"));

    let unknown = novactor(
        home.path(),
        &["service", "disable", "nowhere", "nova-compute"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));
}

#[test]
fn status_passes_the_conductor_and_warns_of_an_in_process_transport() {
    let home = tempfile::tempdir().unwrap();
    let mut command = command(BIN.as_ref(), home.path());
    command.env("OS_DEFAULT__REPORT_INTERVAL", "1").args([
        "run",
        "--actors",
        "conductor",
        "--host",
        "st1",
    ]);
    let mut running = Running::spawn(command);
    running.wait_for("actor ready", 1, Duration::from_secs(20));
    let started = Instant::now();
    let status = loop {
        let status = novactor(home.path(), &["status"]);
        if String::from_utf8_lossy(&status.stdout).contains("1 of 1 nova-conductor services up") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the conductor never counted up: {}",
            String::from_utf8_lossy(&status.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = String::from_utf8_lossy(&status.stdout);
    // The database and the conductor pass; memory:// reaches no other process: a warning,
    // exit 1 (nova-status's code for it).
    assert_eq!(status.status.code(), Some(1), "{text}");
    assert!(
        text.contains("| Check: Database\n| Result: Success")
            && text.contains("| Check: Message broker\n| Result: Warning")
            && text.contains("no other process can reach"),
        "{text}"
    );
    running.signal("TERM");
    assert_eq!(running.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn a_compute_only_process_opens_no_database() {
    let home = tempfile::tempdir().unwrap();
    let mut command = command(BIN.as_ref(), home.path());
    command.args(["run", "--actors", "compute", "--host", "lonely"]);
    let mut running = Running::spawn(command);
    running.wait_for("novactor starting", 1, Duration::from_secs(10));
    // Give start-up the time it would need to create a database file.
    std::thread::sleep(Duration::from_millis(500));
    running.signal("TERM");
    assert_eq!(running.wait_exit(Duration::from_secs(20)).code(), Some(0));
    let state = home.path().join(".local/state/novactor/novactor.sqlite");
    assert!(
        !state.exists(),
        "a compute-only process created {}",
        state.display()
    );
}
