//! RabbitMQ comparison on the local broker, in one run: novactor vs a raw lapin loop vs
//! oslo.messaging 18.3.1 — cast throughput, sequential call latency (p50/p99) and calls/s
//! with 8 concurrent callers — printed as one table with the issue's targets checked:
//! casts ≥ 0.8× raw lapin, call p50 ≤ 1.2× raw lapin, ≥ 5× oslo.messaging on every figure.
//!
//! - **novactor**: a node hosting the conductor actor (`baseapi.ping`) on its own
//!   [`AmqpTransport`], called from a second runtime environment with its own transport
//!   (as a separate process would be). Topic, host and control exchange are unique per run.
//! - **raw lapin**: the same pattern with bare lapin and a fixed oslo-shaped JSON body:
//!   casts are pipelined `basic_publish` with publisher confirms (publish all, then await
//!   every confirm); calls go through a reply queue correlated by `correlation_id`, a
//!   consumer task acking and replying on the default exchange (mandatory, confirmed).
//! - **oslo.messaging**: `tests/interop/oslo_peer.py` `server` plus its `bench` mode. Without
//!   the venv (`scripts/python-venv.sh`) that column is skipped with a note.
//!
//! Broker: `NOVACTOR_TEST_RABBIT_URL` or `rabbit://guest:guest@127.0.0.1:5672/`.
//! Python: `NOVACTOR_BENCH_PYTHON`, else the last stdout line of `scripts/python-venv.sh`.
//!
//! Run: `bash bench/amqp_compare.sh` (= services + venv + `cargo bench --bench amqp_compare`).

use novactor_nova::conf::NovaConfig;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use novactor::rpc::envelope::{encode_envelope, Reply, ReplyTo, Request};
use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
use novactor::rpc::transport::{OutgoingMessage, Route};
use novactor::rpc::{RequestContext, Target, Transport};
use novactor::service::define;
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::conductor::ConductorManager;
use novactor_nova::rpcapi::BaseApi;
use novactor_nova::NovaService;
use serde_json::{json, Map, Value};

const CASTS: usize = 20_000;
const WARMUP_CALLS: usize = 200;
const SEQUENTIAL_CALLS: usize = 2_000;
const CONCURRENT_CALLERS: usize = 8;
const CALLS_PER_CALLER: usize = 500;
/// Longest wait for the servers to handle every cast.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// One column of the table; `None` where a figure does not apply or was not measured.
#[derive(Debug, Default, Clone)]
struct Figures {
    casts_confirmed_per_s: Option<f64>,
    casts_handled_per_s: Option<f64>,
    call_p50_us: Option<f64>,
    call_p99_us: Option<f64>,
    sequential_calls_per_s: Option<f64>,
    concurrent_calls_per_s: Option<f64>,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e6
}

