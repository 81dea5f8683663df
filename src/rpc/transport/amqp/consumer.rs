//! Consuming: one channel per subscription (declare, bind, QoS, consume); deliveries go
//! into a channel that outlives the connection, so a subscriber never notices a reconnect
//! except for the gap. What cannot be an oslo message is rejected unread; a delivery
//! dropped unsettled is requeued; a consumer ending while still wanted reports the link
//! lost.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use lapin::options::{
    BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions,
    QueueDeleteOptions,
};
use lapin::types::{FieldTable, ShortString};
use lapin::Channel;
use tokio::sync::mpsc;

use super::declaration::declare_queue;
use super::message_properties::{CONTENT_TYPE, MAX_BODY_BYTES};
use super::shared_state::{connection_error, lock, Inner, Link, Registered};
use super::topology::QueueDecl;
use crate::rpc::envelope::new_id;
use crate::rpc::transport::{Cancel, Delivery, QueueSpec, Settle, Subscription, TransportError};

/// Register a subscription to `spec` and, when connected, start consuming it now.
pub(super) async fn subscribe(
    inner: &Arc<Inner>,
    spec: QueueSpec,
) -> Result<Subscription, TransportError> {
    let decl = inner.settings.topology.queue(&spec, &new_id());
    let id = inner.next_subscription.fetch_add(1, Ordering::Relaxed);
    let (sender, receiver) = mpsc::unbounded_channel();
    lock(&inner.subscriptions).insert(
        id,
        Registered {
            decl: decl.clone(),
            sender,
            current: None,
        },
    );
    let guard = CancelGuard {
        inner: Arc::downgrade(inner),
        id,
    };
    // Declaration errors (e.g. inequivalent arguments) go back to the caller now; after
    // a reconnect the owner task re-declares.
    let current = inner.link.borrow().clone();
    if let Some(link) = current {
        if let Err(error) = start_subscription(inner, &link, id).await {
            Box::new(guard).cancel().await;
            return Err(TransportError::Connection(format!(
                "declaring queue {}: {error}",
                decl.name
            )));
        }
    }
    Ok(Subscription::new(decl.name, receiver, Box::new(guard)))
}

/// Declare `decl` (and its exchange and binding), set QoS and start consuming.
async fn open_consumer(
    link: &Link,
    decl: &QueueDecl,
    prefetch: u16,
) -> lapin::Result<(Channel, lapin::Consumer)> {
    let channel = link.connection.create_channel().await?;
    declare_queue(&channel, decl).await?;
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
pub(super) async fn start_subscription(
    inner: &Arc<Inner>,
    link: &Link,
    id: u64,
) -> lapin::Result<()> {
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
