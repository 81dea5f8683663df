//! One message taken from a queue ([`Delivery`]) and how it is settled ([`Settle`]): ack,
//! reject, or — dropped unsettled — put back by the transport.

use std::fmt;

use futures::future::BoxFuture;

use super::transport_error::TransportError;

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
