//! Consumers share AMQP channels (D-MSG-3): thousands of subscriptions on one transport
//! fit on a few dozen channels, under RabbitMQ's `channel_max`, and all receive; a
//! reconnect packs them again; past what `channel_max` allows, a subscription fails with
//! the numbers. Each test has a vhost of its own (`common::amqp_vhost`).

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use novactor::rpc::transport::amqp::{AmqpSettings, DECLARATION_CHANNELS, PUBLISHER_CHANNELS};
use novactor::rpc::transport::{Subscription, TransportError};
use novactor::rpc::Transport;

use crate::common::amqp_vhost::*;
use crate::common::*;

#[actix_rt::test]
async fn three_thousand_subscriptions_fit_on_few_channels_and_all_receive() {
    const SUBSCRIPTIONS: usize = 3000;
    let started = Instant::now();
    let vhost = Vhost::new();
    let transport = vhost.transport(AmqpSettings::default()).await;
    eprintln!("vhost and connection in {:?}", started.elapsed());
    let exchange = unique("share");
    // All at once, as a thousand hosts starting together subscribe.
    let subscribing = Instant::now();
    let subscriptions = futures::future::join_all(
        (0..SUBSCRIPTIONS).map(|i| transport.subscribe(server(&exchange, &format!("h{i}")))),
    )
    .await;
    let mut subscriptions: Vec<Subscription> = subscriptions
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every subscription started");
    eprintln!(
        "{SUBSCRIPTIONS} subscriptions in {:?} on {} consumer channels",
        subscribing.elapsed(),
        transport.consumer_channels()
    );

    // 64 to a channel: 47 channels; a few more are allowed for seats freed and refilled
    // by the concurrent start, never one per subscription.
    let used = transport.consumer_channels();
    assert!(
        (SUBSCRIPTIONS / 64..=SUBSCRIPTIONS / 64 + 4).contains(&used),
        "{used} consumer channels for {SUBSCRIPTIONS} consumers"
    );
    // The broker agrees: the publishers, the declaration channels, the consumer channels,
    // none with more than 64 consumers, every consumer on one of them.
    let channels = vhost.channels();
    assert!(
        channels.len() <= PUBLISHER_CHANNELS + DECLARATION_CHANNELS + used,
        "{} channels",
        channels.len()
    );
    let consumers: Vec<usize> = channels.iter().map(|c| c.1).collect();
    assert!(consumers.iter().all(|&n| n <= 64), "{consumers:?}");
    assert_eq!(consumers.iter().sum::<usize>(), SUBSCRIPTIONS);
    assert_eq!(consumers.iter().filter(|&&n| n > 0).count(), used);

    // One message to every queue, so every channel is sampled; each arrives on its own
    // subscription.
    let publishing = Instant::now();
    stream::iter(0..SUBSCRIPTIONS)
        .for_each_concurrent(256, |i| {
            let (transport, exchange) = (&transport, &exchange);
            async move { send(transport, exchange, &format!("h{i}"), &format!("to h{i}")).await }
        })
        .await;
    futures::future::join_all(subscriptions.iter_mut().enumerate().map(
        |(i, subscription)| async move {
            assert_eq!(
                receive(subscription, Duration::from_secs(20)).await,
                format!("to h{i}")
            );
        },
    ))
    .await;
    eprintln!(
        "{SUBSCRIPTIONS} messages published and received in {:?}",
        publishing.elapsed()
    );
    no_reconnect(&transport);
    let closing = Instant::now();
    futures::future::join_all(subscriptions.into_iter().map(Subscription::close)).await;
    wait_until(
        Duration::from_secs(10),
        "every consumer channel closed",
        || async { transport.consumer_channels() == 0 },
    )
    .await;
    eprintln!(
        "{SUBSCRIPTIONS} subscriptions closed in {:?}",
        closing.elapsed()
    );
    // About 7 s here on the 2-core VM, 13 s with the vhost's deletion; the deadlines above
    // bound it, not a wall-clock assertion that a busy machine would break.
    eprintln!("in all {:?}", started.elapsed());
}

