//! A real Python oslo.messaging 18.3.1 client calls a novactor actor over RabbitMQ:
//! call, cast, fanout, a remote exception, NoSuchMethod, UnsupportedVersion, a namespace,
//! a timeout, and a long call kept alive by call-monitor heartbeats.

use std::time::Duration;

use crate::common::oslo::oslo_client_async;
use crate::common::*;
use serde_json::{json, Value};

/// A novactor server on a fresh topic, and the Python client's call with `args` to it.
async fn python_call(scenario: &Scenario, args: &[&str]) -> Value {
    let mut all: Vec<String> = vec!["--topic".into(), scenario.topic.clone()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    oslo_client_async(rabbit_url(), all).await
}

#[actix_rt::test]
async fn a_python_call_gets_the_actors_result() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let _node = scenario.node("py-h1", &[]).await;
    let answer = python_call(
        &scenario,
        &[
            "--version",
            "1.3",
            "--method",
            "echo",
            "--args",
            r#"{"value": {"n": 1, "u": "h\u00e9llo"}}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        answer["result"]["value"],
        json!({"n": 1, "u": "h\u{e9}llo"})
    );
    assert_eq!(answer["result"]["host"], "py-h1");
}

#[actix_rt::test]
async fn a_python_cast_and_a_python_fanout_reach_novactor_servers() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let _a = scenario.node("py-a", &[]).await;
    let _b = scenario.node("py-b", &[]).await;
    let cast = python_call(
        &scenario,
        &[
            "--server",
            "py-b",
            "--method",
            "record",
            "--args",
            r#"{"value": "direct"}"#,
            "--cast",
        ],
    )
    .await;
    assert_eq!(cast["ok"], true, "{cast}");
    let fanout = python_call(
        &scenario,
        &[
            "--fanout",
            "--method",
            "record",
            "--args",
            r#"{"value": "everyone"}"#,
            "--cast",
        ],
    )
    .await;
    assert_eq!(fanout["ok"], true, "{fanout}");
    let probe = &scenario.probe;
    wait_until(Duration::from_secs(20), "three records", || async {
        probe.records().len() == 3
    })
    .await;
    let mut records = probe.records();
    records.sort();
    assert_eq!(records, ["py-a:everyone", "py-b:direct", "py-b:everyone"]);
}

#[actix_rt::test]
async fn python_sees_remote_exceptions_and_dispatcher_errors_by_class() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let _node = scenario.node("py-h", &[]).await;
    let failed = python_call(
        &scenario,
        &["--version", "1.3", "--method", "fail", "--call"],
    )
    .await;
    assert_eq!(
        (failed["error"].as_str(), failed["exc_type"].as_str()),
        (Some("remote"), Some("InstanceNotFound")),
        "{failed}"
    );
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Instance x could not be found."),
        "{failed}"
    );

    let missing = python_call(
        &scenario,
        &["--version", "1.3", "--method", "nosuch", "--call"],
    )
    .await;
    assert_eq!(missing["exc_type"], "NoSuchMethod", "{missing}");
    assert_eq!(
        missing["raised"], "NoSuchMethod_Remote",
        "typed through allowed_remote_exmods: {missing}"
    );

    let newer = python_call(
        &scenario,
        &[
            "--version",
            "1.4",
            "--method",
            "echo",
            "--args",
            r#"{"value": 1}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(newer["exc_type"], "UnsupportedVersion", "{newer}");
    assert!(
        newer["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Endpoint does not support RPC version 1.4. Attempted method: echo"),
        "{newer}"
    );

    let bad_args = python_call(
        &scenario,
        &["--version", "1.3", "--method", "echo", "--call"],
    )
    .await;
    assert_eq!(
        (bad_args["exc_type"].as_str(), bad_args["raised"].as_str()),
        (Some("TypeError"), Some("TypeError")),
        "{bad_args}"
    );
}

#[actix_rt::test]
async fn a_python_call_into_a_namespace_reaches_that_endpoint() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let _node = scenario.node("py-h", &[]).await;
    let answer = python_call(
        &scenario,
        &[
            "--namespace",
            "test",
            "--version",
            "2.0",
            "--method",
            "ns_echo",
            "--args",
            r#"{"value": 7}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(
        answer["result"],
        json!({"ns": "test", "value": 7}),
        "{answer}"
    );
    let other = python_call(
        &scenario,
        &[
            "--namespace",
            "other",
            "--method",
            "ns_echo",
            "--args",
            r#"{"value": 7}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(other["exc_type"], "UnsupportedVersion", "{other}");
}

#[actix_rt::test]
async fn a_python_call_times_out_on_a_slow_handler_and_heartbeats_keep_a_long_one_alive() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let _node = scenario.node("py-h", &[]).await;
    let timed_out = python_call(
        &scenario,
        &[
            "--version",
            "1.3",
            "--timeout",
            "1",
            "--method",
            "sleep",
            "--args",
            r#"{"ms": 3000}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(timed_out["error"], "timeout", "{timed_out}");
    // 5 s of work under a 4 s call-monitor timeout: only our heartbeats (every 2 s) save it.
    let kept = python_call(
        &scenario,
        &[
            "--version",
            "1.3",
            "--timeout",
            "30",
            "--call-monitor-timeout",
            "4",
            "--method",
            "sleep",
            "--args",
            r#"{"ms": 5000}"#,
            "--call",
        ],
    )
    .await;
    assert_eq!(kept["ok"], true, "{kept}");
    assert_eq!(kept["result"]["slept_ms"], 5000);
}
