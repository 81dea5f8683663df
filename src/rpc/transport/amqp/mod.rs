//! `rabbit://`: the RabbitMQ transport on lapin, with oslo.messaging's exact topology and
//! message properties (oslo-wire.md), and a connection whose life novactor owns.
//!
//! One connection per transport. One publisher channel in confirm mode: concurrent
//! publishes pipeline on it, each resolving at its own confirm. One channel per
//! subscription (declare, bind, QoS, consume). Deliveries are forwarded into channels that
//! outlive the connection, so an RPC server never notices a reconnect except for the gap.
//!
//! Losing the connection (socket error, missed heartbeats, broker shutdown, a consumer
//! cancelled by the broker) moves the state to `reconnecting`, logged once; the owner task
//! then tries the URL's hosts round-robin with oslo's backoff (`rabbit_retry_interval`,
//! `+rabbit_retry_backoff` per attempt, capped at `rabbit_interval_max`, plus jitter),
//! re-declares every live subscription's topology and resumes consuming. lapin's own
//! auto-recovery is not used (lapin#450: it does not recover after a broker restart).

mod connection_status;
mod topology;
mod url;

pub use connection_status::{LinkState, TransportStatus};
pub use topology::{ExchangeDecl, QueueDecl, TopologySettings};
pub use url::{BrokerHost, RabbitUrl, UrlError};

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use lapin::options::{
    BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{FieldTable, LongString, ShortString};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use rand::Rng;
use tokio::sync::{mpsc, watch};

use self::connection_status::StatusCell;
use super::{
    Cancel, Delivery, OutgoingMessage, QueueSpec, Route, Settle, Subscription, Transport,
    TransportError,
};
use crate::rpc::envelope::new_id;

/// oslo accepts only this content type; anything else is rejected unread.
const CONTENT_TYPE: &str = "application/json";
/// Bodies above this are rejected unread (RabbitMQ's own default limit is 128 MiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Connection settings (`[oslo_messaging_rabbit]`, after the URL query's overrides).
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// Declarations.
    pub topology: TopologySettings,
    /// `rabbit_qos_prefetch_count`; 0 sends no `Basic.Qos`.
    pub prefetch_count: u16,
    /// `heartbeat_timeout_threshold` in seconds; 0 disables heartbeats.
    pub heartbeat_secs: u16,
    /// `rabbit_retry_interval`.
    pub retry_interval: Duration,
    /// `rabbit_retry_backoff`.
    pub retry_backoff: Duration,
    /// `rabbit_interval_max`.
    pub interval_max: Duration,
    /// TLS even for `rabbit://` (`ssl`).
    pub tls: bool,
    /// Extra CA certificates in PEM (`ssl_ca_file`).
    pub ca_file: Option<PathBuf>,
    /// Authenticate with AMQPLAIN (oslo's default) instead of PLAIN.
    pub amqplain: bool,
    /// Publishes wait this long for a connection before failing.
    pub publish_wait: Duration,
}

impl Default for AmqpSettings {
    fn default() -> Self {
        Self {
            topology: TopologySettings::default(),
            prefetch_count: 0,
            heartbeat_secs: 60,
            retry_interval: Duration::from_secs(1),
            retry_backoff: Duration::from_secs(2),
            interval_max: Duration::from_secs(30),
            tls: false,
            ca_file: None,
            amqplain: true,
            publish_wait: Duration::from_secs(60),
        }
    }
}

impl AmqpSettings {
    /// Settings from `[oslo_messaging_rabbit]` (after any transport URL query overrides).
    pub fn from_options(options: &crate::config::RabbitOptions) -> Self {
        let to_u32 = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        Self {
            topology: TopologySettings {
                durable_queues: options.amqp_durable_queues,
                quorum_queue: options.rabbit_quorum_queue,
                transient_quorum_queue: options.rabbit_transient_quorum_queue,
                quorum_delivery_limit: to_u32(options.rabbit_quorum_delivery_limit),
                quorum_max_memory_length: to_u32(options.rabbit_quorum_max_memory_length),
                quorum_max_memory_bytes: to_u32(options.rabbit_quorum_max_memory_bytes),
                ha_queues: options.rabbit_ha_queues,
                transient_queues_ttl: options
                    .rabbit_transient_queues_ttl
                    .unwrap_or(Duration::ZERO),
            },
            prefetch_count: options.rabbit_qos_prefetch_count,
            heartbeat_secs: options.heartbeat_secs(),
            retry_interval: options.rabbit_retry_interval,
            retry_backoff: options.rabbit_retry_backoff,
            interval_max: options.rabbit_interval_max,
            tls: options.ssl,
            ca_file: options.ssl_ca_file.clone(),
            amqplain: matches!(
                options.rabbit_login_method,
                crate::config::LoginMethod::AmqPlain
            ),
            publish_wait: Duration::from_secs(60),
        }
    }
}

