//! `rabbit://`: the RabbitMQ transport on lapin, with oslo.messaging's exact topology and
//! message properties (docs/WIRE.md), and a connection whose life novactor owns.
//!
//! One connection per transport; one publisher channel in confirm mode; one channel per
//! subscription. Losing the connection moves the state to `reconnecting`, logged once; the
//! owner task then tries the URL's hosts round-robin with oslo's backoff, re-declares every
//! live subscription's topology and resumes consuming.
//!
//! | file | its one job |
//! |---|---|
//! | `amqp_transport.rs` | `AmqpTransport`: the handle, `impl Transport` |
//! | `settings.rs` | `AmqpSettings`: `[oslo_messaging_rabbit]` as the transport uses it |
//! | `url.rs` | `RabbitUrl`: `rabbit://` URLs, hosts and vhost |
//! | `topology.rs` | the declarations oslo makes, as pure data |
//! | `declaration.rs` | those declarations made on a channel |
//! | `message_properties.rs` | oslo's message properties, the content type and size limit |
//! | `shared_state.rs` | what connection, publisher and consumers share: the live link, subscriptions |
//! | `connection.rs` | the connection's owner task: connect, resume, notice loss, reconnect |
//! | `connection_status.rs` | the link's status, shared, with state changes stamped |
//! | `publisher.rs` | publish with confirm; exchanges declared once per channel |
//! | `consumer.rs` | consume a subscription, settle deliveries, cancel |

mod amqp_transport;
mod connection;
mod connection_status;
mod consumer;
mod declaration;
mod message_properties;
mod publisher;
mod settings;
mod shared_state;
mod topology;
mod url;

pub use amqp_transport::AmqpTransport;
pub use message_properties::MAX_BODY_BYTES;
pub use settings::AmqpSettings;
pub use topology::{ExchangeDecl, QueueDecl, TopologySettings};
pub use url::{BrokerHost, RabbitUrl, UrlError};
