//! novactor against the real OpenStack services a Nova 34 control plane runs, installed from
//! PyPI in the real-Nova venv (`scripts/real-nova/`). Each test starts what it needs itself
//! and stops it by PID; without the venv the tests fail and say how to create it (they never
//! pass without the real thing). `NOVACTOR_REAL_NOVA_VENV=<venv>` points them at another venv.
//!
//! - `placement`: the compute's placement client (`actors/placement/`) against placement
//!   16.0.0 alone (`placement_server.rs`, served by `placement_wsgi.py`): Nova's inventory
//!   and traits as placement shows them, generation conflicts, a hundred hosts at once
//!   within the concurrency bound, an outage logged once, allocations deleted, and a
//!   Keystone password login (`keystone_stub.rs` stands in for Keystone's login only).
//! - `novactor_hypervisors`: a whole Nova 34 control plane (`control_plane.rs`, from
//!   `scripts/real-nova/realnova.py`) with one Python compute and a novactor process of 20
//!   fake hosts, driven by the real `openstack` CLI: boots, power actions and their events,
//!   a SIGKILL and restart, a broker restart, placement usage after deletes.
//! - `keystone_auth`: the compute API behind a real Keystone 30.0.0 (`keystone_server.rs`,
//!   from `scripts/real-nova/keystone.py`): the `openstack` CLI with password logins, Nova's
//!   policy across projects and roles, 401/503 as keystonemiddleware, the token cache counted
//!   in Keystone's request log, the service token renewed.
//! - `nova_api_contract`: the compute API (in this process, `../api/cloud.rs`) against Nova
//!   34's own response schemas at every microversion step up to 2.104, checked by Nova's
//!   validator (`nova_api_contract.py`); `nova_api_samples`: Nova's own request samples for
//!   the routes novactor serves, each 2xx or refused naming the field it cannot honour;
//!   `nova_api_evacuate`: both for evacuate, in a cloud of two fake hosts;
//!   `keypair_x509`: a generated x509 key pair read by Python's `cryptography` and Nova's
//!   own fingerprint.
//! - `nova_objects`: novactor's conductor alone (its own vhost and database) driven by the
//!   real `nova` package's object classes and conductor rpcapi (`nova_objects_client.py`):
//!   a compute's start-up, an instance's saves with `expected_task_state`, action events —
//!   every answer taken by Nova's own objects, Nova's values and exception classes.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

#[path = "../api/cloud.rs"]
mod cloud;

mod captured_logs;
mod control_plane;
mod keystone_server;
mod keystone_stub;
mod placement_server;

mod keypair_x509;
mod keystone_auth;
mod nova_api_contract;
mod nova_api_contract_keypairs;
mod nova_api_contract_live_migration;
mod nova_api_evacuate;
mod nova_api_sample_files;
mod nova_api_samples;
mod nova_api_samples_keypairs;
mod nova_api_samples_live_migration;
mod nova_objects;
mod novactor_hypervisors;
mod placement;

/// The broker, shared by this binary's tests: a test that restarts RabbitMQ holds it
/// exclusively (`broker_exclusive`), every other test that uses RabbitMQ holds it shared
/// (`broker_shared`), so no test sees another's broker restart. An async lock: the shared
/// holders are async tests holding it across awaits.
fn broker() -> &'static tokio::sync::RwLock<()> {
    static BROKER: std::sync::OnceLock<tokio::sync::RwLock<()>> = std::sync::OnceLock::new();
    BROKER.get_or_init(Default::default)
}

/// Hold while using RabbitMQ.
pub(crate) async fn broker_shared() -> tokio::sync::RwLockReadGuard<'static, ()> {
    broker().read().await
}

/// Hold while restarting RabbitMQ (and for the life of a test that does); for plain
/// `#[test]`s (no runtime).
pub(crate) fn broker_exclusive() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    broker().blocking_write()
}
