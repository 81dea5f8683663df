//! `/metrics` of an in-process node's dashboard, read back with the reference Python
//! parser (prometheus_client, from the venv of `scripts/python-venv.sh`): a panicking actor
//! shows its restarts and last error in the API and in the metrics.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::oslo;
use crate::common::*;
use crate::dash::{dash, wait_actor};
use novactor::rpc::RequestContext;
use serde_json::{json, Value};

/// The families prometheus_client's text parser reads from `text` (it fails on any
/// malformed line), as `{family: {"type": …, "samples": [[name, labels, value]…]}}`.
fn parse_with_prometheus_client(text: &str) -> Value {
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = {"type": family.type,
        "samples": [[s.name, s.labels, s.value] for s in family.samples]}
print(json.dumps(families))
"#;
    let mut child = Command::new(oslo::python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client rejected /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sample(families: &Value, family: &str, sample: &str, labels: &Value) -> Option<f64> {
    families[family]["samples"]
        .as_array()?
        .iter()
        .find(|s| {
            s[0] == sample
                && labels
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| &s[1][k] == v)
        })
        .and_then(|s| s[2].as_f64())
}

#[actix_rt::test]
async fn a_panicking_actor_shows_its_restarts_and_last_error_in_the_api_and_in_metrics() {
    let (dash, _) = dash(&[], None).await;
    let client = echo_client(&dash.node);
    let ctx = RequestContext::new();
    client
        .call(&ctx, "echo", json!({"value": 1}))
        .await
        .unwrap();
    let crashed = client.call(&ctx, "boom", json!({})).await;
    assert!(crashed.is_err(), "boom panics");
    let actor = wait_actor(&dash, "the restart", |a| {
        a["state"] == "running" && a["restarts"] == 1
    })
    .await;
    assert_eq!(actor["incarnation"], 2);
    let error = actor["last_error"].as_str().unwrap();
    assert!(error.contains("boom requested by the test"), "{error}");
    assert_eq!(actor["messages_total"], 2, "{actor}");
    assert_eq!(actor["errors_total"], 1, "{actor}");

    let metrics = dash.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .content_type
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        metrics.content_type
    );
    let families = parse_with_prometheus_client(&metrics.text);
    let echo = json!({"actor": "echo"});
    assert_eq!(
        sample(
            &families,
            "novactor_actor_restarts",
            "novactor_actor_restarts_total",
            &echo
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &families,
            "novactor_actor_handler_errors",
            "novactor_actor_handler_errors_total",
            &json!({"actor": "echo", "kind": "crashed"})
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &families,
            "novactor_actor_handler_duration_seconds",
            "novactor_actor_handler_duration_seconds_count",
            &echo
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &families,
            "novactor_actor_state",
            "novactor_actor_state",
            &json!({"actor": "echo", "state": "running"})
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &families,
            "novactor_rpc_client_requests",
            "novactor_rpc_client_requests_total",
            &json!({"topic": "echo", "kind": "call"})
        ),
        Some(2.0)
    );
    assert_eq!(
        families["novactor_actor_handler_duration_seconds"]["type"],
        "histogram"
    );
    for family in [
        "novactor_actor_mailbox_depth",
        "novactor_actor_in_flight",
        "novactor_broker_connected",
        "novactor_broker_reconnects",
        "novactor_periodic_task_runs",
        "process_resident_memory_bytes",
    ] {
        assert!(
            families.get(family).is_some(),
            "{family} missing from /metrics"
        );
    }
}
