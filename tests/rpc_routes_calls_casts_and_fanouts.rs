//! oslo routing over `memory://`: topic → one consumer (round-robin), topic.server → that
//! host, fanout → every server; call timeouts are MessagingTimeout naming target and queue.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RequestContext, Target, Transport};
use serde_json::json;

/// Two nodes (hosts a and b) serving topic `echo` on one broker, plus the probe.
async fn two_hosts() -> (
    novactor::Node,
    novactor::Node,
    Arc<Probe>,
    Arc<MemoryTransport>,
) {
    let transport = Arc::new(MemoryTransport::new());
    let probe = Arc::new(Probe::default());
    let mut nodes = Vec::new();
    for host in ["a", "b"] {
        let config = config(&[("DEFAULT", "host", host)]);
        let service = echo_service("echo", "echo", &config, &probe);
        nodes.push(
            node_on(
                transport.clone() as Arc<dyn Transport>,
                config,
                vec![service],
            )
            .await,
        );
    }
    let b = nodes.pop().unwrap();
    let a = nodes.pop().unwrap();
    (a, b, probe, transport)
}

#[actix_rt::test]
async fn a_call_returns_the_handlers_result() {
    let (node, _) = echo_node(&[("DEFAULT", "host", "solo")]).await;
    let reply = echo_client(&node)
        .call(
            &RequestContext::new(),
            "echo",
            json!({"value": {"n": 1, "u": "h\u{e9}llo"}}),
        )
        .await
        .expect("call succeeds");
    assert_eq!(reply["value"], json!({"n": 1, "u": "h\u{e9}llo"}));
    assert_eq!(reply["host"], "solo");
}

#[actix_rt::test]
async fn topic_calls_round_robin_over_the_servers_of_the_topic() {
    let (a, _b, _, _) = two_hosts().await;
    let client = echo_client(&a);
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
    assert_ne!(hosts[0], hosts[1], "consecutive calls alternate: {hosts:?}");
}

#[actix_rt::test]
async fn server_directed_messages_reach_only_that_host() {
    let (a, _b, probe, _) = two_hosts().await;
    let to_b = echo_client(&a).with_server("b");
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
    wait_until(Duration::from_secs(5), "three casts recorded", || async {
        probe.records().len() == 3
    })
    .await;
    assert_eq!(probe.records(), vec!["b:c0", "b:c1", "b:c2"]);
}

#[actix_rt::test]
async fn a_fanout_cast_reaches_every_server_once() {
    let (a, _b, probe, _) = two_hosts().await;
    echo_client(&a)
        .with_fanout()
        .cast(&RequestContext::new(), "record", json!({"value": "all"}))
        .await
        .unwrap();
    wait_until(Duration::from_secs(5), "both hosts recorded", || async {
        probe.records().len() == 2
    })
    .await;
    let mut records = probe.records();
    records.sort();
    assert_eq!(records, vec!["a:all", "b:all"]);
}

#[actix_rt::test]
async fn a_topic_cast_is_handled_by_exactly_one_server() {
    let (a, _b, probe, _) = two_hosts().await;
    echo_client(&a)
        .cast(&RequestContext::new(), "record", json!({"value": "one"}))
        .await
        .unwrap();
    wait_until(Duration::from_secs(5), "the cast recorded", || async {
        !probe.records().is_empty()
    })
    .await;
    // A duplicate delivery would show within a few more scheduling rounds.
    echo_client(&a)
        .call(&RequestContext::new(), "echo", json!({"value": 0}))
        .await
        .unwrap();
    echo_client(&a)
        .call(&RequestContext::new(), "echo", json!({"value": 0}))
        .await
        .unwrap();
    assert_eq!(probe.records().len(), 1);
}

#[actix_rt::test]
async fn a_call_nobody_answers_times_out_naming_target_and_reply_queue() {
    let (node, _) = echo_node(&[]).await;
    let client = node
        .client(Target::topic("nobody_listens"))
        .with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = client
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let text = error.to_string();
    assert!(
        text.starts_with("Timed out waiting for a reply to message ID"),
        "{text}"
    );
    assert!(
        text.contains("nobody_listens") && text.contains("reply_"),
        "{text}"
    );
}

#[actix_rt::test]
async fn a_slow_handler_past_the_timeout_is_a_messaging_timeout() {
    let (node, _) = echo_node(&[]).await;
    let error = echo_client(&node)
        .with_timeout(Duration::from_millis(200))
        .call(&RequestContext::new(), "sleep", json!({"ms": 1000}))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

#[actix_rt::test]
async fn call_monitor_heartbeats_keep_a_long_call_alive() {
    let (node, _) = echo_node(&[]).await;
    // Heartbeats every 1 s (int(2)/2); without them the 2 s monitor would expire first.
    let reply = echo_client(&node)
        .with_timeout(Duration::from_secs(10))
        .with_call_monitor_timeout(Duration::from_secs(2))
        .call(&RequestContext::new(), "sleep", json!({"ms": 3000}))
        .await
        .expect("heartbeats kept the call alive");
    assert_eq!(reply["slept_ms"], 3000);
}

#[actix_rt::test]
async fn a_call_to_a_fanout_target_is_refused_client_side() {
    let (node, _) = echo_node(&[]).await;
    let error = echo_client(&node)
        .with_fanout()
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot be fanout"), "{error}");
}

#[actix_rt::test]
async fn handler_failures_come_back_with_class_module_and_message() {
    let (node, _) = echo_node(&[]).await;
    let error = echo_client(&node)
        .call(&RequestContext::new(), "fail", json!({}))
        .await
        .unwrap_err();
    let novactor::rpc::CallError::Remote(failure) = error else {
        panic!("not remote: {error}")
    };
    assert_eq!(
        (failure.class.as_str(), failure.module.as_str()),
        ("InstanceNotFound", "nova.exception")
    );
    assert_eq!(failure.message, "Instance x could not be found.");
    let missing = echo_client(&node)
        .call(&RequestContext::new(), "echo", json!({}))
        .await
        .unwrap_err();
    assert_eq!(missing.remote_class(), Some("TypeError"), "{missing}");
}

#[actix_rt::test]
async fn unreadable_messages_are_rejected_and_the_server_keeps_serving() {
    let (node, _) = echo_node(&[]).await;
    let transport = node.env().transport.clone();
    for body in [
        &b"garbage"[..],
        br#"{"oslo.version": "3.0", "oslo.message": "{}"}"#,
        br#"{"oslo.version": "2.0", "oslo.message": "{\"args\": {}}"}"#,
    ] {
        transport
            .publish(novactor::rpc::transport::OutgoingMessage {
                route: novactor::rpc::transport::Route::Topic {
                    exchange: "nova".into(),
                    routing_key: "echo".into(),
                },
                body: body.to_vec(),
                expiration: None,
            })
            .await
            .unwrap();
    }
    let reply = echo_client(&node)
        .call(
            &RequestContext::new(),
            "echo",
            json!({"value": "still here"}),
        )
        .await
        .unwrap();
    assert_eq!(reply["value"], "still here");
    let snapshot = snapshot(&node).await;
    assert_eq!(snapshot.actor("echo").unwrap().state.to_string(), "running");
}
