//! What happens to one consumer on a shared AMQP channel (D-MSG-3) — its cancel, its
//! queue's refused declaration, its channel failing — leaves the consumers sharing its
//! channel, or the rest of the transport, as they were; prefetch stays per consumer. Each
//! test has a vhost of its own (`common::amqp_vhost`).

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::{FieldTable, ShortString};
use lapin::{Connection, ConnectionProperties};
use novactor::rpc::transport::amqp::AmqpSettings;
use novactor::rpc::Transport;

use crate::common::amqp_vhost::*;
use crate::common::*;

#[actix_rt::test]
async fn cancelling_one_consumer_leaves_its_channel_mates_receiving() {
    let vhost = Vhost::new();
    let prefetch = AmqpSettings {
        prefetch_count: 5,
        ..settings(4)
    };
    let transport = vhost.transport(prefetch).await;
    let exchange = unique("cancel");
    let mut a = transport.subscribe(server(&exchange, "a")).await.unwrap();
    let mut b = transport.subscribe(server(&exchange, "b")).await.unwrap();
    let mut c = transport.subscribe(server(&exchange, "c")).await.unwrap();
    assert_eq!(
        transport.consumer_channels(),
        1,
        "three consumers, one channel"
    );
    // The prefetch limit is each consumer's, not shared by the channel.
    let (mut consumers, global) = vhost.prefetch();
    consumers.sort();
    let expected: Vec<(String, u32)> = ["t.a", "t.b", "t.c"]
        .iter()
        .map(|queue| (queue.to_string(), 5))
        .collect();
    assert_eq!(consumers, expected);
    assert!(global.iter().all(|&limit| limit == 0), "{global:?}");

    // `a` holds a delivery unsettled while it is cancelled.
    send(&transport, &exchange, "a", "held").await;
    let held = tokio::time::timeout(Duration::from_secs(10), a.next())
        .await
        .expect("delivered")
        .expect("not ended");
    a.close().await;
    wait_until(
        Duration::from_secs(10),
        "t.a without a consumer",
        || async { vhost.consumers_of("t.a") == 0 },
    )
    .await;
    // Its channel stays open for b and c, which go on receiving.
    assert_eq!(transport.consumer_channels(), 1);
    assert_eq!(vhost.consumer_channels().len(), 1);
    round_trip(&transport, &exchange, "b", &mut b).await;
    round_trip(&transport, &exchange, "c", &mut c).await;

    // The held delivery, dropped unsettled, goes back to its queue, and a new subscriber
    // (on the same channel's free seat) gets it again.
    drop(held);
    let mut again = transport.subscribe(server(&exchange, "a")).await.unwrap();
    let redelivered = tokio::time::timeout(Duration::from_secs(10), again.next())
        .await
        .expect("requeued and delivered again")
        .expect("not ended");
    assert!(redelivered.redelivered);
    assert_eq!(redelivered.ack().await.unwrap(), b"held");
    assert_eq!(transport.consumer_channels(), 1);
    no_reconnect(&transport);
}

#[actix_rt::test]
async fn a_refused_declaration_leaves_the_channel_it_would_have_joined_alone() {
    let vhost = Vhost::new();
    let transport = vhost.transport(settings(4)).await;
    let exchange = unique("refused");
    let mut a = transport.subscribe(server(&exchange, "a")).await.unwrap();
    let mut b = transport.subscribe(server(&exchange, "b")).await.unwrap();
    assert_eq!(transport.consumer_channels(), 1, "two free seats left");

    // `t.conflict` exists durable; the transport declares it transient.
    let connection = Connection::connect(&vhost.amqp_url(), ConnectionProperties::default())
        .await
        .expect("lapin connects");
    connection
        .create_channel()
        .await
        .unwrap()
        .queue_declare(
            ShortString::from("t.conflict"),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let refused = transport
        .subscribe(server(&exchange, "conflict"))
        .await
        .expect_err("inequivalent arguments");
    let text = refused.to_string();
    assert!(
        text.contains("t.conflict") && text.contains("PRECONDITION_FAILED"),
        "{text}"
    );

    // Its would-be channel-mates never noticed.
    round_trip(&transport, &exchange, "a", &mut a).await;
    round_trip(&transport, &exchange, "b", &mut b).await;
    assert_eq!(transport.consumer_channels(), 1);
    assert_eq!(vhost.consumers_of("t.a"), 1);
    // The seat was never taken: the next subscriber gets it, on the same channel.
    let mut c = transport.subscribe(server(&exchange, "c")).await.unwrap();
    round_trip(&transport, &exchange, "c", &mut c).await;
    assert_eq!(transport.consumer_channels(), 1);
    no_reconnect(&transport);
    let _ = connection.close(200, ShortString::from("done")).await;
}

#[actix_rt::test]
async fn a_failed_shared_channel_restarts_its_consumers_and_no_others() {
    let vhost = Vhost::new();
    let transport = vhost.transport(settings(2)).await;
    let exchange = unique("failed");
    let mut a = transport.subscribe(server(&exchange, "a")).await.unwrap();
    let mut b = transport.subscribe(server(&exchange, "b")).await.unwrap();
    let mut c = transport.subscribe(server(&exchange, "c")).await.unwrap();
    assert_eq!(
        transport.consumer_channels(),
        2,
        "a and b on one channel, c on another"
    );
    let before = vhost.consumer_channels();
    let [(failing, 2), (kept, 1)] = before[..] else {
        panic!("a and b, then c: {before:?}")
    };

    assert!(transport.fail_consumer_channel_for_tests("t.a").await);
    // a and b are started again, one beside c, one on a new channel; c's channel stayed
    // open throughout, and the connection was never lost.
    wait_until(Duration::from_secs(10), "a and b moved", || async {
        let now = vhost.consumer_channels();
        let moved =
            now.len() == 2 && !now.iter().any(|c| c.0 == failing) && now.contains(&(kept, 2));
        if moved {
            Ok(())
        } else {
            Err(format!("{now:?}"))
        }
    })
    .await;
    round_trip(&transport, &exchange, "a", &mut a).await;
    round_trip(&transport, &exchange, "b", &mut b).await;
    round_trip(&transport, &exchange, "c", &mut c).await;
    let counts: Vec<usize> = ["t.a", "t.b", "t.c"]
        .iter()
        .map(|queue| vhost.consumers_of(queue))
        .collect();
    assert_eq!(counts, [1, 1, 1], "one consumer per queue");
    assert_eq!(transport.consumer_channels(), 2);
    no_reconnect(&transport);
}
