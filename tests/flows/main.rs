//! Nova's instance flows end to end (boot, stop/start, reboot, delete, reschedule, a
//! compute going down, the resource audit): the same scenarios in one process and over
//! RabbitMQ + PostgreSQL (`instance_flows::in_process::…`,
//! `instance_flows::over_rabbitmq_and_postgres::…`), then three real `novactor` processes.
//! Clouds on RabbitMQ take turns (`deployment::nova_on_rabbit_turn`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

mod deployment;

mod instance_flows;
mod three_processes_over_rabbitmq;
