//! Serving: bind the listener before anything else starts, run actix-web on one worker,
//! route the page, its assets, the API, the operations, health and `/metrics`.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};

use super::api_error::ApiError;
use super::dashboard_state::{DashboardParts, DashboardState};
use super::request_guard::{self, HostRule, ReadAccess};
use super::{api, health, operations};
use crate::config::DashboardOptions;
use crate::node::Node;

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
        event_streams: Default::default(),
        max_event_streams: options.max_event_streams,
    });
    let address = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    let bind_error = |source| DashboardError::Bind {
        address: address.clone(),
        source,
    };
    let addr = listener.local_addr().map_err(bind_error)?;
    let hosts = web::Data::new(HostRule::new(addr.ip(), &options.allowed_hosts));
    let reads = web::Data::new(ReadAccess(
        options
            .require_token_for_reads
            .then(|| options.admin_token.clone())
            .flatten(),
    ));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(request_guard::guard))
            .app_data(hosts.clone())
            .app_data(reads.clone())
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
