//! What every transport MUST do (oslo: `_drivers/base.py`), at the level of AMQP's model:
//! exchanges, queues, bindings, publish with confirm, consume with manual settle.
//!
//! Everything above this trait — envelope, call correlation, dispatch, duplicate
//! suppression, call-monitor heartbeats — is shared, so the in-memory transport and
//! RabbitMQ run the same code and differ only in where the bytes go.
//!
//! A transport MUST:
//! - declare the oslo topology for a [`QueueSpec`] on [`Transport::subscribe`] (topic queue
//!   bound to the exchange with key `<topic>`, server queue with `<topic>.<server>`, one
//!   fanout queue per subscriber bound to `<topic>_fanout`, one reply queue);
//! - spread a queue's messages round-robin over its consumers;
//! - keep a queue's messages while it has no consumer, and drop messages published with no
//!   matching binding (RabbitMQ without `mandatory`);
//! - put back an unsettled delivery when its consumer goes away (RabbitMQ requeues unacked
//!   messages of a closed channel);
//! - return only after the message is accepted (publisher confirm);
//! - fail a [`Route::Reply`] publish to a queue that does not exist ([`TransportError::Unroutable`],
//!   RabbitMQ's `mandatory` return).

pub mod amqp;
pub mod memory;

pub use amqp::{LinkState, TransportStatus};

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

/// Where a published message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Topic exchange `exchange` with `routing_key` (`<topic>` or `<topic>.<server>`).
    Topic {
        /// The control exchange or a target's own.
        exchange: String,
        /// `<topic>` or `<topic>.<server>`.
        routing_key: String,
    },
    /// The fanout exchange `<topic>_fanout`.
    Fanout {
        /// The topic whose fanout exchange receives the message.
        topic: String,
    },
    /// Straight to a queue through the default exchange, mandatory (replies).
    Reply {
        /// The caller's reply queue.
        queue: String,
    },
}

/// A message ready to publish: encoded body plus AMQP-level options.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// Destination.
    pub route: Route,
    /// The encoded envelope.
    pub body: Vec<u8>,
    /// Per-message TTL (calls set it to their timeout, as oslo does).
    pub expiration: Option<Duration>,
}

/// A queue a server or client consumes, declared with oslo's topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueSpec {
    /// Queue `<topic>` shared by all servers of the topic.
    Topic {
        /// Exchange the queue is bound to.
        exchange: String,
        /// Queue name and binding key.
        topic: String,
    },
    /// Queue `<topic>.<server>` for messages to one host.
    Server {
        /// Exchange the queue is bound to.
        exchange: String,
        /// The service topic.
        topic: String,
        /// The host.
        server: String,
    },
    /// A fresh `<topic>_fanout_<hex>` queue bound to `<topic>_fanout`; deleted when the
    /// subscription ends cleanly, as oslo deletes its fanout queue on stop.
    Fanout {
        /// The service topic.
        topic: String,
    },
    /// A fresh `reply_<hex>` queue, reached through the default exchange.
    Reply,
}

/// Errors a transport reports. `is_recoverable` is decided here once, for every variant.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The transport URL names a scheme this build cannot serve.
    #[error(
        "unsupported transport URL scheme {scheme:?} in {url}: this build supports {supported}"
    )]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
        /// The URL, password masked.
        url: String,
        /// Schemes this build knows.
        supported: &'static str,
    },
    /// The URL's scheme is known but the rest is malformed.
    #[error("{0}")]
    InvalidUrl(String),
    /// A mandatory publish found no queue (reply queue gone).
    #[error("no queue {queue:?} to deliver to")]
    Unroutable {
        /// The missing queue.
        queue: String,
    },
    /// The transport was shut down.
    #[error("transport closed")]
    Closed,
    /// Connection-level failure (broker down, network).
    #[error("connection failed: {0}")]
    Connection(String),
}

impl TransportError {
    /// True when retrying later may succeed.
    pub fn is_recoverable(&self) -> bool {
        match self {
            Self::UnsupportedScheme { .. } => false,
            Self::InvalidUrl(_) => false,
            Self::Unroutable { .. } => true,
            Self::Closed => false,
            Self::Connection(_) => true,
        }
    }
}

/// Settles one delivery. Implementations put the message back if dropped unsettled.
pub trait Settle: Send {
    /// Acknowledge: the broker forgets the message.
    fn ack(self: Box<Self>) -> BoxFuture<'static, Result<(), TransportError>>;
    /// Reject; with `requeue` the broker delivers it again, else it is dropped.
    fn reject(self: Box<Self>, requeue: bool) -> BoxFuture<'static, Result<(), TransportError>>;
}