/// What a live connection holds.
#[derive(Clone)]
struct Link {
    generation: u64,
    connection: Arc<Connection>,
    publisher: Channel,
}

/// A registered subscription, re-established after every reconnect.
struct Registered {
    decl: QueueDecl,
    sender: mpsc::UnboundedSender<Delivery>,
    /// Channel and consumer tag of the current consumer, to cancel it.
    current: Option<(Channel, String)>,
}

struct Inner {
    url: RabbitUrl,
    settings: AmqpSettings,
    status: StatusCell,
    link: watch::Sender<Option<Link>>,
    /// Exchanges declared on the current publisher channel (oslo declares once per channel).
    declared: Mutex<(u64, HashSet<String>)>,
    subscriptions: Mutex<HashMap<u64, Registered>>,
    next_subscription: AtomicU64,
    /// Tells the owner task the current link is bad.
    lost: mpsc::UnboundedSender<(u64, String)>,
}

/// The RabbitMQ transport. Clones share one connection.
#[derive(Clone)]
pub struct AmqpTransport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AmqpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpTransport")
            .field("hosts", &self.inner.url.hosts)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn connection_error(error: impl std::fmt::Display) -> TransportError {
    TransportError::Connection(error.to_string())
}

impl AmqpTransport {
    /// A transport for `url`; the connection is made in the background and kept alive.
    /// Must be called inside a tokio runtime.
    pub fn new(url: RabbitUrl, settings: AmqpSettings) -> Self {
        let (link, _) = watch::channel(None);
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            url,
            settings,
            status: StatusCell::new("rabbit"),
            link,
            declared: Mutex::new((0, HashSet::new())),
            subscriptions: Mutex::new(HashMap::new()),
            next_subscription: AtomicU64::new(1),
            lost,
        });
        tokio::spawn(own_connection(Arc::downgrade(&inner), lost_rx));
        Self { inner }
    }

    /// Wait until connected, at most `wait`.
    async fn link(&self, wait: Duration) -> Result<Link, TransportError> {
        let mut receiver = self.inner.link.subscribe();
        let connected = tokio::time::timeout(wait, receiver.wait_for(Option::is_some)).await;
        match connected {
            Ok(Ok(link)) => link.clone().ok_or(TransportError::Closed),
            Ok(Err(_)) => Err(TransportError::Closed),
            Err(_) => {
                let status = self.inner.status.get();
                Err(TransportError::Connection(format!(
                    "no broker connection within {wait:?} (state {:?}, last error: {})",
                    status.state,
                    status.last_error.as_deref().unwrap_or("none")
                )))
            }
        }
    }

    async fn declare_exchange_once(
        &self,
        link: &Link,
        decl: &ExchangeDecl,
    ) -> Result<(), TransportError> {
        {
            let declared = lock(&self.inner.declared);
            if declared.0 == link.generation && declared.1.contains(&decl.name) {
                return Ok(());
            }
        }
        declare_exchange(&link.publisher, decl)
            .await
            .map_err(connection_error)?;
        let mut declared = lock(&self.inner.declared);
        if declared.0 != link.generation {
            *declared = (link.generation, HashSet::new());
        }
        declared.1.insert(decl.name.clone());
        Ok(())
    }
}

async fn declare_exchange(channel: &Channel, decl: &ExchangeDecl) -> lapin::Result<()> {
    let kind = if decl.fanout {
        ExchangeKind::Fanout
    } else {
        ExchangeKind::Topic
    };
    let options = ExchangeDeclareOptions {
        durable: decl.durable,
        auto_delete: decl.auto_delete,
        ..Default::default()
    };
    channel
        .exchange_declare(
            ShortString::from(decl.name.as_str()),
            kind,
            options,
            FieldTable::default(),
        )
        .await
}

