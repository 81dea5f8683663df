//! [`QueueSpec`]: the four kinds of queue oslo declares, as a server or client asks for one.

/// A queue a server or client consumes, declared with oslo's topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueSpec {
    /// Queue `<topic>` shared by all servers of the topic.
    Topic {
        /// Exchange the queue is bound to.
        exchange: String,
        /// Queue name and binding key.
        topic: String,
    },
    /// Queue `<topic>.<server>` for messages to one host.
    Server {
        /// Exchange the queue is bound to.
        exchange: String,
        /// The service topic.
        topic: String,
        /// The host.
        server: String,
    },
    /// A fresh `<topic>_fanout_<hex>` queue bound to `<topic>_fanout`; deleted when the
    /// subscription ends cleanly, as oslo deletes its fanout queue on stop.
    Fanout {
        /// The service topic.
        topic: String,
    },
    /// A fresh `reply_<hex>` queue, reached through the default exchange.
    Reply,
}
