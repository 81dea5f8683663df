//! `rabbit://`: the RabbitMQ transport on lapin, with oslo.messaging's exact topology and
//! message properties (docs/WIRE.md), and a connection whose life novactor owns.
//!
//! One connection per transport, with three kinds of channel on it: [`PUBLISHER_CHANNELS`]
//! publisher channels in confirm mode, taken in turn; up to [`DECLARATION_CHANNELS`] declaration channels, where queues,
//! exchanges and bindings are declared, so a refused declaration closes no channel a
//! consumer is on; and consumer channels shared by up to `consumers_per_channel`
//! consumers each ([`CONSUMERS_PER_CHANNEL`] by default), opened as needed and closed when
//! their last consumer ends — thousands of subscriptions fit under RabbitMQ's
//! `channel_max` of 2047 channels per connection. Cancelling a subscription cancels its
//! consumer only; a consumer channel that fails restarts its own consumers only. Losing
//! the connection moves the state to `reconnecting`, logged once; the owner task then
//! tries the URL's hosts round-robin with oslo's backoff, re-declares every live
//! subscription's topology and resumes consuming, packed onto new shared channels.
//!
//! | file | its one job |
//! |---|---|
//! | `amqp_transport.rs` | `AmqpTransport`: the handle, `impl Transport` |
//! | `settings.rs` | `AmqpSettings`: `[oslo_messaging_rabbit]` as the transport uses it |
//! | `url.rs` | `RabbitUrl`: `rabbit://` URLs, hosts and vhost |
//! | `tls.rs` | `TlsFiles`: `ssl_ca_file`, `ssl_cert_file`, `ssl_key_file` read and checked at start |
//! | `topology.rs` | the declarations oslo makes, as pure data |
//! | `declaration.rs` | those declarations made, on declaration channels of their own |
//! | `message_properties.rs` | oslo's message properties, the content type and size limit |
//! | `shared_state.rs` | what connection, publisher and consumers share: the live link, subscriptions, channels |
//! | `connection.rs` | the connection's owner task: connect, resume, notice loss, reconnect |
//! | `connection_status.rs` | the link's status, shared, with state changes stamped |
//! | `publisher.rs` | publish with confirm (again on the next connection if the link is lost first); exchanges declared once per connection |
//! | `consumer_channels.rs` | the channels consumers share: seats, `Basic.Qos`, the `channel_max` budget |
//! | `queue_audit.rs` | after a reconnect, check the transient queues still exist (RabbitMQ #6271) |
//! | `consumer.rs` | start a subscription's consumer, forward its deliveries, handle its end |
//! | `settle.rs` | ack or reject a delivery; requeue one dropped unsettled |
//! | `subscribe.rs` | subscribe; cancel one consumer (and delete a fanout queue) |

mod amqp_transport;
mod connection;
mod connection_status;
mod consumer;
mod consumer_channels;
mod declaration;
mod message_properties;
mod publisher;
mod queue_audit;
mod settings;
mod settle;
mod shared_state;
mod subscribe;
mod tls;
mod topology;
mod url;

pub use amqp_transport::AmqpTransport;
pub use declaration::DECLARATION_CHANNELS;
pub use message_properties::MAX_BODY_BYTES;
pub use publisher::PUBLISHER_CHANNELS;
pub use settings::{AmqpSettings, BACKLOG_PREFETCH, CONSUMERS_PER_CHANNEL};
pub use tls::{TlsConfigError, TlsFiles};
pub use topology::{ExchangeDecl, QueueDecl, TopologySettings};
pub use url::{BrokerHost, RabbitUrl, UrlError};