/// Declare `decl` (and its exchange and binding), set QoS and start consuming.
async fn open_consumer(
    link: &Link,
    decl: &QueueDecl,
    prefetch: u16,
) -> lapin::Result<(Channel, lapin::Consumer)> {
    let channel = link.connection.create_channel().await?;
    if let Some((exchange, _)) = &decl.binding {
        declare_exchange(&channel, exchange).await?;
    }
    let options = QueueDeclareOptions {
        durable: decl.durable,
        ..Default::default()
    };
    channel
        .queue_declare(
            ShortString::from(decl.name.as_str()),
            options,
            decl.arguments.clone(),
        )
        .await?;
    if let Some((exchange, key)) = &decl.binding {
        channel
            .queue_bind(
                ShortString::from(decl.name.as_str()),
                ShortString::from(exchange.name.as_str()),
                ShortString::from(key.as_str()),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    if prefetch > 0 {
        channel
            .basic_qos(prefetch, BasicQosOptions { global: false })
            .await?;
    }
    let consumer = channel
        .basic_consume(
            ShortString::from(decl.name.as_str()),
            ShortString::from(""),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((channel, consumer))
}

/// Start (or restart after a reconnect) subscription `id` on `link`.
async fn start_subscription(inner: &Arc<Inner>, link: &Link, id: u64) -> lapin::Result<()> {
    let Some(decl) = lock(&inner.subscriptions).get(&id).map(|r| r.decl.clone()) else {
        return Ok(());
    };
    let (channel, consumer) = open_consumer(link, &decl, inner.settings.prefetch_count).await?;
    let tag = consumer.tag().to_string();
    let sender = {
        let mut subscriptions = lock(&inner.subscriptions);
        subscriptions.get_mut(&id).map(|registered| {
            registered.current = Some((channel.clone(), tag));
            registered.sender.clone()
        })
    };
    let Some(sender) = sender else {
        // Cancelled meanwhile: the guard could not see this consumer; close it here.
        let _ = channel
            .close(200, ShortString::from("subscription cancelled"))
            .await;
        return Ok(());
    };
    tokio::spawn(forward(
        Arc::downgrade(inner),
        link.generation,
        id,
        decl.name,
        consumer,
        sender,
    ));
    Ok(())
}

/// Hand deliveries to the subscription; reject what cannot be an oslo message.
async fn forward(
    inner: std::sync::Weak<Inner>,
    generation: u64,
    id: u64,
    queue: String,
    mut consumer: lapin::Consumer,
    sender: mpsc::UnboundedSender<Delivery>,
) {
    let ended = loop {
        match consumer.next().await {
            Some(Ok(delivery)) => {
                let content_type = delivery
                    .properties
                    .content_type()
                    .as_ref()
                    .map(|c| c.as_str().to_owned());
                let problem = if content_type.as_deref() != Some(CONTENT_TYPE) {
                    Some(format!(
                        "content type {content_type:?} is not {CONTENT_TYPE:?}"
                    ))
                } else if delivery.data.len() > MAX_BODY_BYTES {
                    Some(format!(
                        "body of {} bytes exceeds {MAX_BODY_BYTES}",
                        delivery.data.len()
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    tracing::warn!(target: "novactor::rpc::rejection", %queue, %problem, "rejecting a message without requeue");
                    if let Err(error) = delivery
                        .acker
                        .reject(BasicRejectOptions { requeue: false })
                        .await
                    {
                        tracing::warn!(%queue, %error, "reject failed");
                    }
                    continue;
                }
                let settle = AmqpSettle {
                    acker: Some(delivery.acker),
                };
                let redelivered = delivery.redelivered;
                if sender
                    .send(Delivery::new(delivery.data, redelivered, Box::new(settle)))
                    .is_err()
                {
                    // The subscriber is gone; its Drop cancels the consumer.
                    return;
                }
            }
            Some(Err(error)) => break error.to_string(),
            None => break "consumer ended".to_owned(),
        }
    };
    let Some(inner) = inner.upgrade() else { return };
    if lock(&inner.subscriptions).contains_key(&id) {
        // Still wanted: the broker cancelled it or the connection died.
        let _ = inner
            .lost
            .send((generation, format!("consumer on {queue} ended: {ended}")));
    }
}

/// Settles through lapin; an unsettled delivery is rejected with requeue when dropped.
struct AmqpSettle {
    acker: Option<lapin::Acker>,
}

impl Settle for AmqpSettle {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), TransportError>> {
        let acker = self.acker.take();
        async move {
            match acker {
                Some(acker) => acker
                    .ack(Default::default())
                    .await
                    .map(drop)
                    .map_err(connection_error),
                None => Ok(()),
            }
        }
        .boxed()
    }

    fn reject(
        mut self: Box<Self>,
        requeue: bool,
    ) -> BoxFuture<'static, Result<(), TransportError>> {
        let acker = self.acker.take();
        async move {
            match acker {
                Some(acker) => acker
                    .reject(BasicRejectOptions { requeue })
                    .await
                    .map(drop)
                    .map_err(connection_error),
                None => Ok(()),
            }
        }
        .boxed()
    }
}

impl Drop for AmqpSettle {
    fn drop(&mut self) {
        if let Some(acker) = self.acker.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = acker.reject(BasicRejectOptions { requeue: true }).await;
                });
            }
        }
    }
}

