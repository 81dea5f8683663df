//! RabbitMQ stopped and started (`rabbitmqctl stop_app` / `start_app`) while casts flow:
//! consumers resume within 10 s of the broker's return, no confirmed cast to a durable
//! queue is lost, and no pending call outlives its timeout. It stops the shared broker, so
//! it takes its turn with the other chaos tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::outages::{rabbitmqctl, BrokerBack};
use crate::ONE_AT_A_TIME;
use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
use novactor::rpc::{ClientShared, RequestContext, Target, Transport};
use serde_json::json;

fn durable_transport(settings: &AmqpSettings) -> Arc<dyn Transport> {
    Arc::new(AmqpTransport::new(
        RabbitUrl::parse(&rabbit_url()).unwrap(),
        settings.clone(),
    ))
}

async fn connected(transport: &Arc<dyn Transport>, within: Duration) -> Duration {
    let started = Instant::now();
    wait_until(within, "reconnected", async || {
        let status = transport.status();
        if status.connected() {
            Ok(())
        } else {
            Err(format!("{status:?}"))
        }
    })
    .await;
    started.elapsed()
}

#[actix_rt::test]
async fn the_broker_restarting_mid_stream_loses_no_confirmed_cast_and_consumers_resume() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // Durable queues and a control exchange of our own (durability must match on redeclare).
    let exchange = unique("restart");
    let overrides = [
        ("DEFAULT", "control_exchange", exchange.as_str()),
        ("oslo_messaging_rabbit", "amqp_durable_queues", "true"),
    ];
    let config = config(&overrides);
    let settings =
        AmqpSettings::from_options(&config.oslo_messaging_rabbit).expect("no TLS files set");
    let probe = Arc::new(Probe::default());
    let topic = unique("durable");
    let server_transport = durable_transport(&settings);
    connected(&server_transport, Duration::from_secs(15)).await;
    let service = echo_service("echo", &topic, &config, &probe);
    let node = node_on(Arc::clone(&server_transport), config.clone(), vec![service]).await;

    let client_transport = durable_transport(&settings);
    connected(&client_transport, Duration::from_secs(15)).await;
    let shared = ClientShared::new(Arc::clone(&client_transport), exchange.clone());
    let client = shared
        .client(Target::topic(&topic), Duration::from_secs(5))
        .with_version("1.3");
    // Warm up: the queue exists and is consumed.
    client
        .call(&RequestContext::new(), "echo", json!({"value": 0}))
        .await
        .expect("warm-up call");

    let confirmed = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let caster = {
        let client = client.clone();
        let confirmed = Arc::clone(&confirmed);
        let stop = Arc::clone(&stop);
        actix_rt::spawn(async move {
            let mut i = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let value = format!("v{i}");
                // Ok means the broker confirmed it: it must not be lost.
                if client
                    .cast(&RequestContext::new(), "record", json!({"value": value}))
                    .await
                    .is_ok()
                {
                    confirmed.lock().unwrap().push(value);
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    wait_until(Duration::from_secs(10), "casts flowing", || async {
        probe.records().len() >= 20
    })
    .await;

    let _back = BrokerBack;
    tokio::task::spawn_blocking(|| rabbitmqctl("stop_app"))
        .await
        .unwrap();
    // A call made while the broker is away ends within its timeout.
    let started = Instant::now();
    let during = client
        .with_timeout(Duration::from_secs(2))
        .call(&RequestContext::new(), "echo", json!({"value": 1}))
        .await;
    assert!(during.as_ref().is_err_and(|e| e.is_timeout()), "{during:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the call outlived its timeout: {:?}",
        started.elapsed()
    );
    tokio::task::spawn_blocking(|| rabbitmqctl("start_app"))
        .await
        .unwrap();
    let back_at = Instant::now();

    // Consumers resume: a fresh call round-trips within 10 s of the broker's return.
    let resumed = loop {
        let reply = client
            .with_timeout(Duration::from_secs(2))
            .call(&RequestContext::new(), "echo", json!({"value": 2}))
            .await;
        if reply.is_ok() {
            break back_at.elapsed();
        }
        assert!(
            back_at.elapsed() < Duration::from_secs(10),
            "no round trip within 10 s of the broker's return: {reply:?}"
        );
    };
    eprintln!("round trip again {resumed:?} after start_app returned");
    stop.store(true, Ordering::SeqCst);
    caster.await.unwrap();

    let expected: Vec<String> = confirmed.lock().unwrap().clone();
    assert!(
        expected.len() > 20,
        "casts were confirmed: {}",
        expected.len()
    );
    wait_until(
        Duration::from_secs(30),
        "every confirmed cast handled",
        || async {
            let records = probe.records();
            expected
                .iter()
                .all(|v| records.contains(&format!("{}:{v}", config.default.host)))
        },
    )
    .await;
    let status = server_transport.status();
    assert!(status.losses >= 1 && status.reconnects >= 1, "{status:?}");
    assert!(snapshot(&node).await.ready(), "ready again");
}
