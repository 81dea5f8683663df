//! oslo routing, over `memory://` and over RabbitMQ: topic → one consumer (round-robin),
//! topic.server → that host, fanout → every server; timeouts; failures; bad input. Every
//! scenario uses a topic of its own, so runs on one shared RabbitMQ never see each other.

use std::time::Duration;

use novactor::rpc::transport::{OutgoingMessage, Route};
use novactor::rpc::{CallError, RequestContext, Target};
use serde_json::json;

use crate::common::*;

/// Two nodes (hosts a and b) serving the scenario's topic on one broker.
async fn two_hosts(broker: Broker) -> (Scenario, novactor::Node, novactor::Node) {
    let scenario = Scenario::new(broker).await;
    let a = scenario.node("a", &[]).await;
    let b = scenario.node("b", &[]).await;
    (scenario, a, b)
}

async fn a_call_returns_the_handlers_result(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("solo", &[]).await;
    let reply = scenario
        .client(&node)
        .call(
            &RequestContext::new(),
            "echo",
            json!({"value": {"n": 1, "u": "h\u{e9}llo \u{2603}", "l": [1, "two", null]}}),
        )
        .await
        .expect("call succeeds");
    assert_eq!(
        reply["value"],
        json!({"n": 1, "u": "h\u{e9}llo \u{2603}", "l": [1, "two", null]})
    );
    assert_eq!(reply["host"], "solo");
}

async fn topic_calls_round_robin_over_the_servers_of_the_topic(broker: Broker) {
    let (scenario, a, _b) = two_hosts(broker).await;
    let client = scenario.client(&a);
    let mut hosts = Vec::new();
    for i in 0..6 {
        let reply = client
            .call(&RequestContext::new(), "echo", json!({"value": i}))
            .await
            .unwrap();
        hosts.push(reply["host"].as_str().unwrap().to_owned());
    }
    assert_eq!(hosts.iter().filter(|h| *h == "a").count(), 3, "{hosts:?}");
    assert_eq!(hosts.iter().filter(|h| *h == "b").count(), 3, "{hosts:?}");
}

async fn server_directed_messages_reach_only_that_host(broker: Broker) {
    let (scenario, a, _b) = two_hosts(broker).await;
    let to_b = scenario.client(&a).with_server("b");
    for i in 0..4 {
        let reply = to_b
            .call(&RequestContext::new(), "echo", json!({"value": i}))
            .await
            .unwrap();
        assert_eq!(reply["host"], "b");
    }
    for i in 0..3 {
        to_b.cast(
            &RequestContext::new(),
            "record",
            json!({"value": format!("c{i}")}),
        )
        .await
        .unwrap();
    }
    let probe = &scenario.probe;
    wait_until(Duration::from_secs(10), "three casts recorded", || async {
        probe.records().len() == 3
    })
    .await;
    assert_eq!(probe.records(), vec!["b:c0", "b:c1", "b:c2"]);
}

async fn a_fanout_cast_reaches_every_server_once(broker: Broker) {
    let (scenario, a, _b) = two_hosts(broker).await;
    scenario
        .client(&a)
        .with_fanout()
        .cast(&RequestContext::new(), "record", json!({"value": "all"}))
        .await
        .unwrap();
    let probe = &scenario.probe;
    wait_until(Duration::from_secs(10), "both hosts recorded", || async {
        probe.records().len() == 2
    })
    .await;
    let mut records = probe.records();
    records.sort();
    assert_eq!(records, vec!["a:all", "b:all"]);
}

async fn a_topic_cast_is_handled_by_exactly_one_server(broker: Broker) {
    let (scenario, a, _b) = two_hosts(broker).await;
    let client = scenario.client(&a);
    client
        .cast(&RequestContext::new(), "record", json!({"value": "one"}))
        .await
        .unwrap();
    let probe = &scenario.probe;
    wait_until(Duration::from_secs(10), "the cast recorded", || async {
        !probe.records().is_empty()
    })
    .await;
    // Calls after the cast on both servers: a duplicate delivery would have shown by now.
    for _ in 0..4 {
        client
            .call(&RequestContext::new(), "echo", json!({"value": 0}))
            .await
            .unwrap();
    }
    assert_eq!(probe.records().len(), 1);
}