/// Cancels a subscription's consumer and, for fanout queues, deletes the queue.
struct CancelGuard {
    inner: std::sync::Weak<Inner>,
    id: u64,
}

impl Cancel for CancelGuard {
    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        let target = self.take();
        async move {
            let Some((channel, tag, delete)) = target else {
                return;
            };
            let _ = channel
                .basic_cancel(
                    ShortString::from(tag.as_str()),
                    BasicCancelOptions::default(),
                )
                .await;
            if let Some(queue) = delete {
                let _ = channel
                    .queue_delete(
                        ShortString::from(queue.as_str()),
                        QueueDeleteOptions::default(),
                    )
                    .await;
            }
            // Closing the channel also requeues whatever it had delivered and nobody acked.
            let _ = channel
                .close(200, ShortString::from("subscription cancelled"))
                .await;
        }
        .boxed()
    }
}

impl CancelGuard {
    /// Unregister; returns the consumer to cancel, if one is running.
    fn take(&self) -> Option<(Channel, String, Option<String>)> {
        let inner = self.inner.upgrade()?;
        let registered = lock(&inner.subscriptions).remove(&self.id)?;
        let (channel, tag) = registered.current?;
        let delete = registered
            .decl
            .delete_on_cancel
            .then(|| registered.decl.name.clone());
        Some((channel, tag, delete))
    }
}

fn connection_properties() -> ConnectionProperties {
    let program = std::env::args()
        .next()
        .as_deref()
        .and_then(|p| p.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "novactor".to_owned());
    let name = format!("{program}:{}:{}", std::process::id(), uuid::Uuid::new_v4());
    ConnectionProperties::default()
        .with_connection_name(LongString::from(name.as_str()))
        .with_client_property(ShortString::from("product"), LongString::from("novactor"))
        .with_client_property(
            ShortString::from("version"),
            LongString::from(env!("CARGO_PKG_VERSION")),
        )
}

async fn connect_once(
    url: &RabbitUrl,
    host: &BrokerHost,
    settings: &AmqpSettings,
) -> Result<Connection, String> {
    let tls = url.tls || settings.tls;
    let uri = lapin::uri::AMQPUri {
        scheme: if tls {
            lapin::uri::AMQPScheme::AMQPS
        } else {
            lapin::uri::AMQPScheme::AMQP
        },
        authority: lapin::uri::AMQPAuthority {
            userinfo: lapin::uri::AMQPUserInfo {
                username: host.username.clone(),
                password: host.password.clone(),
            },
            host: host.host.clone(),
            port: host.port,
        },
        vhost: url.vhost.clone(),
        query: lapin::uri::AMQPQueryString {
            heartbeat: Some(settings.heartbeat_secs),
            connection_timeout: Some(10_000),
            auth_mechanism: Some(if settings.amqplain {
                lapin::uri::SASLMechanism::AMQPlain
            } else {
                lapin::uri::SASLMechanism::Plain
            }),
            ..Default::default()
        },
    };
    let mut tls_config = lapin::tcp::OwnedTLSConfig::default();
    if let Some(path) = &settings.ca_file {
        tls_config.cert_chain = Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("ssl_ca_file {}: {e}", path.display()))?,
        );
    }
    let runtime = lapin::runtime::default_runtime().map_err(|e| e.to_string())?;
    Connection::connect_uri_with_config(uri, connection_properties(), tls_config, runtime)
        .await
        .map_err(|e| e.to_string())
}

