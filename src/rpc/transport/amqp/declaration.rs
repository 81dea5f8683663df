//! The declarations of `topology.rs` made on a channel: exchanges, queues and bindings.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

use super::topology::{ExchangeDecl, QueueDecl};

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
