//! The dashboard (src/dashboard): in-process — reads, operator actions behind the admin
//! token, health, `/metrics` read back with prometheus_client, the live event stream
//! (`dash`: an echo node serving its dashboard), who may reach it (`access`) — and from the
//! outside: the `novactor run` process with systemd's notify protocol and the state report,
//! and the page in a headless chromium (chromedriver). `/readyz` while RabbitMQ is stopped
//! is a chaos test.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

mod dash;

mod access;
mod api_and_operations;
mod in_a_browser;
mod metrics;
mod process;
