//! What the parts of one RabbitMQ transport share: the live [`Link`] (connection and
//! publisher channels), the registered subscriptions the connection owner re-establishes
//! after a reconnect, the declaration and shared consumer channels, the status, and the
//! channel on which consumers report a lost link.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use lapin::{Channel, Connection};
use tokio::sync::{mpsc, watch};

use super::connection_status::StatusCell;
use super::consumer_channels::ConsumerChannels;
use super::declaration::DeclarationChannels;
use super::settings::AmqpSettings;
use super::topology::QueueDecl;
use super::url::RabbitUrl;
use crate::rpc::transport::{DeliverySender, TransportError};

/// What a live connection holds.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) generation: u64,
    pub(super) connection: Arc<Connection>,
    /// The publisher channels (confirm mode), taken in turn (`publisher::PUBLISHER_CHANNELS`).
    pub(super) publishers: Arc<[Channel]>,
}

impl Link {
    /// True while every publisher channel is open.
    pub(super) fn publishers_open(&self) -> bool {
        self.publishers.iter().all(|c| c.status().connected())
    }
}

/// A registered subscription, re-established after every reconnect.
pub(super) struct Registered {
    pub(super) decl: QueueDecl,
    pub(super) sender: DeliverySender,
    /// The current consumer, to cancel it.
    pub(super) current: Option<Consuming>,
}

/// Where a subscription's consumer runs.
#[derive(Clone)]
pub(super) struct Consuming {
    /// The connection generation it was started on.
    pub(super) generation: u64,
    /// The shared channel it is on.
    pub(super) channel: Channel,
    /// Its consumer tag (the broker's).
    pub(super) tag: String,
}

/// The state every clone of the transport, its connection owner and its consumers share.
pub(super) struct Inner {
    pub(super) url: RabbitUrl,
    pub(super) settings: AmqpSettings,
    pub(super) status: StatusCell,
    pub(super) link: watch::Sender<Option<Link>>,
    /// Exchanges declared on the current connection (oslo declares once per channel; an
    /// exchange declared on one of ours exists for all of them).
    /// Read on every publish, written once per exchange and connection: a read-mostly lock,
    /// so publishers on different threads check it side by side.
    pub(super) declared: RwLock<(u64, HashSet<String>)>,
    /// The publisher channel the next publish takes (round robin).
    pub(super) next_publisher: AtomicUsize,
    pub(super) subscriptions: Mutex<HashMap<u64, Registered>>,
    pub(super) next_subscription: AtomicU64,
    /// Where queues are declared (and fanout queues deleted): never a consumer channel.
    pub(super) declaration_channels: DeclarationChannels,
    /// The channels consumers share.
    pub(super) consumer_channels: ConsumerChannels,
    /// Tells the owner task the current link is bad.
    pub(super) lost: mpsc::UnboundedSender<(u64, String)>,
}

impl Inner {
    /// Shared state for `url`; `lost` reaches the connection owner.
    pub(super) fn new(
        url: RabbitUrl,
        settings: AmqpSettings,
        lost: mpsc::UnboundedSender<(u64, String)>,
    ) -> Self {
        let (link, _) = watch::channel(None);
        Self {
            url,
            settings,
            status: StatusCell::new("rabbit"),
            link,
            declared: RwLock::new((0, HashSet::new())),
            next_publisher: AtomicUsize::new(0),
            subscriptions: Mutex::new(HashMap::new()),
            next_subscription: AtomicU64::new(1),
            declaration_channels: DeclarationChannels::new(),
            consumer_channels: ConsumerChannels::new(),
            lost,
        }
    }

    /// Wait, at most `wait`, for a link of a generation after `generation` (0: any link).
    pub(super) async fn wait_for_link_after(
        &self,
        generation: u64,
        wait: Duration,
    ) -> Result<Link, TransportError> {
        let mut receiver = self.link.subscribe();
        let newer = |link: &Option<Link>| link.as_ref().is_some_and(|l| l.generation > generation);
        let connected = tokio::time::timeout(wait, receiver.wait_for(newer)).await;
        match connected {
            Ok(Ok(link)) => link.clone().ok_or(TransportError::Closed),
            Ok(Err(_)) => Err(TransportError::Closed),
            Err(_) => {
                let status = self.status.get();
                Err(TransportError::Connection(format!(
                    "no broker connection within {wait:?} (state {:?}, last error: {})",
                    status.state,
                    status.last_error.as_deref().unwrap_or("none")
                )))
            }
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn connection_error(error: impl std::fmt::Display) -> TransportError {
    TransportError::Connection(error.to_string())
}
