//! The raw lapin column: the same pattern with bare lapin and a fixed oslo-shaped body —
//! pipelined confirmed casts, calls through a reply queue correlated by `correlation_id`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use novactor::rpc::envelope::{encode_envelope, Reply, ReplyTo, Request};
use novactor::rpc::transport::amqp::RabbitUrl;
use novactor::rpc::transport::{OutgoingMessage, Route};
use novactor::rpc::RequestContext;
use serde_json::{json, Map, Value};

use crate::figures::*;
use crate::novactor_run::connected_transport;

/// A realistic oslo 2.0 envelope for `ping`, encoded once and sent as is.
pub(crate) fn fixed_request_body() -> Vec<u8> {
    let request = Request {
        method: "ping".into(),
        args: json!({"arg": 1}).as_object().cloned().unwrap_or_default(),
        namespace: Some("baseapi".into()),
        version: Some(json!("1.0")),
        reply: Some(ReplyTo {
            msg_id: uuid::Uuid::new_v4().simple().to_string(),
            reply_queue: format!("reply_{}", uuid::Uuid::new_v4().simple()),
            call_monitor_timeout: None,
        }),
        unique_id: uuid::Uuid::new_v4().simple().to_string(),
        context: RequestContext::new(),
    };
    encode_envelope(&request.to_payload())
}

pub(crate) fn fixed_reply_body() -> Vec<u8> {
    let msg_id = uuid::Uuid::new_v4().simple().to_string();
    let reply = Reply::finish(&msg_id, Ok(json!({"service": "conductor", "arg": 1})));
    let payload: Map<String, Value> = reply.to_payload();
    encode_envelope(&payload)
}

pub(crate) fn json_properties() -> BasicProperties {
    BasicProperties::default()
        .with_content_type(s("application/json"))
        .with_delivery_mode(2)
}

pub(crate) async fn confirm_channel(connection: &Connection) -> Channel {
    let channel = connection.create_channel().await.expect("channel");
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirm mode");
    channel
}

