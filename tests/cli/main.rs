//! The `novactor` binary from the outside: nova.conf read as oslo.config reads it, `run`
//! with its signals and logs, the nova-manage-style service commands, and `novactor rpc`
//! plus a real oslo client against a conductor on RabbitMQ. Each test has a temp dir of its
//! own and a clean environment (`common::process::command`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

mod reads_nova_conf_like_oslo;
mod rpc_and_oslo_ping_over_rabbitmq;
mod runs_actors_and_handles_signals;
mod service_commands_and_status;
