//! Publishing: a few channels per connection in confirm mode, taken in turn, on which
//! concurrent publishes pipeline, each resolving at its own confirm — so callers on
//! different threads do not queue behind one channel's frame lock; exchanges declared once
//! per connection (oslo declares once per channel: the exchange then exists for every
//! channel); replies published mandatory, so a missing reply queue comes back unroutable.
//! One caller's publishes keep their order when it awaits each (as every caller does).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{Channel, Confirmation, Connection};

use super::declaration::declare_exchange;
use super::message_properties::properties;
use super::shared_state::{connection_error, Inner, Link};
use super::topology::ExchangeDecl;
use crate::rpc::target::fanout_exchange;
use crate::rpc::transport::{OutgoingMessage, Route, TransportError};

/// Publisher channels per connection: enough that two or four runtime threads publishing
/// at once rarely meet on one, few enough to cost the broker nothing.
pub const PUBLISHER_CHANNELS: usize = 4;

/// Open the publisher channels of a new connection.
pub(super) async fn open_publishers(connection: &Connection) -> lapin::Result<Arc<[Channel]>> {
    let mut channels = Vec::with_capacity(PUBLISHER_CHANNELS);
    for _ in 0..PUBLISHER_CHANNELS {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channels.push(channel);
    }
    Ok(channels.into())
}

/// The publisher channel of `link` this publish takes.
fn channel_for<'a>(inner: &Inner, link: &'a Link) -> &'a Channel {
    let turn = inner.next_publisher.fetch_add(1, Ordering::Relaxed);
    &link.publishers[turn % link.publishers.len()]
}

/// Publish `message` once connected (waiting up to `publish_wait`) and wait for its confirm.
/// When the connection is lost before the confirm (a cluster node stopped, the broker
/// restarted), the message is published again on the next connection, as oslo does (kombu's
/// `ensure`), within the same `publish_wait`: the caller sees a timeout at worst, not a
/// connection error mid-failover. If the broker did take the first copy, the server drops
/// the second by its `_unique_id` (oslo's duplicate check).
pub(super) async fn publish(inner: &Inner, message: OutgoingMessage) -> Result<(), TransportError> {
    let deadline = tokio::time::Instant::now() + inner.settings.publish_wait;
    let mut lost_generation = 0;
    loop {
        let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
        let link = inner.wait_for_link_after(lost_generation, wait).await?;
        match publish_on(inner, &link, &message).await {
            Ok(()) => return Ok(()),
            Err(AttemptFailure::Failed(error)) => return Err(error),
            Err(AttemptFailure::LinkLost(error)) => {
                tracing::debug!(%error, generation = link.generation,
                    "the connection was lost before the publish was confirmed; publishing again on the next one");
                lost_generation = link.generation;
            }
        }
    }
}

/// How one attempt to publish failed.
enum AttemptFailure {
    /// The connection under it went away: publish again on the next one.
    LinkLost(String),
    /// Anything else: the caller's answer.
    Failed(TransportError),
}

/// Classify a lapin failure of an attempt on `link`. lapin marks the connection failed
/// before it fails what was pending on it — but a frame whose write met the socket's error
/// fails at once, before that: an I/O error is the link's loss either way.
fn attempt_failure(link: &Link, error: lapin::Error) -> AttemptFailure {
    let connection_level = matches!(
        error.kind(),
        lapin::ErrorKind::IOError(_)
            | lapin::ErrorKind::InvalidConnectionState(_)
            | lapin::ErrorKind::MissingHeartbeatError
    );
    if connection_level || !link.connection.status().connected() {
        AttemptFailure::LinkLost(error.to_string())
    } else {
        AttemptFailure::Failed(connection_error(error))
    }
}

/// Publish `message` on `link` and wait for its confirm.
async fn publish_on(
    inner: &Inner,
    link: &Link,
    message: &OutgoingMessage,
) -> Result<(), AttemptFailure> {
    let topology = &inner.settings.topology;
    let (exchange, routing_key, mandatory): (Cow<'_, str>, &str, bool) = match &message.route {
        Route::Topic {
            exchange,
            routing_key,
        } => {
            declare_exchange_once(inner, link, exchange, || topology.topic_exchange(exchange))
                .await?;
            (Cow::Borrowed(exchange), routing_key, false)
        }
        Route::Fanout { topic } => {
            let name = fanout_exchange(topic);
            declare_exchange_once(inner, link, &name, || topology.fanout_exchange(topic)).await?;
            (Cow::Owned(name), "", false)
        }
        Route::Reply { queue } => (Cow::Borrowed(""), queue, true),
    };
    let publish = channel_for(inner, link).basic_publish(
        ShortString::from(exchange.as_ref()),
        ShortString::from(routing_key),
        BasicPublishOptions {
            mandatory,
            ..Default::default()
        },
        &message.body,
        properties(message.expiration),
    );
    let lost = |error| attempt_failure(link, error);
    let confirmation = publish.await.map_err(lost)?.await.map_err(lost)?;
    match confirmation {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(_returned)) => {
            Err(AttemptFailure::Failed(TransportError::Unroutable {
                queue: routing_key.to_owned(),
            }))
        }
        Confirmation::Nack(_) => Err(AttemptFailure::Failed(TransportError::Connection(format!(
            "broker refused (nack) the message to {exchange:?}/{routing_key:?}"
        )))),
    }
}

/// Declare exchange `name` (as `decl` describes it) on a publisher channel unless this
/// connection already did.
async fn declare_exchange_once(
    inner: &Inner,
    link: &Link,
    name: &str,
    decl: impl FnOnce() -> ExchangeDecl,
) -> Result<(), AttemptFailure> {
    {
        let declared = inner
            .declared
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if declared.0 == link.generation && declared.1.contains(name) {
            return Ok(());
        }
    }
    let decl = decl();
    declare_exchange(channel_for(inner, link), &decl)
        .await
        .map_err(|error| attempt_failure(link, error))?;
    let mut declared = inner
        .declared
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    if declared.0 != link.generation {
        *declared = (link.generation, HashSet::new());
    }
    declared.1.insert(decl.name);
    Ok(())
}
