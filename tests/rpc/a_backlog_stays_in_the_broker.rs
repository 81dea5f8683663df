//! With `rabbit_qos_prefetch_count = 0` (oslo's default) oslo sends no `Basic.Qos`, and the
//! broker pushes a queue's whole backlog into the consumer. novactor bounds what a consumer
//! holds unacknowledged ([`BACKLOG_PREFETCH`]): with its one handler busy, a backlog of
//! 1,000 casts stays in the queue, bar that many. Before the bound, the queue emptied into
//! the process's memory.

use std::time::Duration;

use crate::common::*;
use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use novactor::rpc::transport::amqp::BACKLOG_PREFETCH;
use novactor::rpc::RequestContext;
use serde_json::json;

const BACKLOG: u32 = 1_000;

#[actix_rt::test]
async fn a_backlog_waits_in_the_queue_not_in_the_consumer() {
    let scenario = Scenario::new(Broker::Rabbit).await;
    let node = scenario
        .node(
            &unique("backlog"),
            &[("DEFAULT", "executor_thread_pool_size", "1")],
        )
        .await;
    let client = scenario.client(&node);
    let ctx = RequestContext::new();
    let started = tokio::time::Instant::now();
    for _ in 0..BACKLOG {
        client
            .cast(&ctx, "sleep", json!({"ms": 3000}))
            .await
            .expect("a cast is published");
    }
    // The broker's count of messages ready (not delivered) in the topic queue, by a passive
    // declare from a connection of the test's own.
    let connection = Connection::connect(&lapin_url(), ConnectionProperties::default())
        .await
        .expect("lapin connects");
    let channel = connection.create_channel().await.expect("a channel");
    let waiting = async || {
        channel
            .queue_declare(
                scenario.topic.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("the topic queue exists")
            .message_count()
    };
    // Give the broker time to push what it would push.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ready = waiting().await;
    let held = BACKLOG - ready;
    // Out of the queue: the unacknowledged ones, at most the bound, and the ones the single
    // handler took (acknowledged as taken), one per 3 s sleep so far, plus the one running.
    let taken = u32::try_from(started.elapsed().as_secs() / 3).unwrap_or(u32::MAX) + 1;
    assert!(
        held <= u32::from(BACKLOG_PREFETCH) + taken,
        "the consumer holds {held} of {BACKLOG} messages, more than the {BACKLOG_PREFETCH} \
         bound and the {taken} the handler took"
    );
    assert!(held >= 1, "the server took nothing: {ready} ready");
    // The queue is the test's own: delete it with what is left.
    node.shutdown().await.expect("the node stops");
    let _ = channel
        .queue_delete(
            scenario.topic.as_str().into(),
            QueueDeleteOptions::default(),
        )
        .await;
    let _ = connection.close(200, "done".into()).await;
}
