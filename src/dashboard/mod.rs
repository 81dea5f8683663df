//! The operator's HTTP endpoint of a process (`[dashboard]`): a live single-page view of
//! the supervision tree, the JSON API behind it, operations (restart/stop/start an actor,
//! periodic-task control, drain, service enable/disable), `/healthz`, `/readyz` and
//! `/metrics`. `docs/DASHBOARD.md` is the contract.
//!
//! ```text
//! mod.rs        start/stop, shared state, routes
//! api.rs        reads: snapshot, actors, periodic tasks, services, report, SSE events
//! operations.rs writes, behind the admin token
//! health.rs     /healthz, /readyz (application/health+json), ReadinessCheck
//! api_error.rs  the JSON error body and status mapping
//! assets/       the page: index.html, app.js, app.css (compiled in; no network)
//! ```
//!
//! actix-web serves from its own worker thread; everything that touches the process's
//! runtime (database pools, the service records) runs on the main arbiter through
//! [`DashboardState::on_main`], and the supervisor is reached by message.

mod api;
pub mod api_error;
pub mod health;
mod operations;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};

pub use api_error::ApiError;
pub use health::{CheckResult, DatabaseCheck, HealthStatus, ReadinessCheck};

use crate::config::{DashboardOptions, SecretString};
use crate::node::Node;
use crate::servicegroup::ServiceGroup;

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The address could not be bound.
    #[error("dashboard cannot listen on {address}: {source}; set [dashboard] port (0 disables the dashboard) or [dashboard] listen")]
    Bind {
        /// `listen:port`.
        address: String,
        /// The bind error.
        source: std::io::Error,
    },
}

/// What the process offers the dashboard besides its node.
pub struct DashboardParts {
    /// Service records with up/down; `None` in a process without database access
    /// (a compute-only process: its records are read where the conductor runs).
    pub services: Option<Arc<dyn ServiceGroup>>,
    /// Readiness dependencies beyond actors and broker (the database).
    pub checks: Vec<Arc<dyn ReadinessCheck>>,
    /// What the process is, e.g. `novactor conductor,scheduler`.
    pub description: String,
    /// How long after its last heartbeat a service record counts as down.
    pub service_down_time: Duration,
}

impl std::fmt::Debug for DashboardParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardParts")
            .field("services", &self.services.is_some())
            .field(
                "checks",
                &self.checks.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .field("description", &self.description)
            .finish()
    }
}

/// Shared by the handlers.
pub(crate) struct DashboardState {
    node: Node,
    services: Option<Arc<dyn ServiceGroup>>,
    checks: Vec<Arc<dyn ReadinessCheck>>,
    admin_token: Option<SecretString>,
    refresh: Duration,
    service_down_time: Duration,
    host: String,
    description: String,
    main: actix_rt::ArbiterHandle,
}

impl DashboardState {
    /// Run `work` on the process's main arbiter (where its pools and clients live).
    async fn on_main<T, F, Fut>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self.main.spawn_fn(move || {
            actix_rt::spawn(async move {
                let _ = tx.send(work().await);
            });
        });
        let gone = || ApiError::Unavailable("the process is shutting down".to_owned());
        if !sent {
            return Err(gone());
        }
        rx.await.map_err(|_| gone())
    }
}

/// A serving dashboard.
#[derive(Debug)]
pub struct RunningDashboard {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RunningDashboard {
    /// Where it listens (the port picked when tests bind port 0 through [`serve`]).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving; open event streams are closed.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Bind the address `options` name, before anything else starts, so a taken port stops
/// the process before it touches the broker; `Ok(None)` when `port = 0`.
pub fn bind(options: &DashboardOptions) -> Result<Option<TcpListener>, DashboardError> {
    let Some(port) = options.port else {
        tracing::info!("dashboard disabled ([dashboard] port = 0)");
        return Ok(None);
    };
    bind_to(&options.listen, port).map(Some)
}

fn bind_to(listen: &str, port: u16) -> Result<TcpListener, DashboardError> {
    let address = format!("{listen}:{port}");
    TcpListener::bind((listen, port)).map_err(|source| DashboardError::Bind { address, source })
}

/// Start the dashboard on `listen:port` (port 0 picks a free one).
pub fn serve(
    listen: &str,
    port: u16,
    options: &DashboardOptions,
    node: &Node,
    parts: DashboardParts,
) -> Result<RunningDashboard, DashboardError> {
    start(bind_to(listen, port)?, options, node, parts)
}

/// Serve the dashboard of `node` on a bound `listener`. Must run inside the actix system
/// whose arbiter hosts the node.
pub fn start(
    listener: TcpListener,
    options: &DashboardOptions,
    node: &Node,
    parts: DashboardParts,
) -> Result<RunningDashboard, DashboardError> {
    let config = node.env().config();
    let state = web::Data::new(DashboardState {
        node: node.clone(),
        services: parts.services,
        checks: parts.checks,
        admin_token: options.admin_token.clone(),
        refresh: options.refresh_interval,
        service_down_time: parts.service_down_time,
        host: config.default.host.clone(),
        description: parts.description,
        main: actix_rt::Arbiter::current(),
    });
    let address = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    let bind_error = |source| DashboardError::Bind {
        address: address.clone(),
        source,
    };
    let addr = listener.local_addr().map_err(bind_error)?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|error, _| {
                        ApiError::BadRequest(format!("invalid JSON body: {error}")).into()
                    }),
            )
            .configure(routes)
    })
    .workers(1)
    .disable_signals()
    // Event streams never end by themselves: a stop closes them after a second.
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(bind_error)?;
    let server: Server = server.run();
    let handle = server.handle();
    actix_rt::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, "dashboard server failed");
        }
    });
    let loopback = addr.ip().is_loopback();
    if !loopback && options.admin_token.is_none() {
        tracing::warn!(%addr, "dashboard listens on a non-loopback address without [dashboard] admin_token: \
            reads (state, configuration report) are open to anyone who can reach it; operations stay refused");
    } else if !loopback {
        tracing::warn!(%addr, "dashboard listens on a non-loopback address: reads are open to anyone who can reach it");
    }
    tracing::info!("dashboard listening on http://{addr}/");
    Ok(RunningDashboard { addr, handle })
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

async fn index() -> HttpResponse {
    asset(
        "text/html; charset=utf-8",
        include_str!("assets/index.html"),
    )
}

async fn script() -> HttpResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "no such path; see GET /api/v1 for the API".to_owned(),
    ))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/assets/app.js", web::get().to(script))
        .route("/assets/app.css", web::get().to(stylesheet))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(api::metrics))
        .configure(api::routes)
        .configure(operations::routes)
        .default_service(web::to(not_found));
}
