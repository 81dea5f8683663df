//! The dispatcher's oslo rules seen from a caller: NoSuchMethod, UnsupportedVersion,
//! namespace mismatch, private methods, with oslo's class, module and message.

mod common;

use common::*;
use novactor::rpc::{CallError, RequestContext};
use serde_json::json;

async fn remote_failure(
    client: novactor::rpc::RpcClient,
    method: &str,
) -> novactor::rpc::RemoteFailure {
    match client
        .call(&RequestContext::new(), method, json!({"value": 1}))
        .await
    {
        Err(CallError::Remote(failure)) => failure,
        other => panic!("expected a remote failure, got {other:?}"),
    }
}

#[actix_rt::test]
async fn an_unknown_method_is_no_such_method() {
    let (node, _) = echo_node(&[]).await;
    let failure = remote_failure(echo_client(&node), "nosuch").await;
    assert_eq!(failure.class, "NoSuchMethod");
    assert_eq!(failure.module, "oslo_messaging.rpc.dispatcher");
    assert_eq!(
        failure.message,
        "Endpoint does not support RPC method nosuch"
    );
}

#[actix_rt::test]
async fn an_underscore_method_is_private() {
    let (node, _) = echo_node(&[]).await;
    assert_eq!(
        remote_failure(echo_client(&node), "_private").await.class,
        "NoSuchMethod"
    );
}

#[actix_rt::test]
async fn a_newer_minor_or_other_major_is_unsupported_version() {
    let (node, _) = echo_node(&[]).await;
    let failure = remote_failure(echo_client(&node).with_version("1.4"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert_eq!(
        failure.message,
        "Endpoint does not support RPC version 1.4. Attempted method: echo"
    );
    assert_eq!(
        remote_failure(echo_client(&node).with_version("2.0"), "echo")
            .await
            .class,
        "UnsupportedVersion"
    );
    // Older minors of the same major are served.
    let reply = echo_client(&node)
        .with_version("1.0")
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await;
    assert!(reply.is_ok(), "{reply:?}");
}

#[actix_rt::test]
async fn a_namespace_mismatch_is_unsupported_version_naming_the_requested_version() {
    let (node, _) = echo_node(&[]).await;
    let failure = remote_failure(echo_client(&node).with_namespace("other"), "echo").await;
    assert_eq!(failure.class, "UnsupportedVersion");
    assert!(
        failure.message.contains("RPC version 1.3"),
        "{}",
        failure.message
    );
}
