//! The chaos suite: a real deployment (RabbitMQ, PostgreSQL, three `novactor` processes:
//! control = api + conductor + scheduler, compute `node1`, compute `node2`) under a steady
//! stream of boots and deletes through the REST API, one fault at a time, with assertions
//! on the end state. Loopback only; bounded in time. The scenarios stop shared services
//! (the broker, the database), so they take turns, and the binary runs alone (cargo runs
//! test binaries one after another).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/postgres.rs"]
mod postgres;
#[path = "../common/process.rs"]
mod process;

#[allow(dead_code)]
mod deployment;
mod scenarios;

/// One scenario at a time: each stops something the others need.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
