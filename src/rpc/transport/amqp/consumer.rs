//! Consuming one subscription: declare its queue on a declaration channel
//! (`declaration.rs`), take a seat on a shared consumer channel (`consumer_channels.rs`),
//! `Basic.Consume` there, and forward deliveries into a channel that outlives the
//! connection, so a subscriber never notices a reconnect except for the gap. What cannot
//! be an oslo message is rejected unread; a delivery dropped unsettled is requeued.
//!
//! How a consumer ends decides what follows:
//! - cancelled by its subscription (`Basic.Cancel` of its tag, `subscribe.rs`): what still
//!   arrives before the broker's `Cancel-Ok` is requeued, its seat is given back, and its
//!   channel-mates go on;
//! - its shared channel failed (a channel error while the connection lives): every
//!   consumer on that channel, and only those, is started again — re-declared and
//!   re-consumed on a seat elsewhere — and a restart that fails reports the link lost;
//! - cancelled by the broker (its queue deleted), or its connection died: the link is
//!   reported lost and the connection owner reconnects and resumes every subscription.

use std::sync::{Arc, Weak};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicRejectOptions};
use lapin::types::{FieldTable, ShortString};

use super::consumer_channels::Seat;
use super::declaration::{declare_queue, is_not_found};
use super::message_properties::{CONTENT_TYPE, MAX_BODY_BYTES};
use super::settle::AmqpSettle;
use super::shared_state::{lock, Consuming, Inner, Link};
use super::topology::QueueDecl;
use crate::rpc::transport::{Delivery, DeliverySender, TransportError};

/// Start (or restart: after a reconnect, or after its channel failed) subscription `id`
/// on `link`. Boxed: a consumer whose channel failed starts itself again from its
/// forwarding task.
pub(super) fn start_subscription(
    inner: Arc<Inner>,
    link: Link,
    id: u64,
) -> BoxFuture<'static, Result<(), TransportError>> {
    async move {
        let Some(decl) = lock(&inner.subscriptions).get(&id).map(|r| r.decl.clone()) else {
            return Ok(());
        };
        declare(&inner, &link, &decl).await?;
        let (seat, consumer) = consume(&inner, &link, &decl.name).await?;
        let current = Consuming {
            generation: link.generation,
            channel: seat.channel.clone(),
            tag: consumer.tag().to_string(),
        };
        let sender = {
            let mut subscriptions = lock(&inner.subscriptions);
            subscriptions.get_mut(&id).and_then(|registered| {
                // A start on a newer connection wins over a late one on an older.
                let newer = registered
                    .current
                    .as_ref()
                    .is_some_and(|c| c.generation > link.generation);
                (!newer).then(|| {
                    registered.current = Some(current.clone());
                    registered.sender.clone()
                })
            })
        };
        if sender.is_none() {
            // Cancelled meanwhile (the guard could not see this consumer) or superseded:
            // cancel it here; forwarding requeues what comes before the Cancel-Ok.
            let _ = seat
                .channel
                .basic_cancel(
                    ShortString::from(current.tag.as_str()),
                    BasicCancelOptions::default(),
                )
                .await;
        }
        tokio::spawn(forward(
            Arc::downgrade(&inner),
            Running {
                id,
                queue: decl.name,
                generation: current.generation,
                tag: current.tag,
                seat,
            },
            consumer,
            sender,
        ));
        Ok(())
    }
    .boxed()
}

/// Declare `decl` (on a declaration channel). A `NOT_FOUND` answer to a declaration
/// races the broker's cleanup of a queue whose node just went away — a cluster node stopped,
/// and the transient queue that lived there is still recorded, its process stopped ("process
/// is stopped by supervisor", "no queue"; RabbitMQ's `on_node_down`). oslo declares once
/// more (impl_rabbit `Consumer.declare`, Launchpad bug 1318721); novactor does the same, up
/// to [`NOT_FOUND_RETRIES`] times [`NOT_FOUND_PAUSE`] apart, instead of giving up a good
/// connection for the next host. (That cleanup can also delete the queue just declared
/// again: `queue_audit.rs`.)
async fn declare(inner: &Inner, link: &Link, decl: &QueueDecl) -> Result<(), TransportError> {
    let mut retries = 0;
    loop {
        let declared = inner
            .declaration_channels
            .run(&link.connection, link.generation, |channel| async move {
                declare_queue(&channel, decl).await
            })
            .await;
        match declared {
            Err(error) if is_not_found(&error) && retries < NOT_FOUND_RETRIES => {
                retries += 1;
                tracing::debug!(queue = %decl.name, %error, retries,
                    "queue declaration answered NOT_FOUND (its node went away); declaring again");
                tokio::time::sleep(NOT_FOUND_PAUSE).await;
            }
            Err(error) => {
                return Err(TransportError::Connection(format!(
                    "declaring queue {}: {error}",
                    decl.name
                )))
            }
            Ok(()) => return Ok(()),
        }
    }
}

