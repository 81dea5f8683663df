//! The chaos suite: faults in the shared services under running novactor, with assertions
//! on the end state. Every test that stops RabbitMQ or PostgreSQL lives here and holds
//! [`ONE_AT_A_TIME`], so no test ever finds the broker or the database pulled from under
//! it (cargo runs test binaries one after another, so other binaries are safe too).
//!
//! - In one process: the AMQP transport across a broker restart, `/readyz` while RabbitMQ
//!   is stopped, heartbeats across a PostgreSQL outage.
//! - A real deployment (`deployment`: RabbitMQ, PostgreSQL, three `novactor` processes —
//!   control = api + conductor + scheduler, compute `node1`, compute `node2`) under a
//!   steady stream of boots and deletes through the REST API, one fault at a time
//!   (`scenarios`). Loopback only; bounded in time.
//!
//! `outages` holds the switches (stop/start with guards that restart the service however a
//! test ends).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

#[path = "../dashboard/dash.rs"]
mod dash;
#[allow(dead_code)]
mod deployment;
mod outages;

mod amqp_broker_restart_recovers;
mod dashboard_readyz_follows_rabbitmq;
mod db_outage_during_heartbeats;
mod scenarios;

/// One test at a time: each stops something the others need.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
