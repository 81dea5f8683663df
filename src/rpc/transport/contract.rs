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

use std::time::Duration;

use async_trait::async_trait;

use super::message::OutgoingMessage;
use super::queue_spec::QueueSpec;
use super::subscription::Subscription;
use super::transport_error::TransportError;
use super::transport_status::TransportStatus;

/// The contract; see the module doc.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// URL scheme this transport serves (`memory`, `rabbit`).
    fn scheme(&self) -> &'static str;
    /// Connection health, for readiness and reports.
    fn status(&self) -> TransportStatus {
        TransportStatus::always_connected(self.scheme())
    }
    /// How long a server keeps retrying a reply whose reply queue does not exist (yet)
    /// before it drops it (oslo `kombu_missing_consumer_retry_timeout`; 60 s).
    fn missing_reply_queue_patience(&self) -> Duration {
        Duration::from_secs(60)
    }
    /// Publish and wait for the broker's confirm.
    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError>;
    /// Declare `queue` with its bindings and start consuming it.
    async fn subscribe(&self, queue: QueueSpec) -> Result<Subscription, TransportError>;
}
