//! The operator's HTTP endpoint of a process (`[dashboard]`): a live single-page view of
//! the supervision tree, the JSON API behind it, operations (restart/stop/start an actor,
//! periodic-task control, drain, service enable/disable), `/healthz`, `/readyz` and
//! `/metrics`. `docs/DASHBOARD.md` is the contract.
//!
//! ```text
//! mod.rs        this map: declarations and re-exports
//! server.rs     bind, start/stop, routes, the page's assets
//! dashboard_state.rs  what the handlers share; DashboardParts, what the process hands in
//! api.rs        reads: snapshot, actors, periodic tasks, services, report, SSE events
//! operations.rs writes, behind the admin token
//! health.rs     /healthz, /readyz (application/health+json)
//! readiness_check.rs  HealthStatus, CheckResult, ReadinessCheck, DatabaseCheck
//! api_error.rs  the JSON error body and status mapping
//! request_guard.rs  the Host check (DNS rebinding) and the frame-deny headers
//! assets/       the page: index.html, app.js, app.css (compiled in; no network)
//! ```
//!
//! actix-web serves from its own worker thread; everything that touches the process's
//! runtime (database pools, the service records) runs on the main arbiter through
//! `DashboardState::on_main`, and the supervisor is reached by message.

mod api;
pub mod api_error;
mod dashboard_state;
pub mod health;
mod operations;
mod readiness_check;
mod request_guard;
mod server;

pub use api_error::ApiError;
pub use dashboard_state::DashboardParts;
pub use readiness_check::{CheckResult, DatabaseCheck, HealthStatus, ReadinessCheck};
pub use server::{bind, serve, start, DashboardError, RunningDashboard};
