// Shared dispatcher scenarios (oslo's refusals as a caller sees them); included by one
// test file per transport after it defines `const BROKER: Broker`.

use novactor::rpc::{CallError, RemoteFailure, RequestContext, RpcClient};
use serde_json::json;

async fn remote_failure(client: RpcClient, method: &str) -> RemoteFailure {
    match client.call(&RequestContext::new(), method, json!({"value": 1})).await {
        Err(CallError::Remote(failure)) => failure,
        other => panic!("expected a remote failure, got {other:?}"),
    }
}

async fn serving() -> (Scenario, novactor::Node) {
    let scenario = Scenario::new(BROKER).await;
    let node = scenario.node("h", &[]).await;
    (scenario, node)
}

#[actix_rt::test]
async fn an_unknown_method_is_no_such_method() {
    let (scenario, node) = serving().await;
    let failure = remote_failure(scenario.client(&node), "nosuch").await;
    assert_eq!(failure.class, "NoSuchMethod");
    assert_eq!(failure.module, "oslo_messaging.rpc.dispatcher");
    assert_eq!(failure.message, "Endpoint does not support RPC method nosuch");
}

#[actix_rt::test]
async fn an_underscore_method_is_private() {
    let (scenario, node) = serving().await;
    assert_eq!(remote_failure(scenario.client(&node), "_private").await.class, "NoSuchMethod");
}

#[actix_rt::test]
async fn a_newer_minor_or_other_major_is_unsupported_version() {
    let (scenario, node) = serving().await;
    let failure = remote_failure(scenario.client(&node).with_version("1.4"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert_eq!(failure.message, "Endpoint does not support RPC version 1.4. Attempted method: echo");
    assert_eq!(remote_failure(scenario.client(&node).with_version("2.0"), "echo").await.class, "UnsupportedVersion");
    let older = scenario.client(&node).with_version("1.0").call(&RequestContext::new(), "echo", json!({"value": 1})).await;
    assert!(older.is_ok(), "{older:?}");
}

#[actix_rt::test]
async fn a_namespace_mismatch_is_unsupported_version_naming_the_requested_version() {
    let (scenario, node) = serving().await;
    let failure = remote_failure(scenario.client(&node).with_namespace("other"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert!(failure.message.contains("RPC version 1.3"), "{}", failure.message);
}
