//! A live consumer on one queue ([`Subscription`]) and how it ends ([`Cancel`]).

use std::fmt;
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::StreamExt;

use super::delivery::Delivery;

/// The transport's end of a subscription's deliveries.
pub type DeliverySender = mpsc::UnboundedSender<Delivery>;

/// The subscriber's end of a subscription's deliveries.
pub type DeliveryReceiver = mpsc::UnboundedReceiver<Delivery>;

/// The channel that feeds one subscription. `futures`' unbounded channel allocates per
/// message; tokio's reserves a block of 32 deliveries (1.5 KiB) up front — at a thousand
/// compute hosts of six queues each, most of them idle, that block was 9 MiB.
pub fn delivery_channel() -> (DeliverySender, DeliveryReceiver) {
    mpsc::unbounded()
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
    deliveries: DeliveryReceiver,
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
    pub fn new(queue: String, deliveries: DeliveryReceiver, canceller: Box<dyn Cancel>) -> Self {
        Self {
            queue,
            deliveries,
            canceller: Some(canceller),
        }
    }

    /// The next delivery; `None` when the transport closed the consumer.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.deliveries.next().await
    }

    /// Poll for the next delivery (for a task that waits on several subscriptions).
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.deliveries.poll_next_unpin(cx)
    }

    /// Stop taking deliveries and drop, unsettled (so requeued), what was not taken.
    fn give_back(&mut self) {
        self.deliveries.close();
        while let Ok(unsettled) = self.deliveries.try_recv() {
            drop(unsettled);
        }
    }

    /// Give back what was delivered but not taken, then cancel the consumer and wait
    /// until the broker was told (a clean stop: oslo deletes its fanout queue here).
    pub async fn close(mut self) {
        self.give_back();
        if let Some(canceller) = self.canceller.take() {
            canceller.cancel().await;
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.give_back();
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
