//! The binary on RabbitMQ: `novactor run --actors conductor` answers a real oslo client's
//! `baseapi.ping` exactly as nova-conductor does, and `novactor rpc call|cast` reports
//! results and failures with its exit codes.

use crate::common::oslo;
use std::time::Duration;

use crate::common::process::*;
use crate::common::{rabbit_url, unique};
use crate::nova::BIN;
use serde_json::json;

/// `novactor run --actors conductor --host <unique>` on the test broker.
fn conductor(dir: &std::path::Path) -> (Running, String) {
    let host = unique("h1");
    let conf = dir.join("nova.conf");
    std::fs::write(
        &conf,
        format!("[DEFAULT]\ntransport_url = {}\n", rabbit_url()),
    )
    .unwrap();
    let mut command = command(BIN.as_ref(), dir);
    command.args([
        "--config-file",
        conf.to_str().unwrap(),
        "run",
        "--actors",
        "conductor",
        "--host",
        &host,
    ]);
    let running = Running::spawn(command);
    running.wait_for("connected to RabbitMQ", 1, Duration::from_secs(30));
    running.wait_for("actor ready", 1, Duration::from_secs(30));
    (running, host)
}

fn rpc(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    command(BIN.as_ref(), dir)
        .arg("rpc")
        .args(args)
        .args(["--url", &rabbit_url()])
        .output()
        .unwrap()
}

#[test]
fn a_python_oslo_client_pings_novactor_conductor_like_nova_conductor() {
    let dir = tempfile::tempdir().unwrap();
    let (mut novactor, host) = conductor(dir.path());
    let answer = oslo::oslo_client(
        &rabbit_url(),
        &[
            "--topic",
            "conductor",
            "--server",
            &host,
            "--namespace",
            "baseapi",
            "--version",
            "1.0",
            "--method",
            "ping",
            "--args",
            r#"{"arg": {"from": "python"}}"#,
            "--call",
        ],
    );
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        answer["result"],
        json!({"service": "conductor", "arg": {"from": "python"}})
    );
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn rpc_call_prints_the_result_and_exit_codes_tell_failures_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut novactor, host) = conductor(dir.path());
    let ok = rpc(
        dir.path(),
        &[
            "call",
            "--topic",
            "conductor",
            "--server",
            &host,
            "--namespace",
            "baseapi",
            "--method",
            "ping",
            "--args",
            r#"{"arg": 7}"#,
            "--context",
            r#"{"user_id": "u1"}"#,
        ],
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(printed, json!({"service": "conductor", "arg": 7}));

    let remote = rpc(
        dir.path(),
        &[
            "call",
            "--topic",
            "conductor",
            "--server",
            &host,
            "--namespace",
            "baseapi",
            "--method",
            "nosuch",
        ],
    );
    assert_eq!(remote.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&remote.stderr)
        .contains("RemoteError:NoSuchMethod: Endpoint does not support RPC method nosuch"));

    let cast = rpc(
        dir.path(),
        &[
            "cast",
            "--topic",
            "conductor",
            "--server",
            &host,
            "--namespace",
            "baseapi",
            "--method",
            "ping",
            "--args",
            r#"{"arg": 1}"#,
        ],
    );
    assert_eq!(
        cast.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cast.stderr)
    );

    let nobody = unique("nobody");
    let timeout = rpc(
        dir.path(),
        &[
            "call",
            "--topic",
            &nobody,
            "--method",
            "ping",
            "--timeout",
            "0.5",
        ],
    );
    assert_eq!(timeout.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&timeout.stderr).contains("MessagingTimeout"));

    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn rpc_usage_errors_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["call", "--topic", "t"][..],
        &[
            "call",
            "--topic",
            "t",
            "--method",
            "m",
            "--args",
            "{not json",
        ],
        &["call", "--topic", "t", "--method", "m", "--args", "[1]"],
        &["call", "--topic", "t", "--method", "m", "--fanout"],
        &["call", "--topic", "t", "--method", "m", "--timeout", "-1"],
        &["frobnicate"],
    ] {
        let output = command(BIN.as_ref(), dir.path())
            .arg("rpc")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(64),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn rpc_to_an_unreachable_broker_exits_69_with_the_password_masked() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on (bound and closed at once).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rabbit://guest:hunter2@127.0.0.1:{port}/");
    let output = command(BIN.as_ref(), dir.path())
        .args([
            "rpc",
            "call",
            "--topic",
            "t",
            "--method",
            "m",
            "--timeout",
            "1",
            "--url",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(69));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach the broker") && stderr.contains("guest:***@127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
