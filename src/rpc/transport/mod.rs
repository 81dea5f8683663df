//! Transports: how bytes reach a queue and come back, at the level of AMQP's model
//! (exchanges, queues, bindings, publish with confirm, consume with manual settle).
//! Everything above — envelope, call correlation, dispatch, duplicate suppression,
//! call-monitor heartbeats — is shared, so `memory://` and RabbitMQ run the same code and
//! differ only in where the bytes go.
//!
//! | file | its one job |
//! |---|---|
//! | `contract.rs` | `trait Transport`: what every transport MUST do (oslo `_drivers/base.py`) |
//! | `message.rs` | `Route` and `OutgoingMessage`: what is published, and where to |
//! | `queue_spec.rs` | `QueueSpec`: the queues oslo declares (topic, server, fanout, reply) |
//! | `delivery.rs` | `Delivery` and `Settle`: a message taken, acked or rejected |
//! | `subscription.rs` | `Subscription` and `Cancel`: a live consumer and its end |
//! | `transport_error.rs` | `TransportError`, recoverability decided once |
//! | `tls_config_error.rs` | `TlsConfigError`: an unusable `ssl_*` file, found at start |
//! | `transport_status.rs` | `TransportStatus` and `LinkState`: the link's health |
//! | `transport_url.rs` | `from_url`: `transport_url` → transport |
//! | `memory.rs` | `memory://`: oslo's routing in-process, every message through the envelope |
//! | `amqp/` | `rabbit://`: RabbitMQ on lapin |

pub mod amqp;
mod contract;
mod delivery;
pub mod memory;
mod message;
mod queue_spec;
mod subscription;
mod tls_config_error;
mod transport_error;
mod transport_status;
mod transport_url;

pub use contract::Transport;
pub use delivery::{Delivery, Settle};
pub use message::{OutgoingMessage, Route};
pub use queue_spec::QueueSpec;
pub use subscription::{delivery_channel, Cancel, DeliveryReceiver, DeliverySender, Subscription};
pub use tls_config_error::TlsConfigError;
pub use transport_error::TransportError;
pub use transport_status::{LinkState, TransportStatus};
pub use transport_url::from_url;