/// Declarations tried again after `NOT_FOUND`, and the pause between them: the broker
/// removes a lost node's transient queues within milliseconds of noticing (seconds, with
/// thousands of them); past 1 s the connection is given up as before.
const NOT_FOUND_RETRIES: u32 = 20;
const NOT_FOUND_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Take a seat on a shared channel and `Basic.Consume` `queue` there. A channel found
/// closed before the consume was sent (a channel-mate's failure) is no fault of this
/// queue: another seat is tried. A consume the broker refused closed its channel for the
/// channel-mates too (they start again); this subscriber gets the error.
async fn consume(
    inner: &Inner,
    link: &Link,
    queue: &str,
) -> Result<(Seat, lapin::Consumer), TransportError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let seat = inner
            .consumer_channels
            .take_seat(
                &link.connection,
                link.generation,
                inner.settings.consumers_per_channel,
                inner.settings.prefetch_count,
            )
            .await?;
        let consumed = seat
            .channel
            .basic_consume(
                ShortString::from(queue),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await;
        match consumed {
            Ok(consumer) => return Ok((seat, consumer)),
            Err(error) => {
                inner.consumer_channels.release(&seat).await;
                let elsewhere = !error.is_amqp_error()
                    && !seat.channel.status().connected()
                    && link.connection.status().connected();
                if !elsewhere || attempts == 3 {
                    return Err(TransportError::Connection(format!(
                        "consuming queue {queue}: {error}"
                    )));
                }
            }
        }
    }
}

/// One running consumer, as its forwarding task knows it.
struct Running {
    id: u64,
    queue: String,
    /// The connection it runs on.
    generation: u64,
    /// Its consumer tag.
    tag: String,
    seat: Seat,
}

/// Why a delivery cannot be an oslo message, if it cannot.
fn refusal(delivery: &lapin::message::Delivery) -> Option<String> {
    let content_type = delivery
        .properties
        .content_type()
        .as_ref()
        .map(|c| c.as_str().to_owned());
    if content_type.as_deref() != Some(CONTENT_TYPE) {
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
    }
}

/// Hand deliveries to the subscription (`sender`; `None` once it is gone, when whatever
/// still arrives is requeued) until the consumer ends; reject what cannot be an oslo
/// message. Then give the seat back and decide what the end means. The rare paths are
/// boxed: a process has one such task per queue (6,000 at a thousand compute hosts),
/// nearly all of them waiting, and a task's size is its largest state.
async fn forward(
    inner: Weak<Inner>,
    running: Running,
    mut consumer: lapin::Consumer,
    mut sender: Option<DeliverySender>,
) {
    let queue = running.queue.as_str();
    let ended = loop {
        match consumer.next().await {
            Some(Ok(delivery)) => {
                if let Some(problem) = refusal(&delivery) {
                    reject_unreadable(delivery, queue, problem).boxed().await;
                    continue;
                }
                let settle = AmqpSettle::new(delivery.acker);
                let delivery = Delivery::new(delivery.data, delivery.redelivered, Box::new(settle));
                // Not handed over (the subscriber is gone and its guard is cancelling this
                // consumer): dropped, which requeues it. The consumer is read to its end,
                // so nothing stays unacknowledged on a channel other consumers keep using.
                if let Some(subscriber) = &sender {
                    if subscriber.unbounded_send(delivery).is_err() {
                        sender = None;
                    }
                }
            }
            Some(Err(error)) => break Err(error),
            None => break Ok(()),
        }
    };
    drop(consumer);
    consumer_ended(inner, running, ended).boxed().await;
}

/// Reject, without requeue, a delivery that cannot be an oslo message.
async fn reject_unreadable(delivery: lapin::message::Delivery, queue: &str, problem: String) {
    tracing::warn!(target: "novactor::rpc::rejection", %queue, %problem, "rejecting a message without requeue");
    if let Err(error) = delivery
        .acker
        .reject(BasicRejectOptions { requeue: false })
        .await
    {
        tracing::warn!(%queue, %error, "reject failed");
    }
}

/// After a consumer ended: give its seat back, then restart it or report the link lost,
/// unless its subscription no longer wants it.
async fn consumer_ended(inner: Weak<Inner>, running: Running, ended: Result<(), lapin::Error>) {
    let queue = running.queue.as_str();
    let Some(inner) = inner.upgrade() else { return };
    inner.consumer_channels.release(&running.seat).await;
    let still_wanted = lock(&inner.subscriptions)
        .get(&running.id)
        .and_then(|registered| registered.current.as_ref())
        .is_some_and(|c| c.generation == running.generation && c.tag == running.tag);
    tracing::debug!(%queue, generation = running.generation, still_wanted, ended = ?ended.as_ref().err(),
        "a consumer ended");
    if !still_wanted {
        return;
    }
    let generation = running.generation;
    let error = match ended {
        Ok(()) => {
            // Cancelled by the broker (its queue was deleted), or the connection closed.
            let _ = inner.lost.send((
                generation,
                format!("consumer on {queue} ended: consumer ended"),
            ));
            return;
        }
        Err(error) => error,
    };
    // Only its channel failed when the connection is the one in use and still up.
    let link = inner
        .link
        .borrow()
        .clone()
        .filter(|link| link.generation == generation && link.connection.status().connected());
    let reason = match link {
        Some(link) if !running.seat.channel.status().connected() => {
            tracing::warn!(%queue, %error, "a shared consumer channel failed; starting its consumers again");
            match start_subscription(Arc::clone(&inner), link, running.id).await {
                Ok(()) => return,
                Err(restart) => format!(
                    "consumer on {queue} ended: {error}; starting it again failed: {restart}"
                ),
            }
        }
        _ => format!("consumer on {queue} ended: {error}"),
    };
    let _ = inner.lost.send((generation, reason));
}
