//! The tests' toolbox, shared by every test binary of both packages; it uses only the
//! runtime crate (`novactor`), so the runtime's own binaries (tests/rpc, tests/supervisor)
//! prove it works without Nova. Declared from a binary's `main.rs` as
//! `#[path = "../common/mod.rs"] mod common;`.
//!
//! - `wait`: [`wait_until`] — a condition with a deadline, the one poll loop (and
//!   [`wait_until_blocking`] for tests without a runtime).
//! - `http`: the one HTTP client ([`http::request`] → [`http::Reply`]).
//! - `fresh_database`: a fresh database per test — SQLite in a temp dir, or a new
//!   PostgreSQL / MariaDB database dropped at the end ([`FreshDatabase`]).
//! - `broker`: [`Broker`] (memory or RabbitMQ) and [`Scenario`] (echo services on a topic
//!   of their own).
//! - `amqp_vhost`: a RabbitMQ vhost of a test's own ([`amqp_vhost::Vhost`]) and the AMQP
//!   transport tests' steps (send, receive, round trip).
//! - `echo_service`: the probe-able test service and node builders.
//! - `scenarios`: [`scenarios!`](scenarios::scenarios) — scenarios written once, one test
//!   per scenario and backend.
//! - `process`: a child process with its log collected; free ports.
//! - `oslo`: the Python oslo.messaging peer (`tests/interop/oslo_peer.py`).
//! - `rabbit_nodes`: private RabbitMQ nodes of one test (`scripts/rabbit-nodes.sh`): a TLS
//!   node requiring client certificates, a three-node cluster; stopped on drop.
//! - `logging`: the runtime's logs in the test output.
//!
//! Not declared here: `nova.rs`, the Nova side (the `novactor` binary, a migrated
//! `NovaDb`), which the novactor-nova package's binaries declare next to this module as
//! `#[path = "../common/nova.rs"] mod nova;`.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub mod amqp_vhost;
pub mod broker;
pub mod echo_service;
pub mod fresh_database;
pub mod http;
pub mod logging;
pub mod oslo;
pub mod process;
pub mod rabbit_nodes;
pub mod scenarios;
pub mod wait;

pub use broker::*;
pub use echo_service::*;
pub use fresh_database::{db_options, Backend, FreshDatabase};
pub use logging::init_test_logging;
pub(crate) use scenarios::scenarios;
pub use wait::{wait_until, wait_until_blocking};

/// The repository's root (scripts/, tests/interop/): the workspace directory above the
/// running test's package, which is the root package itself or actors/.
pub fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .expect("the workspace root (with Cargo.lock) above CARGO_MANIFEST_DIR")
        .to_path_buf()
}