/// One message taken from a queue, not yet settled.
pub struct Delivery {
    /// The encoded envelope.
    pub body: Vec<u8>,
    /// True when the broker delivered this message before (requeued).
    pub redelivered: bool,
    settle: Box<dyn Settle>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("bytes", &self.body.len())
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

impl Delivery {
    /// A delivery settled through `settle`.
    pub fn new(body: Vec<u8>, redelivered: bool, settle: Box<dyn Settle>) -> Self {
        Self {
            body,
            redelivered,
            settle,
        }
    }

    /// Acknowledge and return the body.
    pub async fn ack(self) -> Result<Vec<u8>, TransportError> {
        self.settle.ack().await?;
        Ok(self.body)
    }

    /// Reject; see [`Settle::reject`].
    pub async fn reject(self, requeue: bool) -> Result<(), TransportError> {
        self.settle.reject(requeue).await
    }
}

/// Ends a consumer: cancel it at the broker (and delete the queue where oslo does).
pub trait Cancel: Send {
    /// Cancel; resolves when the broker has been told.
    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// A live consumer on one queue. [`Subscription::close`] cancels it and waits; dropping it
/// cancels in the background. Either way, deliveries it had not settled go back to the queue.
pub struct Subscription {
    /// The declared queue's name.
    pub queue: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    canceller: Option<Box<dyn Cancel>>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("queue", &self.queue)
            .finish()
    }
}

impl Subscription {
    /// A subscription fed by `deliveries`, ended by `canceller`.
    pub fn new(
        queue: String,
        deliveries: mpsc::UnboundedReceiver<Delivery>,
        canceller: Box<dyn Cancel>,
    ) -> Self {
        Self {
            queue,
            deliveries,
            canceller: Some(canceller),
        }
    }

    /// The next delivery; `None` when the transport closed the consumer.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.deliveries.recv().await
    }

    /// Give back what was delivered but not taken, then cancel the consumer and wait
    /// until the broker was told (a clean stop: oslo deletes its fanout queue here).
    pub async fn close(mut self) {
        self.deliveries.close();
        while let Ok(unsettled) = self.deliveries.try_recv() {
            drop(unsettled);
        }
        if let Some(canceller) = self.canceller.take() {
            canceller.cancel().await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.deliveries.close();
        while let Ok(unsettled) = self.deliveries.try_recv() {
            drop(unsettled);
        }
        if let Some(canceller) = self.canceller.take() {
            let cancel = canceller.cancel();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(cancel);
                }
                Err(_) => futures::executor::block_on(cancel),
            }
        }
    }
}

/// The contract; see the module doc.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// URL scheme this transport serves (`memory`, `rabbit`).
    fn scheme(&self) -> &'static str;
    /// Connection health, for readiness and reports.
    fn status(&self) -> TransportStatus {
        TransportStatus::always_connected(self.scheme())
    }
    /// Publish and wait for the broker's confirm.
    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError>;
    /// Declare `queue` with its bindings and start consuming it.
    async fn subscribe(&self, queue: QueueSpec) -> Result<Subscription, TransportError>;
}

/// Build the transport a `transport_url` names; `None` is the in-process `memory://`.
/// `rabbit://`, `amqp://` and `amqps://` start a RabbitMQ connection in the background
/// (so this must run inside a tokio runtime).
/// Driver options in the URL query override `rabbit` as oslo does; the returned strings
/// are warnings about query keys that are not options.
pub fn from_url(
    url: Option<&str>,
    rabbit: &crate::config::RabbitOptions,
) -> Result<(std::sync::Arc<dyn Transport>, Vec<String>), TransportError> {
    let url = url.unwrap_or("memory://");
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "memory" | "fake" => Ok((
            std::sync::Arc::new(memory::MemoryTransport::new()),
            Vec::new(),
        )),
        "rabbit" | "amqp" | "amqps" => {
            let parsed = amqp::RabbitUrl::parse(url)
                .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
            let (options, warnings) = rabbit
                .with_url_query(&parsed.query)
                .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
            if options.ssl_cert_file.is_some() || options.ssl_key_file.is_some() {
                return Err(TransportError::InvalidUrl(
                    "[oslo_messaging_rabbit] ssl_cert_file / ssl_key_file (TLS client certificates) are not \
                     supported by novactor yet; use ssl_ca_file with user:password authentication"
                        .to_owned(),
                ));
            }
            let settings = amqp::AmqpSettings::from_options(&options);
            Ok((
                std::sync::Arc::new(amqp::AmqpTransport::new(parsed, settings)),
                warnings,
            ))
        }
        other => Err(TransportError::UnsupportedScheme {
            scheme: other.to_owned(),
            url: crate::config::mask_url(url),
            supported: "memory://, rabbit://, amqp://, amqps://",
        }),
    }
}
