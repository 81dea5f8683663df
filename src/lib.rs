//! novactor, the runtime: services as supervised actix actors that talk oslo.messaging's
//! RPC (RabbitMQ or in process), with oslo.config-style configuration, heartbeats, periodic
//! tasks, a database pool and an operator's dashboard. OpenStack Nova's control plane runs on
//! it (the `novactor-nova` crate).
//!
//! # Layout
//! This crate is the runtime: it knows oslo and Rust, not Nova. Nova lives in the
//! `novactor-nova` crate (`actors/`), which uses the runtime and is never used by it.
//!
//! | module | its one job |
//! |---|---|
//! | [`config`] | the configuration engine: option tables from any crate, layering (defaults < files < env < CLI), oslo.config's INI rules, validation, URL masking |
//! | [`db`] | database pool (SQLite, PostgreSQL, MySQL), portable SQL, migrations |
//! | [`logging`] | the tracing subscriber: stderr or file, text or JSON, live `debug` switch |
//! | [`rpc`] | oslo.messaging RPC: envelope, target, dispatcher, client, server, transports |
//! | [`service`] | what a service actor is: manager trait, endpoints, hooks, periodic tasks |
//! | [`supervisor`] | start order, restarts, intensity, timers, heartbeats, drain |
//! | [`snapshot`] | the supervision tree as data: what report, dashboard and metrics read |
//! | [`servicegroup`] | service liveness records (in-process driver) |
//! | [`node`] | one process: supervisor + transport; start, reload, report, shutdown |
//! | [`report`] | the state report text (SIGUSR2) |
//! | [`rpc_cli`] | `novactor rpc call|cast`: one RPC from the shell |
//! | [`signals`] | SIGTERM/SIGINT drain, SIGHUP reload, SIGUSR2 report |
//! | [`dashboard`] | HTTP for operators: live page, JSON API, operations, health, `/metrics` |
//! | [`metrics`] | the Prometheus series of a process |
//! | [`systemd`] | `sd_notify`: READY, RELOADING, STOPPING, WATCHDOG |
//!
//! Dependencies point one way, each layer using only those before it
//! (`scripts/check_layout.py` keeps it so):
//!
//! ```text
//! config, logging, servicegroup
//!   ← db
//!   ← rpc                  (knows no metrics: its client reports to an rpc::ClientObserver)
//!   ← snapshot             (the wire type every reader of the tree shares)
//!   ← metrics              (implements ClientObserver; mirrors the snapshot)
//!   ← service              (managers and their cells; tells its supervisor by child events)
//!   ← supervisor           (records handler outcomes and periodic durations into metrics)
//!   ← report ← node ← systemd ← signals; node ← dashboard; rpc ← rpc_cli
//! ```

pub mod config;
pub mod dashboard;
pub mod db;
pub mod logging;
pub mod metrics;
pub mod node;
pub mod report;
pub mod rpc;
pub mod rpc_cli;
pub mod service;
pub mod servicegroup;
pub mod signals;
pub mod snapshot;
pub mod supervisor;
pub mod systemd;

pub use node::Node;

/// The README's Rust example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