pub(crate) async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    key: &str,
    mandatory: bool,
    body: &[u8],
    properties: BasicProperties,
) {
    let confirmation = channel
        .basic_publish(
            s(exchange),
            s(key),
            BasicPublishOptions {
                mandatory,
                ..Default::default()
            },
            body,
            properties,
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    assert!(
        matches!(confirmation, Confirmation::Ack(None)),
        "raw publish not acked: {confirmation:?}"
    );
}

/// A queue bound to `exchange` with `key`, consumed on a channel of its own.
pub(crate) async fn raw_consumer(
    connection: &Connection,
    exchange: &str,
    queue: &str,
    key: Option<&str>,
) -> lapin::Consumer {
    let channel = connection.create_channel().await.expect("channel");
    channel
        .queue_declare(
            s(queue),
            QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("queue_declare");
    if let Some(key) = key {
        channel
            .queue_bind(
                s(queue),
                s(exchange),
                s(key),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("queue_bind");
    }
    channel
        .basic_consume(
            s(queue),
            s(""),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("basic_consume")
}

pub(crate) type Pending = Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<Vec<u8>>>>>;

/// The caller side of the raw request/reply loop.
#[derive(Clone)]
pub(crate) struct RawCaller {
    pub(crate) channel: Channel,
    pub(crate) exchange: String,
    pub(crate) key: String,
    pub(crate) reply_queue: String,
    pub(crate) pending: Pending,
    pub(crate) next: Arc<AtomicU64>,
    pub(crate) body: Arc<Vec<u8>>,
}

impl RawCaller {
    pub(crate) async fn call(&self) -> Vec<u8> {
        let id = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.pending
            .lock()
            .expect("pending")
            .insert(id.clone(), sender);
        let properties = json_properties()
            .with_reply_to(s(&self.reply_queue))
            .with_correlation_id(s(&id));
        publish_confirmed(
            &self.channel,
            &self.exchange,
            &self.key,
            false,
            &self.body,
            properties,
        )
        .await;
        receiver.await.expect("reply")
    }
}

/// Where novactor's time goes: its transport alone on the raw pattern's queue.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    /// `AmqpTransport::publish` of the fixed body, all at once (no envelope encoding, a
    /// bare consumer on the other side).
    pub(crate) transport_casts_per_s: f64,
    /// One `AmqpTransport::publish` (publish + confirm), sequential, p50.
    pub(crate) transport_publish_p50_us: f64,
    /// One bare lapin publish + confirm, sequential, p50.
    pub(crate) raw_publish_p50_us: f64,
}

impl Diagnostics {
    /// Each figure's median over the rounds.
    pub(crate) fn median_of(rounds: &[Diagnostics]) -> Diagnostics {
        let of = |get: fn(&Diagnostics) -> f64| {
            median(rounds.iter().map(get).collect()).unwrap_or(f64::NAN)
        };
        Diagnostics {
            transport_casts_per_s: of(|d| d.transport_casts_per_s),
            transport_publish_p50_us: of(|d| d.transport_publish_p50_us),
            raw_publish_p50_us: of(|d| d.raw_publish_p50_us),
        }
    }
}

pub(crate) async fn bench_raw(url: &RabbitUrl) -> (Figures, Diagnostics) {
    let exchange = unique("bench_raw");
    let cast_queue = unique("raw_casts");
    let call_queue = unique("raw_calls");
    let reply_queue = unique("raw_reply");
    let request_body = Arc::new(fixed_request_body());
    let reply_body = Arc::new(fixed_reply_body());

    // The "server" process: its own connection, consumers, and a confirm channel for replies.
    let server = lapin_connect(url).await;
    let setup = server.create_channel().await.expect("channel");
    setup
        .exchange_declare(
            s(&exchange),
            lapin::ExchangeKind::Topic,
            // oslo's flags, so novactor's transport can publish to it in the diagnostics.
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("exchange_declare");
    let consumed = Arc::new(AtomicU64::new(0));
    let mut casts_in = raw_consumer(&server, &exchange, &cast_queue, Some(&cast_queue)).await;
    let counter = Arc::clone(&consumed);
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = casts_in.next().await {
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut calls_in = raw_consumer(&server, &exchange, &call_queue, Some(&call_queue)).await;
    let replies_out = confirm_channel(&server).await;
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = calls_in.next().await {
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            let reply_to = delivery.properties.reply_to().clone();
            let correlation = delivery.properties.correlation_id().clone();
            let (Some(reply_to), Some(correlation)) = (reply_to, correlation) else {
                continue;
            };
            let channel = replies_out.clone();
            let body = Arc::clone(&reply_body);
            // Each reply waits for its own confirm, as a server thread would.
            tokio::spawn(async move {
                publish_confirmed(
                    &channel,
                    "",
                    reply_to.as_str(),
                    true,
                    &body,
                    json_properties().with_correlation_id(correlation),
                )
                .await;
            });
        }
    });

    // The "client" process: its own connection, a confirm channel, a reply queue consumer.
    let client = lapin_connect(url).await;
    let publisher = confirm_channel(&client).await;
    let pending: Pending = Arc::default();
    let mut replies_in = raw_consumer(&client, "", &reply_queue, None).await;
    let routes = Arc::clone(&pending);
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = replies_in.next().await {
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
            let Some(id) = delivery.properties.correlation_id().clone() else {
                continue;
            };
            let waiter = routes.lock().expect("pending").remove(id.as_str());
            if let Some(waiter) = waiter {
                let _ = waiter.send(delivery.data);
            }
        }
    });
    let caller = RawCaller {
        channel: publisher.clone(),
        exchange: exchange.clone(),
        key: call_queue.clone(),
        reply_queue: reply_queue.clone(),
        pending,
        next: Arc::new(AtomicU64::new(0)),
        body: Arc::clone(&request_body),
    };
    for _ in 0..WARMUP_CALLS {
        caller.call().await;
    }

    // Casts: publish all, then await every confirm.
    let started = Instant::now();
    let mut confirms = Vec::with_capacity(CASTS);
    for _ in 0..CASTS {
        let confirm = publisher
            .basic_publish(
                s(&exchange),
                s(&cast_queue),
                BasicPublishOptions::default(),
                &request_body,
                json_properties(),
            )
            .await
            .expect("publish");
        confirms.push(confirm);
    }
    for confirm in confirms {
        let confirmation = confirm.await.expect("confirm");
        assert!(matches!(confirmation, Confirmation::Ack(None)));
    }
    let confirmed = started.elapsed();
    let mut drained = None;
    while started.elapsed() < DRAIN_LIMIT {
        if consumed.load(Ordering::Relaxed) >= CASTS as u64 {
            drained = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    let sequential_started = Instant::now();
    for _ in 0..SEQUENTIAL_CALLS {
        let t = Instant::now();
        caller.call().await;
        latencies.push(t.elapsed());
    }
    let sequential = sequential_started.elapsed();
    latencies.sort();

    let concurrent_started = Instant::now();
    let callers: Vec<_> = (0..CONCURRENT_CALLERS)
        .map(|_| {
            let caller = caller.clone();
            tokio::spawn(async move {
                for _ in 0..CALLS_PER_CALLER {
                    caller.call().await;
                }
            })
        })
        .collect();
    for handle in callers {
        handle.await.expect("caller");
    }
    let concurrent = concurrent_started.elapsed();

    // Diagnostics: novactor's transport on the same queue, with the same fixed body.
    let transport = connected_transport(url).await;
    let message = || OutgoingMessage {
        route: Route::Topic {
            exchange: exchange.clone(),
            routing_key: cast_queue.clone(),
        },
        body: request_body.to_vec(),
        expiration: None,
    };
    transport.publish(message()).await.expect("warm-up publish");
    let transport_started = Instant::now();
    for result in futures::future::join_all((0..CASTS).map(|_| transport.publish(message()))).await
    {
        result.expect("transport publish");
    }
    let transport_casts = transport_started.elapsed();
    let mut transport_latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    let mut raw_latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let t = Instant::now();
        transport
            .publish(message())
            .await
            .expect("transport publish");
        transport_latencies.push(t.elapsed());
        let t = Instant::now();
        publish_confirmed(
            &publisher,
            &exchange,
            &cast_queue,
            false,
            &request_body,
            json_properties(),
        )
        .await;
        raw_latencies.push(t.elapsed());
    }
    transport_latencies.sort();
    raw_latencies.sort();
    let diagnostics = Diagnostics {
        transport_casts_per_s: per_s(CASTS, transport_casts),
        transport_publish_p50_us: percentile_us(&transport_latencies, 0.50),
        raw_publish_p50_us: percentile_us(&raw_latencies, 0.50),
    };
    drop(transport);

    for queue in [&cast_queue, &call_queue] {
        let _ = setup
            .queue_delete(s(queue), QueueDeleteOptions::default())
            .await;
    }
    let _ = setup
        .exchange_delete(s(&exchange), ExchangeDeleteOptions::default())
        .await;
    let _ = client.close(200, s("done")).await;
    let _ = server.close(200, s("done")).await;

    let figures = Figures {
        casts_confirmed_per_s: Some(per_s(CASTS, confirmed)),
        casts_handled_per_s: drained.map(|d| per_s(CASTS, d)),
        call_p50_us: Some(percentile_us(&latencies, 0.50)),
        call_p99_us: Some(percentile_us(&latencies, 0.99)),
        sequential_calls_per_s: Some(per_s(SEQUENTIAL_CALLS, sequential)),
        concurrent_calls_per_s: Some(per_s(CONCURRENT_CALLERS * CALLS_PER_CALLER, concurrent)),
    };
    (figures, diagnostics)
}
