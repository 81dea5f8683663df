//! [`AmqpTransport`]: the RabbitMQ transport's handle. Clones share one connection, which
//! a background task owns (`connection.rs`); publishing and consuming are `publisher.rs`'s
//! and `subscribe.rs`'s.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::BasicAckOptions;
use tokio::sync::mpsc;

use super::connection::own_connection;
use super::settings::AmqpSettings;
use super::shared_state::{lock, Inner};
use super::url::RabbitUrl;
use super::{publisher, subscribe};
use crate::rpc::transport::{
    OutgoingMessage, QueueSpec, Subscription, Transport, TransportError, TransportStatus,
};

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

impl AmqpTransport {
    /// A transport for `url`; the connection is made in the background and kept alive.
    /// Must be called inside a tokio runtime.
    pub fn new(url: RabbitUrl, settings: AmqpSettings) -> Self {
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner::new(url, settings, lost));
        tokio::spawn(own_connection(Arc::downgrade(&inner), lost_rx));
        Self { inner }
    }

    /// Consumer channels open now, each shared by at most
    /// [`AmqpSettings::consumers_per_channel`] consumers (for reports and tests).
    pub fn consumer_channels(&self) -> usize {
        self.inner.consumer_channels.in_use()
    }

    /// For tests of channel failures: make the broker close the channel consuming `queue`
    /// with a channel error, by acknowledging a delivery tag it never sent
    /// (`PRECONDITION_FAILED - unknown delivery tag`). False when `queue` has no consumer.
    #[doc(hidden)]
    pub async fn fail_consumer_channel_for_tests(&self, queue: &str) -> bool {
        let channel = lock(&self.inner.subscriptions)
            .values()
            .find(|registered| registered.decl.name == queue)
            .and_then(|registered| registered.current.as_ref())
            .map(|consuming| consuming.channel.clone());
        match channel {
            Some(channel) => channel
                .basic_ack(u64::from(u32::MAX), BasicAckOptions::default())
                .await
                .is_ok(),
            None => false,
        }
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

    fn missing_reply_queue_patience(&self) -> Duration {
        self.inner.settings.missing_consumer_retry_timeout
    }

    async fn publish(&self, message: OutgoingMessage) -> Result<(), TransportError> {
        publisher::publish(&self.inner, message).await
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, TransportError> {
        subscribe::subscribe(&self.inner, spec).await
    }
}
