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

pub mod memory;

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

/// A live consumer on one queue. Dropping it cancels the consumer; deliveries it had not
/// settled go back to the queue.
pub struct Subscription {
    /// The declared queue's name.
    pub queue: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    _cancel_on_drop: Box<dyn Send>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("queue", &self.queue)
            .finish()
    }
}

impl Subscription {
    /// A subscription fed by `deliveries`; `cancel_on_drop` is dropped after the receiver
    /// is closed and drained, and must cancel the consumer.
    pub fn new(
        queue: String,
        deliveries: mpsc::UnboundedReceiver<Delivery>,
        cancel_on_drop: Box<dyn Send>,
    ) -> Self {
        Self {
            queue,
            deliveries,
            _cancel_on_drop: cancel_on_drop,
        }
    }

    /// The next delivery; `None` when the transport closed the consumer.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.deliveries.recv().await
    }
}

/// The contract; see the module doc.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// URL scheme this transport serves (`memory`, `rabbit`).
    fn scheme(&self) -> &'static str;
    /// Publish and wait for the broker's confirm.
    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError>;
    /// Declare `queue` with its bindings and start consuming it.
    async fn subscribe(&self, queue: QueueSpec) -> Result<Subscription, TransportError>;
}

/// Build the transport a `transport_url` names; `None` is the in-process `memory://`.
pub fn from_url(url: Option<&str>) -> Result<std::sync::Arc<dyn Transport>, TransportError> {
    let url = url.unwrap_or("memory://");
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "memory" | "fake" => Ok(std::sync::Arc::new(memory::MemoryTransport::new())),
        other => Err(TransportError::UnsupportedScheme {
            scheme: other.to_owned(),
            url: crate::config::mask_url(url),
            supported: "memory://",
        }),
    }
}
