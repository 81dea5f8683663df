//! At-most-once vs at-least-once delivery, over `memory://` and over RabbitMQ.
//! At-most-once (oslo's default: ack before dispatch) loses a message whose handler crashed;
//! at-least-once (ack after handling) hands it to the restarted actor.

use std::time::Duration;

use novactor::rpc::RequestContext;
use novactor::supervisor::ActorState;
use serde_json::json;

use crate::common::*;

const FAST_RESTARTS: [(&str, &str, &str); 2] = [
    ("supervisor", "restart_backoff_initial", "0.05"),
    ("supervisor", "restart_backoff_max", "0.2"),
];

async fn restarted(node: &novactor::Node) {
    wait_until(Duration::from_secs(15), "the actor restarted", || async {
        let s = snapshot(node).await;
        let a = s.actor("echo").unwrap();
        a.incarnation >= 2 && a.state == ActorState::Running
    })
    .await;
}

async fn at_least_once_redelivers_a_cast_whose_handler_crashed(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &FAST_RESTARTS).await;
    scenario
        .client(&node)
        .cast(
            &RequestContext::new(),
            "crash_once_safe",
            json!({"value": "kept"}),
        )
        .await
        .unwrap();
    restarted(&node).await;
    let probe = &scenario.probe;
    wait_until(
        Duration::from_secs(15),
        "the redelivered cast handled",
        || async { probe.records() == ["h:kept"] },
    )
    .await;
    assert_eq!(
        probe.attempts.lock().unwrap()["kept"],
        2,
        "one crash, one success"
    );
}

async fn at_least_once_call_is_answered_by_the_redelivered_attempt(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &FAST_RESTARTS).await;
    let reply = scenario
        .client(&node)
        .with_timeout(Duration::from_secs(20))
        .call(
            &RequestContext::new(),
            "crash_once_safe",
            json!({"value": "answered"}),
        )
        .await;
    assert!(reply.is_ok(), "the second attempt answered: {reply:?}");
    assert_eq!(scenario.probe.records(), ["h:answered"]);
}

async fn at_most_once_loses_a_cast_whose_handler_crashed_as_oslo_does(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &FAST_RESTARTS).await;
    let client = scenario.client(&node);
    client
        .cast(
            &RequestContext::new(),
            "crash_once",
            json!({"value": "lost"}),
        )
        .await
        .unwrap();
    restarted(&node).await;
    // A call after the restart is served; had the cast come back, it would have been
    // handled before this call's reply (same queue, one consumer, in order).
    client
        .cast(&RequestContext::new(), "record", json!({"value": "marker"}))
        .await
        .unwrap();
    let probe = &scenario.probe;
    wait_until(Duration::from_secs(15), "the marker", || async {
        probe.records().contains(&"h:marker".to_owned())
    })
    .await;
    assert_eq!(
        probe.records(),
        ["h:marker"],
        "the crashed cast was not redelivered"
    );
    assert_eq!(probe.attempts.lock().unwrap()["lost"], 1);
}

scenarios! {
    #[actix_rt::test]
    (memory: Broker::Memory, rabbit: Broker::Rabbit)
    [
        at_least_once_redelivers_a_cast_whose_handler_crashed,
        at_least_once_call_is_answered_by_the_redelivered_attempt,
        at_most_once_loses_a_cast_whose_handler_crashed_as_oslo_does,
    ]
}
