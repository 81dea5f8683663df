//! A server's queues read by one task: deliveries of all its subscriptions (topic, server,
//! fanout, per topic), taken in turn so a busy queue cannot starve the others. One task per
//! server instead of one per queue: a process hosting a thousand compute services has six
//! queues per service, nearly all idle, and every task costs its whole state.

use std::future::poll_fn;
use std::task::{Context, Poll};

use super::transport::{Delivery, Subscription};

/// The subscriptions of one server.
pub(super) struct ServerQueues {
    subscriptions: Vec<Subscription>,
    ended: Vec<bool>,
    /// Where the next poll starts: after the queue served last.
    next: usize,
}

impl ServerQueues {
    pub(super) fn new(subscriptions: Vec<Subscription>) -> Self {
        let ended = vec![false; subscriptions.len()];
        Self {
            subscriptions,
            ended,
            next: 0,
        }
    }

    /// The next delivery of any queue, with that queue's name; `None` once the transport
    /// closed every consumer.
    pub(super) async fn next(&mut self) -> Option<(&str, Delivery)> {
        let index_and_delivery = poll_fn(|cx| self.poll_next(cx)).await;
        index_and_delivery
            .map(|(index, delivery)| (self.subscriptions[index].queue.as_str(), delivery))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, Delivery)>> {
        let count = self.subscriptions.len();
        for offset in 0..count {
            let index = (self.next + offset) % count;
            if self.ended[index] {
                continue;
            }
            match self.subscriptions[index].poll_next(cx) {
                Poll::Ready(Some(delivery)) => {
                    self.next = index + 1;
                    return Poll::Ready(Some((index, delivery)));
                }
                // Closed by the transport: the other queues go on.
                Poll::Ready(None) => self.ended[index] = true,
                Poll::Pending => {}
            }
        }
        if self.ended.iter().all(|ended| *ended) {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    /// Give back what was delivered but not taken and cancel every consumer, waiting until
    /// the broker was told.
    pub(super) async fn close(self) {
        futures::future::join_all(self.subscriptions.into_iter().map(Subscription::close)).await;
    }
}
