//! [`AmqpTransport`]: the RabbitMQ transport's handle. Clones share one connection, which
//! a background task owns (`connection.rs`); publishing and consuming are `publisher.rs`'s
//! and `consumer.rs`'s.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::connection::own_connection;
use super::settings::AmqpSettings;
use super::shared_state::Inner;
use super::url::RabbitUrl;
use super::{consumer, publisher};
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
        publisher::publish(&self.inner, message).await
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, TransportError> {
        consumer::subscribe(&self.inner, spec).await
    }
}
