//! The dispatcher's oslo rules seen from a caller, over `memory://` and over RabbitMQ:
//! NoSuchMethod, UnsupportedVersion, namespace mismatch, private methods.

use novactor::rpc::{CallError, RemoteFailure, RequestContext, RpcClient};
use serde_json::json;

use crate::common::*;

async fn remote_failure(client: RpcClient, method: &str) -> RemoteFailure {
    match client
        .call(&RequestContext::new(), method, json!({"value": 1}))
        .await
    {
        Err(CallError::Remote(failure)) => failure,
        other => panic!("expected a remote failure, got {other:?}"),
    }
}

async fn serving(broker: Broker) -> (Scenario, novactor::Node) {
    let scenario = Scenario::new(broker).await;
    let node = scenario.node("h", &[]).await;
    (scenario, node)
}

async fn an_unknown_method_is_no_such_method(broker: Broker) {
    let (scenario, node) = serving(broker).await;
    let failure = remote_failure(scenario.client(&node), "nosuch").await;
    assert_eq!(failure.class, "NoSuchMethod");
    assert_eq!(failure.module, "oslo_messaging.rpc.dispatcher");
    assert_eq!(
        failure.message,
        "Endpoint does not support RPC method nosuch"
    );
}

async fn an_underscore_method_is_private(broker: Broker) {
    let (scenario, node) = serving(broker).await;
    assert_eq!(
        remote_failure(scenario.client(&node), "_private")
            .await
            .class,
        "NoSuchMethod"
    );
}

async fn a_newer_minor_or_other_major_is_unsupported_version(broker: Broker) {
    let (scenario, node) = serving(broker).await;
    let failure = remote_failure(scenario.client(&node).with_version("1.4"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert_eq!(
        failure.message,
        "Endpoint does not support RPC version 1.4. Attempted method: echo"
    );
    assert_eq!(
        remote_failure(scenario.client(&node).with_version("2.0"), "echo")
            .await
            .class,
        "UnsupportedVersion"
    );
    let older = scenario
        .client(&node)
        .with_version("1.0")
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await;
    assert!(older.is_ok(), "{older:?}");
}

async fn a_namespace_mismatch_is_unsupported_version_naming_the_requested_version(broker: Broker) {
    let (scenario, node) = serving(broker).await;
    let failure = remote_failure(scenario.client(&node).with_namespace("other"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert!(
        failure.message.contains("RPC version 1.3"),
        "{}",
        failure.message
    );
}

scenarios! {
    #[actix_rt::test]
    (memory: Broker::Memory, rabbit: Broker::Rabbit)
    [
        an_unknown_method_is_no_such_method,
        an_underscore_method_is_private,
        a_newer_minor_or_other_major_is_unsupported_version,
        a_namespace_mismatch_is_unsupported_version_naming_the_requested_version,
    ]
}
