//! The declarations of `topology.rs` made on a channel — exchanges, queues and bindings —
//! and the channels they are made on: [`DeclarationChannels`], a few channels of their own,
//! never a channel consumers are on. The broker answers a refused declaration
//! (`PRECONDITION_FAILED` for inequivalent arguments, `NOT_FOUND`, `ACCESS_REFUSED`…) by
//! closing the channel it came on; here that channel carries nothing else, the error goes
//! back to whoever declared, and the next declaration opens a fresh channel.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection, ExchangeKind};
use tokio::sync::Semaphore;

use super::topology::{ExchangeDecl, QueueDecl};

/// Declaration channels open at once, at most; declarations wait for a free one. A burst
/// of thousands of subscriptions thus never needs thousands of channels. 16 because the
/// broker is the bottleneck: 3,000 subscriptions took 4.8 s with 8, 3.7 s with 16 and
/// 3.2–4.1 s with 32 (RabbitMQ 3.10 on the same 2-core machine).
pub const DECLARATION_CHANNELS: usize = 16;

/// Idle declaration channels of one connection, reused until the broker closes one.
pub(super) struct DeclarationChannels {
    permits: Semaphore,
    /// The connection generation the idle channels belong to, and the channels.
    idle: Mutex<(u64, Vec<Channel>)>,
}

impl DeclarationChannels {
    pub(super) fn new() -> Self {
        Self {
            permits: Semaphore::new(DECLARATION_CHANNELS),
            idle: Mutex::new((0, Vec::new())),
        }
    }

    /// Run `operation` on a declaration channel of `connection` (generation `generation`):
    /// an idle one, or a new one. The channel goes back to the idle ones if it is still
    /// open afterwards; one the broker closed is dropped.
    pub(super) async fn run<T, F, Fut>(
        &self,
        connection: &Connection,
        generation: u64,
        operation: F,
    ) -> lapin::Result<T>
    where
        F: FnOnce(Channel) -> Fut,
        Fut: Future<Output = lapin::Result<T>>,
    {
        // The semaphore is never closed.
        let _permit = self.permits.acquire().await;
        let idle = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if generation > idle.0 {
                *idle = (generation, Vec::new());
            }
            if generation == idle.0 {
                idle.1.pop()
            } else {
                None
            }
        };
        let channel = match idle {
            Some(channel) if channel.status().connected() => channel,
            _ => connection.create_channel().await?,
        };
        let result = operation(channel.clone()).await;
        if result.is_ok() && channel.status().connected() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.0 == generation {
                idle.1.push(channel);
            }
        }
        // Otherwise the last handle goes here, and lapin closes the channel if still open.
        result
    }
}

/// Declare the exchange `decl`.
pub(super) async fn declare_exchange(channel: &Channel, decl: &ExchangeDecl) -> lapin::Result<()> {
    let kind = if decl.fanout {
        ExchangeKind::Fanout
    } else {
        ExchangeKind::Topic
    };
    let options = ExchangeDeclareOptions {
        durable: decl.durable,
        auto_delete: decl.auto_delete,
        ..Default::default()
    };
    channel
        .exchange_declare(
            ShortString::from(decl.name.as_str()),
            kind,
            options,
            FieldTable::default(),
        )
        .await
}

/// Declare the queue `decl` with its exchange and binding.
pub(super) async fn declare_queue(channel: &Channel, decl: &QueueDecl) -> lapin::Result<()> {
    if let Some((exchange, _)) = &decl.binding {
        declare_exchange(channel, exchange).await?;
    }
    let options = QueueDeclareOptions {
        durable: decl.durable,
        ..Default::default()
    };
    channel
        .queue_declare(
            ShortString::from(decl.name.as_str()),
            options,
            decl.arguments.clone(),
        )
        .await?;
    if let Some((exchange, key)) = &decl.binding {
        channel
            .queue_bind(
                ShortString::from(decl.name.as_str()),
                ShortString::from(exchange.name.as_str()),
                ShortString::from(key.as_str()),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// True when the broker answered `NOT_FOUND` (404): the queue (or its process) is gone.
pub(super) fn is_not_found(error: &lapin::Error) -> bool {
    use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
    matches!(error.kind(), lapin::ErrorKind::ProtocolError(e)
        if matches!(e.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND)))
}

/// Does `queue` exist? A passive declaration; `Ok(false)` when the broker says `NOT_FOUND`.
pub(super) async fn queue_exists(channel: &Channel, queue: &str) -> lapin::Result<bool> {
    let options = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match channel
        .queue_declare(ShortString::from(queue), options, FieldTable::default())
        .await
    {
        Ok(_) => Ok(true),
        Err(error) if is_not_found(&error) => Ok(false),
        Err(error) => Err(error),
    }
}
