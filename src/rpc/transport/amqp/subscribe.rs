//! Subscribing and cancelling: a subscription is registered (so the connection owner
//! resumes it after every reconnect) and, when connected, started at once, so a
//! declaration error reaches the subscriber. Cancelling sends `Basic.Cancel` for its
//! consumer tag only — the channel stays open for the consumers sharing it — and deletes a
//! fanout queue on a declaration channel, as oslo deletes it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use futures::future::BoxFuture;
use futures::FutureExt;
use lapin::options::{BasicCancelOptions, QueueDeleteOptions};
use lapin::types::ShortString;

use super::consumer::start_subscription;
use super::shared_state::{lock, Consuming, Inner, Registered};
use crate::rpc::envelope::new_id;
use crate::rpc::transport::{delivery_channel, Cancel, QueueSpec, Subscription, TransportError};

/// Register a subscription to `spec` and, when connected, start consuming it now.
pub(super) async fn subscribe(
    inner: &Arc<Inner>,
    spec: QueueSpec,
) -> Result<Subscription, TransportError> {
    let decl = inner.settings.topology.queue(&spec, &new_id());
    let id = inner.next_subscription.fetch_add(1, Ordering::Relaxed);
    let (sender, receiver) = delivery_channel();
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
        if let Err(error) = start_subscription(Arc::clone(inner), link, id).await {
            Box::new(guard).cancel().await;
            return Err(error);
        }
    }
    Ok(Subscription::new(decl.name, receiver, Box::new(guard)))
}

/// Cancels a subscription's consumer and, for fanout queues, deletes the queue.
struct CancelGuard {
    inner: Weak<Inner>,
    id: u64,
}

/// What cancelling has to do, taken out of the registry at once.
struct Ending {
    inner: Arc<Inner>,
    consuming: Consuming,
    delete: Option<String>,
}

impl Cancel for CancelGuard {
    fn cancel(self: Box<Self>) -> BoxFuture<'static, ()> {
        let ending = self.take();
        async move {
            let Some(Ending {
                inner,
                consuming,
                delete,
            }) = ending
            else {
                return;
            };
            // This consumer only: the others on its channel go on. Its deliveries stay
            // settleable; those dropped unsettled, and those arriving before the broker's
            // Cancel-Ok, are requeued (consumer.rs).
            let _ = consuming
                .channel
                .basic_cancel(
                    ShortString::from(consuming.tag.as_str()),
                    BasicCancelOptions::default(),
                )
                .await;
            let Some(queue) = delete else { return };
            let link = inner
                .link
                .borrow()
                .clone()
                .filter(|link| link.generation == consuming.generation);
            if let Some(link) = link {
                let _ = inner
                    .declaration_channels
                    .run(&link.connection, link.generation, |channel| async move {
                        channel
                            .queue_delete(
                                ShortString::from(queue.as_str()),
                                QueueDeleteOptions::default(),
                            )
                            .await
                            .map(drop)
                    })
                    .await;
            }
        }
        .boxed()
    }
}

impl CancelGuard {
    /// Unregister; returns the consumer to cancel, if one is running.
    fn take(&self) -> Option<Ending> {
        let inner = self.inner.upgrade()?;
        let registered = lock(&inner.subscriptions).remove(&self.id)?;
        let consuming = registered.current?;
        let delete = registered
            .decl
            .delete_on_cancel
            .then(|| registered.decl.name.clone());
        Some(Ending {
            inner,
            consuming,
            delete,
        })
    }
}
