//! A caller's `_timeout` (oslo's call-monitor timeout) is a number from outside: whatever it
//! is — huge, negative, fractional, beyond what a `Duration` holds — the server answers the
//! call, and keeps serving. Before the bound, `_timeout: 1e20` was acknowledged and then
//! panicked the server's handling path: the message was lost and its caller waited in vain.
//! Published as raw envelopes (novactor's own client cannot send such numbers), answered on a
//! reply queue of the test's own, over `memory://`.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use novactor::rpc::envelope::{decode_envelope, encode_envelope, new_id, Reply};
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::transport::{OutgoingMessage, QueueSpec, Route, Subscription, Transport};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Call `echo` with `_timeout` set to `timeout` and return the echoed value, or why not.
async fn call_with_timeout(
    transport: &Arc<MemoryTransport>,
    replies: &mut Subscription,
    timeout: Value,
    value: &str,
) -> Result<Value, String> {
    let msg_id = new_id();
    let payload = json!({
        "method": "echo",
        "args": {"value": value},
        "version": "1.3",
        "_msg_id": msg_id,
        "_reply_q": replies.queue,
        "_timeout": timeout,
        "_unique_id": new_id(),
    });
    let Value::Object(payload) = payload else {
        unreachable!("a JSON object literal")
    };
    transport
        .publish(OutgoingMessage {
            route: Route::Topic {
                exchange: "nova".to_owned(),
                routing_key: "echo".to_owned(),
            },
            body: encode_envelope(&payload),
            expiration: None,
        })
        .await
        .map_err(|e| format!("publish: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let delivery = tokio::time::timeout_at(deadline, replies.next())
            .await
            .map_err(|_| format!("no reply within 10 s for _timeout {timeout}"))?
            .ok_or("the reply queue closed")?;
        let body = delivery.body.clone();
        let _ = delivery.ack().await;
        let reply = decode_envelope(&body)
            .and_then(Reply::from_payload)
            .map_err(|e| format!("an unreadable reply: {e}"))?;
        if reply.msg_id != msg_id || reply.is_heartbeat() {
            continue;
        }
        if let Some(failure) = reply.failure {
            return Err(format!("a failure for _timeout {timeout}: {failure}"));
        }
        return Ok(reply.result["value"].clone());
    }
}

/// One echo node on its own memory transport, and a reply queue to read answers from.
async fn echo_server() -> (Arc<MemoryTransport>, Subscription, novactor::Node) {
    let transport = Arc::new(MemoryTransport::new());
    let probe = Arc::new(Probe::default());
    let config = config(&[]);
    let service = echo_service("echo", "echo", &config, &probe);
    let node = node_on(transport.clone(), config, vec![service]).await;
    let replies = transport
        .subscribe(QueueSpec::Reply)
        .await
        .expect("a reply queue");
    (transport, replies, node)
}

#[actix_rt::test]
async fn any_call_monitor_timeout_a_caller_sends_is_answered() {
    let (transport, mut replies, node) = echo_server().await;
    let edges = [
        json!(1e20),
        json!(1.8446744073709552e19),
        json!(9.3e18),
        json!(1e308),
        json!(-1e308),
        json!(-5),
        json!(0),
        json!(0.5),
        json!(2.9),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("60"),
        Value::Null,
    ];
    for (n, timeout) in edges.into_iter().enumerate() {
        let value = format!("edge-{n}");
        let echoed = call_with_timeout(&transport, &mut replies, timeout, &value).await;
        assert_eq!(echoed, Ok(json!(value)));
    }
    node.shutdown().await.expect("the node stops");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_finite_call_monitor_timeout_is_answered(timeout in any::<f64>().prop_filter("JSON numbers are finite", |t| t.is_finite())) {
        let system = actix_rt::System::new();
        let echoed = system.block_on(async {
            let (transport, mut replies, node) = echo_server().await;
            let echoed = call_with_timeout(&transport, &mut replies, json!(timeout), "any").await;
            node.shutdown().await.expect("the node stops");
            echoed
        });
        prop_assert_eq!(echoed, Ok(json!("any")));
    }
}