async fn a_call_nobody_answers_times_out_naming_target_and_reply_queue(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    let nobody = unique("nobody_listens");
    let client = node
        .client(Target::topic(&nobody))
        .with_timeout(Duration::from_millis(500));
    let started = std::time::Instant::now();
    let error = client
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() >= Duration::from_millis(500));
    let text = error.to_string();
    assert!(
        text.starts_with("Timed out waiting for a reply to message ID"),
        "{text}"
    );
    assert!(text.contains(&nobody) && text.contains("reply_"), "{text}");
}

async fn a_slow_handler_past_the_timeout_is_a_messaging_timeout(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    let error = scenario
        .client(&node)
        .with_timeout(Duration::from_millis(300))
        .call(&RequestContext::new(), "sleep", json!({"ms": 1500}))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

async fn call_monitor_heartbeats_keep_a_long_call_alive(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    // Heartbeats every 1 s (int(2)/2); without them the 2 s monitor would expire first.
    let reply = scenario
        .client(&node)
        .with_timeout(Duration::from_secs(10))
        .with_call_monitor_timeout(Duration::from_secs(2))
        .call(&RequestContext::new(), "sleep", json!({"ms": 3000}))
        .await
        .expect("heartbeats kept the call alive");
    assert_eq!(reply["slept_ms"], 3000);
}

async fn a_call_to_a_fanout_target_is_refused_client_side(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    let error = scenario
        .client(&node)
        .with_fanout()
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot be fanout"), "{error}");
}

async fn handler_failures_come_back_with_class_module_and_message(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    let error = scenario
        .client(&node)
        .call(&RequestContext::new(), "fail", json!({}))
        .await
        .unwrap_err();
    let CallError::Remote(failure) = error else {
        panic!("not remote: {error}")
    };
    assert_eq!(
        (failure.class.as_str(), failure.module.as_str()),
        ("InstanceNotFound", "nova.exception")
    );
    assert_eq!(failure.message, "Instance x could not be found.");
    let missing = scenario
        .client(&node)
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert_eq!(missing.remote_class(), Some("TypeError"), "{missing}");
}

async fn unreadable_messages_are_rejected_and_the_server_keeps_serving(broker: Broker) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    for body in [
        &b"garbage"[..],
        br#"{"oslo.version": "3.0", "oslo.message": "{}"}"#,
        br#"{"oslo.version": "2.0", "oslo.message": "{\"args\": {}}"}"#,
        br#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"_msg_id\": \"x\"}"}"#,
    ] {
        scenario
            .transport
            .publish(OutgoingMessage {
                route: Route::Topic {
                    exchange: node.env().config().default.control_exchange.clone(),
                    routing_key: scenario.topic.clone(),
                },
                body: body.to_vec(),
                expiration: None,
            })
            .await
            .unwrap();
    }
    let reply = scenario
        .client(&node)
        .call(
            &RequestContext::new(),
            "echo",
            json!({"value": "still here"}),
        )
        .await
        .unwrap();
    assert_eq!(reply["value"], "still here");
    assert_eq!(
        snapshot(&node)
            .await
            .actor("echo")
            .unwrap()
            .state
            .to_string(),
        "running"
    );
}

scenarios! {
    #[actix_rt::test]
    (memory: Broker::Memory, rabbit: Broker::Rabbit)
    [
        a_call_returns_the_handlers_result,
        topic_calls_round_robin_over_the_servers_of_the_topic,
        server_directed_messages_reach_only_that_host,
        a_fanout_cast_reaches_every_server_once,
        a_topic_cast_is_handled_by_exactly_one_server,
        a_call_nobody_answers_times_out_naming_target_and_reply_queue,
        a_slow_handler_past_the_timeout_is_a_messaging_timeout,
        call_monitor_heartbeats_keep_a_long_call_alive,
        a_call_to_a_fanout_target_is_refused_client_side,
        handler_failures_come_back_with_class_module_and_message,
        unreadable_messages_are_rejected_and_the_server_keeps_serving,
    ]
}
