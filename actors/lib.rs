//! Nova's control-plane services as novactor actors. Everything Nova-specific lives here:
//! binaries, topics, namespaces, RPC method names, `nova.exception` classes.
//!
//! | Nova binary | topic | RPC endpoints (namespace → version) | folder |
//! |---|---|---|---|
//! | `nova-conductor` | `conductor` | null → 3.0, `compute_task` → 1.26, `baseapi` → 1.1 | `conductor/` |
//! | `nova-scheduler` | `scheduler` | null → 4.5, `baseapi` → 1.1 | `scheduler/` |
//! | `nova-compute` | `compute` | null → 6.5, `baseapi` → 1.1 | `compute/` |
//! | `nova-api` | none (as in Nova) | none | `api/` |
//!
//! The services talk through `rpcapi/` (per API: target, version history, one argument
//! struct per method, the proxy) and share `objects/`, `db/` and `exception.rs`; they never
//! import each other, so the order is: `exception`, `conf` → `objects`, `db`, `keystone`, `placement` →
//! `rpcapi` → `conductor`, `scheduler`, `compute` → `api` → `app`. `placement/` is the
//! placement API's client a compute reports its resource provider through.

pub mod api;
pub mod app;
pub mod cli;
pub mod compute;
pub mod conductor;
pub mod conf;
pub mod db;
pub mod deployment;
pub mod exception;
pub mod keystone;
pub mod manage;
mod nova_service;
pub mod objects;
pub mod placement;
pub mod rpcapi;
pub mod scheduler;

pub use deployment::{definitions, DeploymentError};
pub use nova_service::NovaService;
