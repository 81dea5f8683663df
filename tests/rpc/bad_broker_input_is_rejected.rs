//! Messages straight from the broker that cannot be oslo messages — wrong or missing
//! content type, not JSON, an unknown envelope version, missing fields — are rejected
//! without requeue, and the consumer keeps serving. Published with bare lapin, bypassing
//! novactor's own (always correct) publisher.

use std::time::Duration;

use crate::common::*;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use novactor::rpc::RequestContext;
use serde_json::json;

#[actix_rt::test]
async fn malformed_messages_from_the_broker_are_rejected_and_serving_goes_on() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let node = scenario.node("bad-input", &[]).await;
    let connection = Connection::connect(&lapin_url(), ConnectionProperties::default())
        .await
        .expect("lapin connects");
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let json =
        || BasicProperties::default().with_content_type(ShortString::from("application/json"));
    let valid_body = br#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"record\", \"args\": {\"value\": \"x\"}}"}"#;
    let cases: Vec<(&[u8], BasicProperties)> = vec![
        (
            valid_body,
            BasicProperties::default().with_content_type(ShortString::from("text/plain")),
        ),
        (valid_body, BasicProperties::default()),
        (
            valid_body,
            BasicProperties::default()
                .with_content_type(ShortString::from("application/json; charset=utf-8")),
        ),
        (b"\xff\xfe not json", json()),
        (br#"{"oslo.version": "3.0", "oslo.message": "{}"}"#, json()),
        (
            br#"{"oslo.version": "2.0", "oslo.message": "{\"args\": {}}"}"#,
            json(),
        ),
        (br#"[1, 2, 3]"#, json()),
    ];
    let exchange = node.env().config().default.control_exchange.clone();
    for (body, properties) in cases {
        channel
            .basic_publish(
                ShortString::from(exchange.as_str()),
                ShortString::from(scenario.topic.as_str()),
                BasicPublishOptions::default(),
                body,
                properties,
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    // The consumer still serves: a good call after the bad messages is answered.
    let reply = scenario
        .client(&node)
        .with_timeout(Duration::from_secs(10))
        .call(
            &RequestContext::new(),
            "echo",
            json!({"value": "still serving"}),
        )
        .await
        .expect("served after bad input");
    assert_eq!(reply["value"], "still serving");
    // None of the wrong-content-type copies of the valid body was handled.
    assert!(
        scenario.probe.records().is_empty(),
        "{:?}",
        scenario.probe.records()
    );
    let stats = snapshot(&node).await;
    assert_eq!(stats.actor("echo").unwrap().state.to_string(), "running");
    let _ = connection.close(200, ShortString::from("done")).await;
}
