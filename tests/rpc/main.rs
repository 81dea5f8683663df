//! The runtime's RPC (src/rpc), a target of the runtime package: it needs nothing of Nova.
//! The transport suites are written once and run over `memory://` (module `memory`) and
//! over the RabbitMQ of `NOVACTOR_TEST_RABBIT_URL` (module `rabbit`, default the local
//! broker; absent, those tests fail loudly) — e.g.
//! `routes_calls_casts_and_fanouts::rabbit::a_fanout_cast_reaches_every_server_once`.
//! Then what only RabbitMQ can show (messages published around novactor; consumers
//! sharing channels, each test in a vhost of its own), and oslo
//! interop with the real Python oslo.messaging in both directions (the venv of
//! `scripts/python-venv.sh`). Every test has a topic of its own; none stops the shared broker
//! (that is tests/chaos). Two start private RabbitMQ nodes of their own
//! (`scripts/rabbit-nodes.sh`, stopped on drop): `tls_client_certificates` (a TLS listener
//! requiring client certificates) and `cluster_failover` (a three-node cluster losing a node).

#[path = "../common/mod.rs"]
mod common;

mod a_backlog_stays_in_the_broker;
mod amqp_consumers_share_channels;
mod amqp_one_consumer_leaves_its_channel_mates_alone;
mod bad_broker_input_is_rejected;
mod call_monitor_timeouts_from_outside;
mod cluster_failover;
mod delivery_modes;
mod dispatch_refuses_what_oslo_refuses;
mod missing_reply_queue_patience;
mod oslo_interop_novactor_client_calls_python;
mod oslo_interop_python_client_calls_novactor;
mod routes_calls_casts_and_fanouts;
mod tls_client_certificates;
