//! `/readyz` turns `fail` (503) while RabbitMQ is stopped (`rabbitmqctl stop_app`) and
//! `pass` again once it is back and the consumers resumed; `/healthz` stays `pass`, and
//! `/metrics` counts the loss and the reconnect. It stops the shared broker, so it takes its
//! turn with the other chaos tests.

use std::time::Duration;

use crate::common::*;
use crate::dash::{Answer, Dash};
use crate::outages::{rabbitmqctl, BrokerBack};
use crate::ONE_AT_A_TIME;
use novactor::rpc::RequestContext;
use serde_json::{json, Value};

async fn wait_ready(dash: &Dash, status: u16, verdict: &str, within: Duration) -> Answer {
    wait_until(within, &format!("/readyz {status} {verdict}"), async || {
        let answer = dash.get("/readyz").await;
        if answer.status == status && answer.json()["status"] == verdict {
            Ok(answer)
        } else {
            Err(format!("{} {}", answer.status, answer.text))
        }
    })
    .await
}

fn broker_check(answer: &Answer) -> Value {
    answer.json()["checks"]["broker:connection"][0].clone()
}

#[actix_rt::test]
async fn readyz_fails_while_rabbitmq_is_stopped_and_passes_after_it_returns() {
    let _turn = ONE_AT_A_TIME.lock().await;
    init_test_logging();
    let scenario = Scenario::new(Broker::Rabbit).await;
    let node = scenario
        .node(
            "readyz-host",
            &[("oslo_messaging_rabbit", "rabbit_retry_interval", "1")],
        )
        .await;
    let dash = Dash::serve(&node, None, Vec::new());
    let ready = wait_ready(&dash, 200, "pass", Duration::from_secs(10)).await;
    assert_eq!(broker_check(&ready)["componentId"], "rabbit");

    let _back = BrokerBack;
    tokio::task::spawn_blocking(|| rabbitmqctl("stop_app"))
        .await
        .unwrap();
    let down = wait_ready(&dash, 503, "fail", Duration::from_secs(30)).await;
    let broker = broker_check(&down);
    assert_eq!(broker["status"], "fail", "{broker}");
    assert!(
        down.json()["output"]
            .as_str()
            .unwrap()
            .contains("broker:connection"),
        "{}",
        down.text
    );
    let alive = dash.get("/healthz").await;
    assert_eq!(
        (alive.status, alive.json()["status"].clone()),
        (200, json!("pass"))
    );

    tokio::task::spawn_blocking(|| rabbitmqctl("start_app"))
        .await
        .unwrap();
    wait_ready(&dash, 200, "pass", Duration::from_secs(60)).await;
    let answer = scenario
        .client(&node)
        .with_timeout(Duration::from_secs(10))
        .call(&RequestContext::new(), "echo", json!({"value": "back"}))
        .await
        .expect("consumers resumed");
    assert_eq!(answer["value"], "back");

    let metrics = dash.get("/metrics").await.text;
    for line in [
        "novactor_broker_connected 1",
        "novactor_broker_connection_losses_total 1",
        "novactor_broker_reconnects_total 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing:\n{metrics}"
        );
    }
}
