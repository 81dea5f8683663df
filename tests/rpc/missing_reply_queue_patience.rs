//! `kombu_missing_consumer_retry_timeout` is honoured: a server retries a reply whose reply
//! queue does not exist yet for that long, then drops it. The reply queue is declared 3 s
//! after the call was sent (with bare lapin, under a name the test chose): with the default
//! patience (60 s) the reply arrives there; with a patience of 1 s it was dropped before.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use lapin::options::{BasicGetOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use novactor::rpc::envelope::{decode_envelope, encode_envelope, new_id, Reply};
use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
use novactor::rpc::transport::{OutgoingMessage, Route, Transport};
use serde_json::json;

/// Sends a call to an echo server whose transport has `patience`, answering to a reply queue
/// that exists only 3 s later; whether the reply reached it within 5 s of its declaration.
async fn reply_arrives_late_queue(patience: Duration) -> bool {
    let url = rabbit_url();
    let settings = AmqpSettings {
        missing_consumer_retry_timeout: patience,
        ..AmqpSettings::default()
    };
    let transport = Arc::new(AmqpTransport::new(
        RabbitUrl::parse(&url).expect("valid test URL"),
        settings,
    ));
    wait_until(Duration::from_secs(15), "RabbitMQ reachable", async || {
        transport.status().connected()
    })
    .await;
    let topic = unique("patience");
    let host = unique("patient");
    let probe = Arc::new(Probe::default());
    let config = config(&[("DEFAULT", "host", host.as_str())]);
    let service = echo_service("echo", &topic, &config, &probe);
    let node = node_on(transport.clone(), config, vec![service]).await;

    let reply_queue = unique("reply_late");
    let msg_id = new_id();
    let payload = json!({
        "method": "echo", "args": {"value": "late"}, "version": "1.3",
        "_msg_id": msg_id, "_reply_q": reply_queue, "_timeout": null, "_unique_id": new_id(),
    });
    let serde_json::Value::Object(payload) = payload else {
        unreachable!("a JSON object literal")
    };
    transport
        .publish(OutgoingMessage {
            route: Route::Topic {
                exchange: "nova".to_owned(),
                routing_key: topic.clone(),
            },
            body: encode_envelope(&payload),
            expiration: None,
        })
        .await
        .expect("the call is published");
    tokio::time::sleep(Duration::from_secs(3)).await;

    let connection = Connection::connect(&lapin_url(), ConnectionProperties::default())
        .await
        .expect("lapin connects");
    let channel = connection.create_channel().await.expect("a channel");
    channel
        .queue_declare(
            reply_queue.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("the late reply queue");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut arrived = false;
    while !arrived && tokio::time::Instant::now() < deadline {
        match channel
            .basic_get(
                reply_queue.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .expect("basic.get")
        {
            Some(message) => {
                let reply = decode_envelope(&message.delivery.data)
                    .and_then(Reply::from_payload)
                    .expect("a reply");
                arrived = reply.msg_id == msg_id && reply.result["value"] == "late";
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let _ = channel
        .queue_delete(reply_queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = connection.close(200, "done".into()).await;
    node.shutdown().await.expect("the node stops");
    arrived
}

#[actix_rt::test]
async fn a_reply_waits_for_its_queue_as_long_as_the_option_says_and_no_longer() {
    assert!(
        reply_arrives_late_queue(Duration::from_secs(60)).await,
        "with 60 s of patience the reply reaches a queue declared 3 s late"
    );
    assert!(
        !reply_arrives_late_queue(Duration::from_secs(1)).await,
        "with 1 s of patience the reply was dropped before its queue existed"
    );
}
