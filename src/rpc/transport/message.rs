//! What a transport publishes: a [`Route`] (where to) and an [`OutgoingMessage`] (the
//! encoded envelope with its AMQP-level options).

use std::time::Duration;

/// Where a published message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Topic exchange `exchange` with `routing_key` (`<topic>` or `<topic>.<server>`).
    Topic {
        /// The control exchange or a target's own.
        exchange: String,
        /// `<topic>` or `<topic>.<server>`.
        routing_key: String,
    },
    /// The fanout exchange `<topic>_fanout`.
    Fanout {
        /// The topic whose fanout exchange receives the message.
        topic: String,
    },
    /// Straight to a queue through the default exchange, mandatory (replies).
    Reply {
        /// The caller's reply queue.
        queue: String,
    },
}

/// A message ready to publish: encoded body plus AMQP-level options.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// Destination.
    pub route: Route,
    /// The encoded envelope.
    pub body: Vec<u8>,
    /// Per-message TTL (calls set it to their timeout, as oslo does).
    pub expiration: Option<Duration>,
}
