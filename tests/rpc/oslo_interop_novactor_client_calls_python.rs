//! A novactor client calls a real Python oslo.messaging 18.3.1 server over RabbitMQ:
//! call, cast, fanout, a remote exception, NoSuchMethod, UnsupportedVersion, a namespace,
//! a timeout, and a long call kept alive by the Python server's call-monitor heartbeats.

use std::sync::Arc;
use std::time::Duration;

use crate::common::oslo::OsloServer;
use crate::common::*;
use novactor::rpc::{CallError, ClientShared, RequestContext, RpcClient, Target};
use serde_json::json;

/// Python servers `servers` on a fresh topic, and a novactor client for that topic.
async fn python_servers(servers: &[&str]) -> (Vec<OsloServer>, RpcClient) {
    let topic = unique("py");
    let url = rabbit_url();
    let names: Vec<String> = servers.iter().map(|s| (*s).to_owned()).collect();
    let started = tokio::task::spawn_blocking({
        let topic = topic.clone();
        move || {
            names
                .iter()
                .map(|name| OsloServer::start(&url, &topic, name))
                .collect::<Vec<_>>()
        }
    })
    .await
    .unwrap();
    let transport = Broker::Rabbit.transport().await;
    let control_exchange = config(&[]).default.control_exchange;
    let client = ClientShared::new(transport, control_exchange)
        .client(Target::topic(&topic), Duration::from_secs(30));
    (started, client.with_version("1.3"))
}

fn remote(error: CallError) -> novactor::rpc::RemoteFailure {
    match error {
        CallError::Remote(failure) => failure,
        other => panic!("expected a remote failure, got {other}"),
    }
}

#[actix_rt::test]
async fn novactor_calls_reach_a_python_server() {
    let (servers, client) = python_servers(&["s1"]).await;
    let ctx = RequestContext::new();
    assert_eq!(
        client
            .call(&ctx, "echo", json!({"value": {"n": 1, "u": "h\u{e9}llo"}}))
            .await
            .unwrap(),
        json!({"n": 1, "u": "h\u{e9}llo"})
    );
    assert_eq!(
        client
            .call(&ctx, "add", json!({"a": 2, "b": 40}))
            .await
            .unwrap(),
        json!(42)
    );
    assert_eq!(
        client
            .with_server("s1")
            .call(&ctx, "whoami", json!({}))
            .await
            .unwrap(),
        json!("s1")
    );
    drop(servers);
}

#[actix_rt::test]
async fn novactor_casts_and_fanouts_reach_python_servers() {
    let (servers, client) = python_servers(&["s1", "s2"]).await;
    let ctx = RequestContext::new();
    client
        .with_server("s2")
        .cast(&ctx, "record", json!({"value": "direct"}))
        .await
        .unwrap();
    client
        .with_fanout()
        .cast(&ctx, "record", json!({"value": "everyone"}))
        .await
        .unwrap();
    let servers = Arc::new(servers);
    let check = Arc::clone(&servers);
    tokio::task::spawn_blocking(move || {
        check[1].wait_for(Duration::from_secs(20), "s2's two records", |_| {
            check[1].records().len() == 2
        });
        check[0].wait_for(Duration::from_secs(20), "s1's fanout record", |_| {
            !check[0].records().is_empty()
        });
    })
    .await
    .unwrap();
    assert_eq!(servers[0].records(), [json!("everyone")]);
    let mut s2 = servers[1].records();
    s2.sort_by_key(|v| v.to_string());
    assert_eq!(s2, [json!("direct"), json!("everyone")]);
}

#[actix_rt::test]
async fn python_exceptions_and_dispatcher_errors_come_back_typed() {
    let (_servers, client) = python_servers(&["s1"]).await;
    let ctx = RequestContext::new();
    let failure = remote(
        client
            .call(&ctx, "fail", json!({"message": "boom"}))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (
            failure.class.as_str(),
            failure.module.as_str(),
            failure.message.as_str()
        ),
        ("ValueError", "builtins", "boom")
    );
    assert!(
        failure.tb.iter().any(|line| line.contains("Traceback")),
        "{failure:?}"
    );

    let missing = remote(client.call(&ctx, "nosuch", json!({})).await.unwrap_err());
    assert_eq!(
        (missing.class.as_str(), missing.module.as_str()),
        ("NoSuchMethod", "oslo_messaging.rpc.dispatcher")
    );

    let newer = remote(
        client
            .with_version("1.4")
            .call(&ctx, "echo", json!({"value": 1}))
            .await
            .unwrap_err(),
    );
    assert_eq!(newer.class, "UnsupportedVersion");
    assert_eq!(
        newer.message,
        "Endpoint does not support RPC version 1.4. Attempted method: echo"
    );

    let bad_args = remote(client.call(&ctx, "add", json!({"a": 2})).await.unwrap_err());
    assert_eq!(bad_args.class, "TypeError");
}

#[actix_rt::test]
async fn novactor_calls_into_a_python_namespace() {
    let (_servers, client) = python_servers(&["s1"]).await;
    let ctx = RequestContext::new();
    let reply = client
        .with_namespace("test")
        .with_version("2.0")
        .call(&ctx, "ns_echo", json!({"value": 7}))
        .await
        .unwrap();
    assert_eq!(reply, json!({"ns": "test", "value": 7}));
    let other = remote(
        client
            .with_namespace("other")
            .call(&ctx, "ns_echo", json!({"value": 7}))
            .await
            .unwrap_err(),
    );
    assert_eq!(other.class, "UnsupportedVersion");
}

#[actix_rt::test]
async fn a_slow_python_method_times_out_and_python_heartbeats_keep_a_long_call_alive() {
    let (_servers, client) = python_servers(&["s1"]).await;
    let ctx = RequestContext::new();
    let error = client
        .with_timeout(Duration::from_secs(1))
        .call(&ctx, "slow", json!({"seconds": 3}))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    // 5 s of work under a 4 s call-monitor timeout: only oslo's heartbeats save it.
    let reply = client
        .with_timeout(Duration::from_secs(30))
        .with_call_monitor_timeout(Duration::from_secs(4))
        .call(&ctx, "slow", json!({"seconds": 5}))
        .await
        .expect("oslo's heartbeats kept the call alive");
    assert_eq!(reply, json!(5));
}