/// oslo's reconnect delay: interval + backoff × (attempt − 1), capped, plus up to 20 % jitter.
fn retry_delay(settings: &AmqpSettings, attempt: u32) -> Duration {
    let base = settings.retry_interval + settings.retry_backoff * attempt.saturating_sub(1);
    let capped = base.min(settings.interval_max);
    capped.mul_f64(1.0 + rand::rng().random_range(0.0..0.2))
}

/// The connection's owner: connect, serve, notice loss, reconnect — until the transport
/// is dropped.
async fn own_connection(
    inner: std::sync::Weak<Inner>,
    mut lost: mpsc::UnboundedReceiver<(u64, String)>,
) {
    let mut generation = 0u64;
    let mut next_host = 0usize;
    let mut ever_connected = false;
    loop {
        // Connect, trying hosts round-robin.
        let mut attempt = 0u32;
        let (connection, broker) = loop {
            let Some(strong) = inner.upgrade() else {
                return;
            };
            let host = strong.url.hosts[next_host % strong.url.hosts.len()].clone();
            next_host = next_host.wrapping_add(1);
            attempt += 1;
            match connect_once(&strong.url, &host, &strong.settings).await {
                Ok(connection) => break (connection, format!("{}:{}", host.host, host.port)),
                Err(error) => {
                    let delay = retry_delay(&strong.settings, attempt);
                    if attempt == 1 {
                        tracing::error!(broker = %format!("{}:{}", host.host, host.port), %error,
                            "cannot connect to RabbitMQ; retrying with backoff");
                    } else {
                        tracing::debug!(%error, attempt, "RabbitMQ connection attempt failed");
                    }
                    strong.status.update(|s| s.last_error = Some(error));
                    drop(strong);
                    tokio::time::sleep(delay).await;
                }
            }
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        generation += 1;
        let publisher = match open_publisher(&connection).await {
            Ok(channel) => channel,
            Err(error) => {
                strong
                    .status
                    .update(|s| s.last_error = Some(error.to_string()));
                tokio::time::sleep(retry_delay(&strong.settings, 1)).await;
                continue;
            }
        };
        let connection = Arc::new(connection);
        let link = Link {
            generation,
            connection: Arc::clone(&connection),
            publisher,
        };
        // Resume every subscription before announcing the link.
        let ids: Vec<u64> = lock(&strong.subscriptions).keys().copied().collect();
        let mut resumed = true;
        for id in ids {
            if let Err(error) = start_subscription(&strong, &link, id).await {
                tracing::error!(%error, "re-declaring a subscription failed; reconnecting");
                strong
                    .status
                    .update(|s| s.last_error = Some(error.to_string()));
                resumed = false;
                break;
            }
        }
        if !resumed {
            let _ = connection
                .close(320, ShortString::from("reconnecting"))
                .await;
            tokio::time::sleep(retry_delay(&strong.settings, 1)).await;
            continue;
        }
        strong.status.update(|s| {
            s.state = LinkState::Connected;
            s.broker = Some(broker.clone());
            if ever_connected {
                s.reconnects += 1;
            }
        });
        if ever_connected {
            tracing::info!(%broker, "reconnected to RabbitMQ; consumers resumed");
        } else {
            tracing::info!(%broker, "connected to RabbitMQ");
        }
        ever_connected = true;
        strong.link.send_replace(Some(link));
        let mut events = connection.events_listener();
        drop(strong);

        // Serve until something reports this generation lost.
        let (reason, heartbeat_missed) = loop {
            tokio::select! {
                event = events.next() => match event {
                    Some(lapin::Event::Error(error)) => {
                        let missed = matches!(error.kind(), lapin::ErrorKind::MissingHeartbeatError);
                        break (error.to_string(), missed);
                    }
                    Some(_) => continue,
                    None => break ("connection event stream ended".to_owned(), false),
                },
                report = lost.recv() => match report {
                    Some((lost_generation, reason)) if lost_generation == generation => break (reason, false),
                    Some(_) => continue,
                    None => return,
                },
            }
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.link.send_replace(None);
        strong.status.update(|s| {
            s.state = LinkState::Reconnecting;
            s.losses += 1;
            s.heartbeats_missed += u64::from(heartbeat_missed);
            s.broker = None;
            s.last_error = Some(reason.clone());
        });
        tracing::error!(%broker, %reason, "lost the RabbitMQ connection; reconnecting");
        drop(strong);
        let _ = connection
            .close(320, ShortString::from("reconnecting"))
            .await;
    }
}

async fn open_publisher(connection: &Connection) -> lapin::Result<Channel> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok(channel)
}

fn properties(expiration: Option<Duration>) -> BasicProperties {
    let properties = BasicProperties::default()
        .with_content_type(ShortString::from(CONTENT_TYPE))
        .with_content_encoding(ShortString::from("utf-8"))
        .with_delivery_mode(2)
        .with_priority(0)
        .with_headers(FieldTable::default());
    match expiration {
        Some(ttl) => {
            properties.with_expiration(ShortString::from(ttl.as_millis().to_string().as_str()))
        }
        None => properties,
    }
}

#[async_trait]
impl Transport for AmqpTransport {
    fn scheme(&self) -> &'static str {
        "rabbit"
    }

    fn status(&self) -> TransportStatus {
        self.inner.status.get()
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError> {
        let link = self.link(self.inner.settings.publish_wait).await?;
        let topology = &self.inner.settings.topology;
        let (exchange, routing_key, mandatory) = match &message.route {
            Route::Topic {
                exchange,
                routing_key,
            } => {
                self.declare_exchange_once(&link, &topology.topic_exchange(exchange))
                    .await?;
                (exchange.clone(), routing_key.clone(), false)
            }
            Route::Fanout { topic } => {
                let decl = topology.fanout_exchange(topic);
                self.declare_exchange_once(&link, &decl).await?;
                (decl.name, String::new(), false)
            }
            Route::Reply { queue } => (String::new(), queue.clone(), true),
        };
        let publish = link.publisher.basic_publish(
            ShortString::from(exchange.as_str()),
            ShortString::from(routing_key.as_str()),
            BasicPublishOptions {
                mandatory,
                ..Default::default()
            },
            &message.body,
            properties(message.expiration),
        );
        let confirmation = publish
            .await
            .map_err(connection_error)?
            .await
            .map_err(connection_error)?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            Confirmation::Ack(Some(_returned)) => {
                Err(TransportError::Unroutable { queue: routing_key })
            }
            Confirmation::Nack(_) => Err(TransportError::Connection(format!(
                "broker refused (nack) the message to {exchange:?}/{routing_key:?}"
            ))),
        }
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, TransportError> {
        let decl = self.inner.settings.topology.queue(&spec, &new_id());
        let id = self.inner.next_subscription.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&self.inner.subscriptions).insert(
            id,
            Registered {
                decl: decl.clone(),
                sender,
                current: None,
            },
        );
        let guard = CancelGuard {
            inner: Arc::downgrade(&self.inner),
            id,
        };
        // Declaration errors (e.g. inequivalent arguments) go back to the caller now; after
        // a reconnect the owner task re-declares.
        let current = self.inner.link.borrow().clone();
        if let Some(link) = current {
            if let Err(error) = start_subscription(&self.inner, &link, id).await {
                Box::new(guard).cancel().await;
                return Err(TransportError::Connection(format!(
                    "declaring queue {}: {error}",
                    decl.name
                )));
            }
        }
        Ok(Subscription::new(decl.name, receiver, Box::new(guard)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_by_the_backoff_and_caps() {
        let settings = AmqpSettings::default();
        let first = retry_delay(&settings, 1);
        assert!(
            first >= Duration::from_secs(1) && first <= Duration::from_millis(1200),
            "{first:?}"
        );
        let third = retry_delay(&settings, 3);
        assert!(
            third >= Duration::from_secs(5) && third <= Duration::from_secs(6),
            "{third:?}"
        );
        let late = retry_delay(&settings, 100);
        assert!(
            late >= Duration::from_secs(30) && late <= Duration::from_secs(36),
            "{late:?}"
        );
    }

    #[test]
    fn oslo_properties_are_exact() {
        let call = properties(Some(Duration::from_secs(10)));
        assert_eq!(
            call.content_type().as_ref().map(|s| s.as_str()),
            Some("application/json")
        );
        assert_eq!(
            call.content_encoding().as_ref().map(|s| s.as_str()),
            Some("utf-8")
        );
        assert_eq!(*call.delivery_mode(), Some(2));
        assert_eq!(*call.priority(), Some(0));
        assert_eq!(call.headers().as_ref().map(|h| h.inner().len()), Some(0));
        assert_eq!(
            call.expiration().as_ref().map(|s| s.as_str()),
            Some("10000")
        );
        assert!(properties(None).expiration().is_none());
    }
}
