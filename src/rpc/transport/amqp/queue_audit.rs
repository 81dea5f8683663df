//! After a reconnect, check for a while that the transient queues just declared again still
//! exist. In a RabbitMQ 3.x cluster, when a node goes down every other node deletes the
//! non-durable classic queues that lived on it (`rabbit_amqqueue:on_node_down`), reading
//! them first and deleting them later in batches; a queue a client declared again in
//! between, on a live node and under the same name, is deleted too — with its bindings,
//! while the client consumes from it, and without a `Basic.Cancel` (RabbitMQ issues #6271
//! and #9798, open; reproduced by `tests/rpc/cluster_failover.rs`: the reply queue of a
//! client that failed over was gone, and every call timed out). Such a consumer never
//! ends, so nothing else would notice. The audit asks for each registered non-durable
//! queue with a passive declaration, [`AUDIT_AFTER`] the reconnect; a queue that is gone
//! (and still subscribed) makes the link lost, so the connection owner reconnects and
//! declares everything again. Durable and quorum queues are not affected and not checked.
//! (`rabbit_transient_quorum_queue = true` avoids such queues altogether.)

use std::sync::Weak;
use std::time::Duration;

use super::declaration::queue_exists;
use super::shared_state::{lock, Inner, Link};

/// When the queues are checked, after the reconnect: the cleanup runs as soon as a node is
/// seen down (at once for a stopped node, within `net_ticktime`, 60 s, for a lost one) and
/// takes seconds on a busy node.
pub(super) const AUDIT_AFTER: [Duration; 7] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
    Duration::from_secs(32),
    Duration::from_secs(64),
];

/// Check the transient queues of `link`'s subscriptions at [`AUDIT_AFTER`], until one is
/// gone (then the link is reported lost), the link is replaced, or the transport dropped.
pub(super) async fn audit_transient_queues(inner: Weak<Inner>, link: Link) {
    let started = tokio::time::Instant::now();
    for after in AUDIT_AFTER {
        tokio::time::sleep_until(started + after).await;
        let Some(inner) = inner.upgrade() else { return };
        let current = inner.link.borrow().as_ref().map(|l| l.generation);
        if current != Some(link.generation) {
            return;
        }
        let transient: Vec<String> = lock(&inner.subscriptions)
            .values()
            .filter(|registered| !registered.decl.durable)
            .map(|registered| registered.decl.name.clone())
            .collect();
        for queue in transient {
            let checking = queue.as_str();
            let exists = inner
                .declaration_channels
                .run(&link.connection, link.generation, |channel| async move {
                    queue_exists(&channel, checking).await
                })
                .await;
            let still_subscribed = || {
                lock(&inner.subscriptions)
                    .values()
                    .any(|registered| registered.decl.name == queue)
            };
            if matches!(exists, Ok(false)) && still_subscribed() {
                let reason = format!(
                    "queue {queue} vanished after the reconnect (RabbitMQ deleted it with the \
                     transient queues of a node that went down)"
                );
                tracing::warn!(%queue, "{reason}; reconnecting to declare it again");
                let _ = inner.lost.send((link.generation, reason));
                return;
            }
        }
    }
}