fn per_s(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn rabbit_url() -> String {
    std::env::var("NOVACTOR_TEST_RABBIT_URL")
        .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".to_owned())
}

/// The same broker as an `amqp://` URI for bare lapin.
fn lapin_uri(url: &RabbitUrl) -> lapin::uri::AMQPUri {
    let host = &url.hosts[0];
    lapin::uri::AMQPUri {
        scheme: lapin::uri::AMQPScheme::AMQP,
        authority: lapin::uri::AMQPAuthority {
            userinfo: lapin::uri::AMQPUserInfo {
                username: host.username.clone(),
                password: host.password.clone(),
            },
            host: host.host.clone(),
            port: host.port,
        },
        vhost: url.vhost.clone(),
        query: lapin::uri::AMQPQueryString::default(),
    }
}

async fn lapin_connect(url: &RabbitUrl) -> Connection {
    Connection::connect_uri(lapin_uri(url), ConnectionProperties::default())
        .await
        .expect("bare lapin connects to RabbitMQ")
}

fn s(value: &str) -> ShortString {
    ShortString::from(value)
}

// ------------------------------------------------------------------------------ novactor

/// Names the novactor run declared, for the clean-up.
struct NovactorNames {
    exchange: String,
    topic: String,
    host: String,
}

async fn connected_transport(url: &RabbitUrl) -> Arc<dyn Transport> {
    let transport = AmqpTransport::new(url.clone(), AmqpSettings::default());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !transport.status().connected() {
        assert!(
            Instant::now() < deadline,
            "RabbitMQ is unreachable ({:?}); run `bash scripts/services.sh`",
            transport.status().last_error
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Arc::new(transport)
}

async fn handled(node: &Node) -> u64 {
    node.snapshot()
        .await
        .expect("snapshot")
        .actor("conductor")
        .expect("conductor")
        .handled
}

async fn bench_novactor(url: &RabbitUrl) -> (Figures, NovactorNames) {
    let names = NovactorNames {
        exchange: unique("bench_nova"),
        topic: unique("conductor"),
        host: unique("bench-host"),
    };
    let config = NovaConfig::with_overrides(&[
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "host", &names.host),
        ("DEFAULT", "control_exchange", &names.exchange),
    ])
    .expect("config");
    // The conductor exactly as `NovaService::Conductor.definition` builds it, but on a topic
    // of this run's own: queue names do not include the exchange, so a plain `conductor`
    // queue would be shared with any other conductor (or leftover) on the broker.
    let mut spec = NovaService::Conductor.spec(&config);
    spec.topic = Some(names.topic.clone());
    spec.instances = config.conductor.workers;
    let state = tempfile::tempdir().expect("temp dir");
    let state_path = state.path().to_string_lossy().into_owned();
    let db_config =
        NovaConfig::with_overrides(&[("DEFAULT", "state_path", &state_path)]).expect("config");
    let db = novactor_nova::db::open(&db_config)
        .await
        .expect("embedded database");
    let conductor = define(spec, move |_| ConductorManager::new(db.clone()));

    let config = Arc::clone(config.runtime());
    let server_env = RuntimeEnv::new(
        Arc::clone(&config),
        connected_transport(url).await,
        Arc::new(MemoryServiceGroup::default()),
    );
    let node = Node::start_with(server_env, vec![conductor])
        .await
        .expect("node starts");
    // The caller: another environment with its own connection, as another process.
    let client_env = RuntimeEnv::new(
        Arc::clone(&config),
        connected_transport(url).await,
        Arc::new(MemoryServiceGroup::default()),
    );
    let client = client_env
        .rpc
        .client(Target::topic(&names.topic), Duration::from_secs(60));
    let api = BaseApi::new(&client);
    let ctx = RequestContext::new();
    for i in 0..WARMUP_CALLS {
        api.ping(&ctx, json!(i), None).await.expect("warm-up ping");
    }

    // Casts: all issued at once, so they pipeline on the publisher's confirm channel.
    let caster = client.with_namespace("baseapi").with_version("1.0");
    let before = handled(&node).await;
    let started = Instant::now();
    let results = futures::future::join_all(
        (0..CASTS).map(|i| caster.cast(&ctx, "ping", json!({ "arg": i }))),
    )
    .await;
    let confirmed = started.elapsed();
    for result in results {
        result.expect("cast");
    }
    let mut drained = None;
    while started.elapsed() < DRAIN_LIMIT {
        if handled(&node).await >= before + CASTS as u64 {
            drained = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if drained.is_none() {
        println!("novactor: the conductor did not handle all {CASTS} casts within {DRAIN_LIMIT:?}");
    }

    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    let sequential_started = Instant::now();
    for i in 0..SEQUENTIAL_CALLS {
        let t = Instant::now();
        api.ping(&ctx, json!(i), None).await.expect("ping");
        latencies.push(t.elapsed());
    }
    let sequential = sequential_started.elapsed();
    latencies.sort();

    let concurrent_started = Instant::now();
    let callers: Vec<_> = (0..CONCURRENT_CALLERS)
        .map(|_| {
            let api = api.clone();
            actix_rt::spawn(async move {
                let ctx = RequestContext::new();
                for i in 0..CALLS_PER_CALLER {
                    api.ping(&ctx, json!(i), None).await.expect("ping");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller");
    }
    let concurrent = concurrent_started.elapsed();
    node.shutdown().await.expect("shutdown");

    let figures = Figures {
        casts_confirmed_per_s: Some(per_s(CASTS, confirmed)),
        casts_handled_per_s: drained.map(|d| per_s(CASTS, d)),
        call_p50_us: Some(percentile_us(&latencies, 0.50)),
        call_p99_us: Some(percentile_us(&latencies, 0.99)),
        sequential_calls_per_s: Some(per_s(SEQUENTIAL_CALLS, sequential)),
        concurrent_calls_per_s: Some(per_s(CONCURRENT_CALLERS * CALLS_PER_CALLER, concurrent)),
    };
    (figures, names)
}

// ------------------------------------------------------------------------------ raw lapin

/// A realistic oslo 2.0 envelope for `ping`, encoded once and sent as is.
fn fixed_request_body() -> Vec<u8> {
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

fn fixed_reply_body() -> Vec<u8> {
    let msg_id = uuid::Uuid::new_v4().simple().to_string();
    let reply = Reply::finish(&msg_id, Ok(json!({"service": "conductor", "arg": 1})));
    let payload: Map<String, Value> = reply.to_payload();
    encode_envelope(&payload)
}

fn json_properties() -> BasicProperties {
    BasicProperties::default()
        .with_content_type(s("application/json"))
        .with_delivery_mode(2)
}

async fn confirm_channel(connection: &Connection) -> Channel {
    let channel = connection.create_channel().await.expect("channel");
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirm mode");
    channel
}

async fn publish_confirmed(
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
async fn raw_consumer(
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

type Pending = Arc<Mutex<HashMap<String, tokio::sync::oneshot::Sender<Vec<u8>>>>>;

/// The caller side of the raw request/reply loop.
#[derive(Clone)]
struct RawCaller {
    channel: Channel,
    exchange: String,
    key: String,
    reply_queue: String,
    pending: Pending,
    next: Arc<AtomicU64>,
    body: Arc<Vec<u8>>,
}

impl RawCaller {
    async fn call(&self) -> Vec<u8> {
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
struct Diagnostics {
    /// `AmqpTransport::publish` of the fixed body, all at once (no envelope encoding, a
    /// bare consumer on the other side).
    transport_casts_per_s: f64,
    /// One `AmqpTransport::publish` (publish + confirm), sequential, p50.
    transport_publish_p50_us: f64,
    /// One bare lapin publish + confirm, sequential, p50.
    raw_publish_p50_us: f64,
}

async fn bench_raw(url: &RabbitUrl) -> (Figures, Diagnostics) {
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

// ------------------------------------------------------------------------------ oslo

/// Names the oslo run declared, for the clean-up.
#[derive(Debug, Default)]
struct OsloNames {
    exchange: String,
    topics: Vec<String>,
}

fn find_python(root: &Path) -> Result<PathBuf, String> {
    if let Ok(python) = std::env::var("NOVACTOR_BENCH_PYTHON") {
        let python = PathBuf::from(python);
        return if python.exists() {
            Ok(python)
        } else {
            Err(format!(
                "no Python interpreter at {} (NOVACTOR_BENCH_PYTHON); scripts/python-venv.sh makes one",
                python.display()
            ))
        };
    }
    let output = Command::new("bash")
        .arg(root.join("scripts/python-venv.sh"))
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run scripts/python-venv.sh: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "scripts/python-venv.sh failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(|line| PathBuf::from(line.trim()))
        .ok_or_else(|| "scripts/python-venv.sh printed no interpreter".to_owned())
}

/// An oslo RPC server on `topic`, returned once its queues exist.
struct OsloServer {
    child: std::process::Child,
}

impl OsloServer {
    fn start(
        python: &Path,
        peer: &Path,
        url: &str,
        exchange: &str,
        topic: &str,
    ) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let ready = dir.path().join("ready");
        let child = Command::new(python)
            .arg(peer)
            .args(["server", "--url", url, "--topic", topic, "--server", "s1"])
            .args(["--exchange", exchange, "--ready-file"])
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the oslo server: {e}"))?;
        let mut server = Self { child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready.exists() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = server.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(format!("oslo server exited ({status}): {}", stderr.trim()));
            }
            if Instant::now() > deadline {
                return Err("oslo server not ready within 60 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// SIGTERM (oslo's clean stop), SIGKILL after 10 s.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn oslo_bench(
    python: &Path,
    peer: &Path,
    url: &str,
    exchange: &str,
    topic: &str,
    calls: usize,
    casts: usize,
) -> Result<Value, String> {
    let output = Command::new(python)
        .arg(peer)
        .args([
            "bench",
            "--url",
            url,
            "--topic",
            topic,
            "--exchange",
            exchange,
        ])
        .args(["--method", "echo", "--args", r#"{"value": "x"}"#])
        .args(["--calls", &calls.to_string(), "--casts", &casts.to_string()])
        .args(["--concurrency", &CONCURRENT_CALLERS.to_string()])
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run the oslo bench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(line).map_err(|e| {
        format!(
            "oslo bench printed {line:?} ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    if value["ok"] != json!(true) {
        return Err(format!("oslo bench failed: {value}"));
    }
    Ok(value)
}

/// Casts against one oslo server, then calls against another, so the calls do not queue
/// behind casts the first server is still working through.
fn bench_oslo(url: &str, names: &mut OsloNames) -> Result<Figures, String> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let python = find_python(root)?;
    let peer = root.join("tests/interop/oslo_peer.py");
    names.exchange = unique("bench_oslo");
    let cast_topic = unique("oslo_casts");
    let call_topic = unique("oslo_calls");
    names.topics = vec![cast_topic.clone(), call_topic.clone()];

    let server = OsloServer::start(&python, &peer, url, &names.exchange, &cast_topic)?;
    let casts = oslo_bench(&python, &peer, url, &names.exchange, &cast_topic, 0, CASTS);
    server.stop();
    let casts = casts?;

    let server = OsloServer::start(&python, &peer, url, &names.exchange, &call_topic)?;
    let calls = oslo_bench(
        &python,
        &peer,
        url,
        &names.exchange,
        &call_topic,
        SEQUENTIAL_CALLS,
        0,
    );
    server.stop();
    let calls = calls?;

    Ok(Figures {
        casts_confirmed_per_s: casts["cast_per_s"].as_f64(),
        casts_handled_per_s: None,
        call_p50_us: calls["call_p50_us"].as_f64(),
        call_p99_us: calls["call_p99_us"].as_f64(),
        // The peer's bench reports percentiles only.
        sequential_calls_per_s: None,
        concurrent_calls_per_s: calls["concurrent_calls_per_s"].as_f64(),
    })
}

// ------------------------------------------------------------------------------ clean-up

/// Delete what this run declared (all names are unique to it).
async fn clean_up(url: &RabbitUrl, nova: &NovactorNames, oslo: &OsloNames) {
    let connection = lapin_connect(url).await;
    let mut queues = vec![nova.topic.clone(), format!("{}.{}", nova.topic, nova.host)];
    let mut exchanges = vec![nova.exchange.clone(), format!("{}_fanout", nova.topic)];
    for topic in &oslo.topics {
        queues.push(topic.clone());
        queues.push(format!("{topic}.s1"));
        exchanges.push(format!("{topic}_fanout"));
    }
    if !oslo.exchange.is_empty() {
        exchanges.push(oslo.exchange.clone());
    }
    // A failed delete closes the channel; use one per entity.
    for queue in queues {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel
                .queue_delete(s(&queue), QueueDeleteOptions::default())
                .await;
            let _ = channel.close(200, s("done")).await;
        }
    }
    for exchange in exchanges {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel
                .exchange_delete(s(&exchange), ExchangeDeleteOptions::default())
                .await;
            let _ = channel.close(200, s("done")).await;
        }
    }
    let _ = connection.close(200, s("done")).await;
}

// ------------------------------------------------------------------------------ report

fn cell(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) => format!("{v:.decimals$}"),
        None => "—".to_owned(),
    }
}

/// `ratio` against a target: `at_least` (higher is better) or at most.
fn verdict(ratio: Option<f64>, bound: f64, at_least: bool) -> String {
    match ratio {
        None => "n/a (not measured)".to_owned(),
        Some(r) => {
            let pass = if at_least { r >= bound } else { r <= bound };
            format!("{r:.2}×  {}", if pass { "PASS" } else { "MISS" })
        }
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

/// A table row: label, the figure it reads, decimals.
type Row = (&'static str, fn(&Figures) -> Option<f64>, usize);

fn report(
    nova: &Figures,
    raw: &Figures,
    oslo: &Figures,
    oslo_note: Option<&str>,
    diagnostics: &Diagnostics,
) {
    println!();
    println!("novactor amqp_compare (RabbitMQ, one run; {CASTS} casts, {SEQUENTIAL_CALLS} sequential calls, {CONCURRENT_CALLERS} callers × {CALLS_PER_CALLER})");
    println!(
        "{:<40} {:>14} {:>14} {:>16}",
        "figure", "novactor", "raw lapin", "oslo.messaging"
    );
    let rows: [Row; 6] = [
        (
            "casts/s (published + confirmed)",
            |f| f.casts_confirmed_per_s,
            0,
        ),
        ("casts/s (until all handled)", |f| f.casts_handled_per_s, 0),
        ("sequential call p50 (µs)", |f| f.call_p50_us, 1),
        ("sequential call p99 (µs)", |f| f.call_p99_us, 1),
        ("sequential calls/s", |f| f.sequential_calls_per_s, 0),
        (
            "8 concurrent callers, calls/s",
            |f| f.concurrent_calls_per_s,
            0,
        ),
    ];
    for (name, get, decimals) in rows {
        println!(
            "{name:<40} {:>14} {:>14} {:>16}",
            cell(get(nova), decimals),
            cell(get(raw), decimals),
            cell(get(oslo), decimals)
        );
    }
    if let Some(note) = oslo_note {
        println!("oslo.messaging column skipped: {note}");
    }
    println!();
    println!("targets (novactor vs …):");
    println!(
        "  casts ≥ 0.8× raw lapin (confirmed)       {}",
        verdict(
            ratio(nova.casts_confirmed_per_s, raw.casts_confirmed_per_s),
            0.8,
            true
        )
    );
    println!(
        "  call p50 ≤ 1.2× raw lapin                {}",
        verdict(ratio(nova.call_p50_us, raw.call_p50_us), 1.2, false)
    );
    println!(
        "  casts/s ≥ 5× oslo.messaging              {}",
        verdict(
            ratio(nova.casts_confirmed_per_s, oslo.casts_confirmed_per_s),
            5.0,
            true
        )
    );
    println!(
        "  call p50 ≥ 5× better than oslo           {}",
        verdict(ratio(oslo.call_p50_us, nova.call_p50_us), 5.0, true)
    );
    println!(
        "  call p99 ≥ 5× better than oslo           {}",
        verdict(ratio(oslo.call_p99_us, nova.call_p99_us), 5.0, true)
    );
    println!(
        "  8-caller calls/s ≥ 5× oslo               {}",
        verdict(
            ratio(nova.concurrent_calls_per_s, oslo.concurrent_calls_per_s),
            5.0,
            true
        )
    );
    println!(
        "  (info) casts until handled vs raw lapin  {:.2}×",
        ratio(nova.casts_handled_per_s, raw.casts_handled_per_s).unwrap_or(f64::NAN)
    );
    println!(
        "  (info) 8-caller calls/s vs raw lapin     {:.2}×",
        ratio(nova.concurrent_calls_per_s, raw.concurrent_calls_per_s).unwrap_or(f64::NAN)
    );
    println!();
    println!("diagnostics (novactor's AmqpTransport alone, fixed body, bare consumer):");
    println!(
        "  transport.publish × {CASTS} at once         {:>10.0} casts/s",
        diagnostics.transport_casts_per_s
    );
    println!(
        "  one publish + confirm, p50               {:>10.1} µs (raw lapin {:.1} µs)",
        diagnostics.transport_publish_p50_us, diagnostics.raw_publish_p50_us
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    let url_text = rabbit_url();
    let url = RabbitUrl::parse(&url_text).expect("valid broker URL");
    actix_rt::System::new().block_on(async move {
        println!("novactor: casts, sequential and concurrent calls …");
        let (nova, nova_names) = bench_novactor(&url).await;
        println!("raw lapin: casts, sequential and concurrent calls …");
        let (raw, diagnostics) = bench_raw(&url).await;
        println!("oslo.messaging: casts, then calls (Python peer) …");
        let oslo_url = url_text.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut names = OsloNames::default();
            let figures = bench_oslo(&oslo_url, &mut names);
            (figures, names)
        })
        .await
        .expect("oslo thread");
        let (oslo, oslo_names) = outcome;
        let (oslo, note) = match oslo {
            Ok(figures) => (figures, None),
            Err(error) => (Figures::default(), Some(error)),
        };
        clean_up(&url, &nova_names, &oslo_names).await;
        report(&nova, &raw, &oslo, note.as_deref(), &diagnostics);
    });
}
