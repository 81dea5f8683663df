//! Bad input (issue 8): four fuzz targets, each replaying its corpus (`tests/corpus/<target>/`)
//! then running generated mutations of it, bounded in cases and wall-clock time
//! (`support`; knobs `NOVACTOR_FUZZ_CASES`, `NOVACTOR_FUZZ_SECONDS`, `NOVACTOR_FUZZ_SEED`):
//! the oslo envelope, nova.conf, Nova's objects over RPC, and the compute API's bodies,
//! paths and query strings (against the api tests' `cloud`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

#[path = "../api/cloud.rs"]
mod cloud;
mod support;

mod api_bodies;
mod config;
mod nova_objects;
mod oslo_envelope;
