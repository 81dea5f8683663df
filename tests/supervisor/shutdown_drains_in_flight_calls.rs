//! Graceful shutdown: consumption stops, in-flight handlers finish and reply, messages not
//! yet taken stay in the queue; past the deadline the shutdown reports what did not finish.

use std::time::Duration;

use crate::common::*;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RequestContext, Transport};
use serde_json::json;

#[actix_rt::test]
async fn an_in_flight_call_completes_during_shutdown() {
    let (node, _) = echo_node(&[("DEFAULT", "graceful_shutdown_timeout", "10")]).await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(10));
    let call = actix_rt::spawn(async move {
        client
            .call(&RequestContext::new(), "sleep", json!({"ms": 500}))
            .await
    });
    wait_until(Duration::from_secs(5), "the call is in flight", || async {
        snapshot(&node).await.actor("echo").unwrap().in_flight == 1
    })
    .await;
    let report = node.shutdown().await.unwrap();
    assert!(report.unfinished.is_empty(), "{report:?}");
    let reply = call
        .await
        .unwrap()
        .expect("the in-flight call got its reply");
    assert_eq!(reply["slept_ms"], 500);
}

#[actix_rt::test]
async fn messages_not_taken_before_shutdown_stay_queued_for_the_next_incarnation() {
    let transport = std::sync::Arc::new(MemoryTransport::new());
    let probe = std::sync::Arc::new(Probe::default());
    let config = config(&[("DEFAULT", "executor_thread_pool_size", "1")]);
    let service = echo_service("echo", "echo", &config, &probe);
    let node = node_on(
        transport.clone() as std::sync::Arc<dyn Transport>,
        config,
        vec![service],
    )
    .await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(10));
    // One permit: the first cast occupies it, the other two wait in the broker.
    client
        .cast(&RequestContext::new(), "sleep", json!({"ms": 300}))
        .await
        .unwrap();
    for i in 0..2 {
        client
            .cast(
                &RequestContext::new(),
                "record",
                json!({"value": format!("r{i}")}),
            )
            .await
            .unwrap();
    }
    wait_until(Duration::from_secs(5), "the sleep is in flight", || async {
        snapshot(&node).await.actor("echo").unwrap().in_flight == 1
    })
    .await;
    node.shutdown().await.unwrap();
    assert!(
        probe.records().is_empty(),
        "not handled: {:?}",
        probe.records()
    );
    assert_eq!(
        transport.queue_depth("echo"),
        Some(2),
        "both casts wait in the topic queue"
    );
}

#[actix_rt::test]
async fn a_handler_past_the_deadline_is_reported_unfinished() {
    let (node, _) = echo_node(&[("DEFAULT", "graceful_shutdown_timeout", "1")]).await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(30));
    let _call = actix_rt::spawn(async move {
        client
            .call(&RequestContext::new(), "sleep", json!({"ms": 20_000}))
            .await
    });
    wait_until(Duration::from_secs(5), "in flight", || async {
        snapshot(&node).await.actor("echo").unwrap().in_flight == 1
    })
    .await;
    let started = std::time::Instant::now();
    let report = node.shutdown().await.unwrap();
    assert_eq!(report.unfinished, vec!["echo".to_owned()]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "deadline respected: {:?}",
        started.elapsed()
    );
}

#[actix_rt::test]
async fn handlers_run_concurrently_up_to_executor_thread_pool_size() {
    let (node, _) = echo_node(&[("DEFAULT", "executor_thread_pool_size", "3")]).await;
    let client = echo_client(&node).with_timeout(Duration::from_secs(30));
    let mut calls = Vec::new();
    for _ in 0..5 {
        let client = client.clone();
        calls.push(actix_rt::spawn(async move {
            client
                .call(&RequestContext::new(), "sleep", json!({"ms": 400}))
                .await
        }));
    }
    wait_until(
        Duration::from_secs(5),
        "three handlers in flight at once",
        || async { snapshot(&node).await.actor("echo").unwrap().in_flight == 3 },
    )
    .await;
    for _ in 0..20 {
        assert!(
            snapshot(&node).await.actor("echo").unwrap().in_flight <= 3,
            "pool bound exceeded"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for call in calls {
        assert!(call.await.unwrap().is_ok());
    }
}