#[actix_rt::test]
async fn a_reconnect_resumes_every_subscription_on_new_shared_channels() {
    const SUBSCRIPTIONS: usize = 300;
    let vhost = Vhost::new();
    let transport = vhost.transport(AmqpSettings::default()).await;
    let exchange = unique("resume");
    let mut subscriptions: Vec<Subscription> = futures::future::join_all(
        (0..SUBSCRIPTIONS).map(|i| transport.subscribe(server(&exchange, &format!("h{i}")))),
    )
    .await
    .into_iter()
    .collect::<Result<_, _>>()
    .expect("every subscription started");
    let before = vhost.consumer_channels();
    assert_eq!(before.len(), SUBSCRIPTIONS.div_ceil(64), "{before:?}");

    let lost = Instant::now();
    vhost.close_connections();
    wait_until(Duration::from_secs(20), "reconnected", || async {
        let status = transport.status();
        if status.connected() && status.reconnects == 1 {
            Ok(())
        } else {
            Err(format!("{status:?}"))
        }
    })
    .await;
    eprintln!(
        "{SUBSCRIPTIONS} subscriptions resumed {:?} after the connection was closed",
        lost.elapsed()
    );
    // Packed again, on the new connection's channels, and every one receives.
    assert_eq!(transport.consumer_channels(), SUBSCRIPTIONS.div_ceil(64));
    let after = vhost.consumer_channels();
    let consumers: Vec<usize> = after.iter().map(|c| c.1).collect();
    assert_eq!(consumers.iter().sum::<usize>(), SUBSCRIPTIONS, "{after:?}");
    assert_eq!(after.len(), SUBSCRIPTIONS.div_ceil(64), "{after:?}");
    for (i, subscription) in subscriptions.iter_mut().enumerate() {
        round_trip(&transport, &exchange, &format!("h{i}"), subscription).await;
    }
}

#[actix_rt::test]
async fn past_channel_max_a_subscription_fails_with_the_numbers() {
    // One consumer per channel, so the broker's channel_max (2047) is reached at ~2,000.
    const TRIED: usize = 2040;
    let vhost = Vhost::new();
    let transport = vhost.transport(settings(1)).await;
    let exchange = unique("full");
    let results = futures::future::join_all(
        (0..TRIED).map(|i| transport.subscribe(server(&exchange, &format!("h{i}")))),
    )
    .await;
    let mut started = Vec::new();
    let mut refusals = Vec::new();
    for result in results {
        match result {
            Ok(subscription) => started.push(subscription),
            Err(error) => refusals.push(error),
        }
    }
    let Some(TransportError::TooManyConsumers {
        consumers,
        per_channel: 1,
        consumer_channels,
        channel_max,
    }) = refusals.first().cloned()
    else {
        panic!("{:?}", refusals.first())
    };
    assert!(
        refusals
            .iter()
            .all(|e| matches!(e, TransportError::TooManyConsumers { .. })),
        "only the typed refusal: {:?}",
        refusals
            .iter()
            .find(|e| !matches!(e, TransportError::TooManyConsumers { .. }))
    );
    assert!(
        consumer_channels < usize::from(channel_max),
        "{consumer_channels} < {channel_max}"
    );
    assert_eq!(consumers, consumer_channels + 1);
    assert_eq!(
        started.len(),
        consumer_channels,
        "every channel the budget allows is used"
    );
    assert_eq!(refusals.len(), TRIED - consumer_channels);
    assert!(refusals[0].to_string().contains(&channel_max.to_string()));
    no_reconnect(&transport);

    // A consumer ending frees a seat for the next subscription.
    let mut freed = started.pop().unwrap();
    round_trip(
        &transport,
        &exchange,
        &freed.queue.clone().replace("t.", ""),
        &mut freed,
    )
    .await;
    freed.close().await;
    wait_until(Duration::from_secs(10), "a channel freed", || async {
        transport.consumer_channels() < consumer_channels
    })
    .await;
    let mut again = transport
        .subscribe(server(&exchange, "again"))
        .await
        .unwrap();
    round_trip(&transport, &exchange, "again", &mut again).await;
}
