//! The `osapi_compute` HTTP server: binds `osapi_compute_listen:port`, serves the
//! [router](super::router)'s app with its workers, and hands back the handle the actor stops
//! it with. The server future runs on the api actor's thread; each request's work runs on
//! the worker that took it (see [`ApiState`]).

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::HttpServer;

use super::api_state::ApiState;
use super::auth::{ApiAuth, Authentication, KeystoneClient};
use super::compute_api::ComputeApiDeps;
use super::router;

/// A running server.
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addrs: Vec<SocketAddr>,
    /// Stops it.
    pub handle: ServerHandle,
}

/// Seconds a graceful stop waits for in-flight requests.
const SHUTDOWN_TIMEOUT: u64 = 10;

/// Binds `listen:port` and starts serving with `workers` workers, lists holding at most
/// `max_limit` items; the server future runs on the current arbiter.
pub fn start(
    listen: &str,
    port: u16,
    workers: usize,
    max_limit: usize,
    deps: ComputeApiDeps,
    auth: ApiAuth,
) -> Result<RunningServer, String> {
    let state = ApiState::new(deps, max_limit);
    let auth = actix_web::web::Data::new(auth);
    let server = HttpServer::new(move || {
        // Per worker: a reqwest client's pooled connections live on the runtime that
        // opened them. The builder failing is reported per request (503) and logged.
        let keystone = match &auth.authentication {
            Authentication::Keystone(validator) => match validator.http_client() {
                Ok(client) => Some(client),
                Err(error) => {
                    tracing::error!(%error, "no HTTP client for keystone in this worker");
                    None
                }
            },
            Authentication::NoAuth { .. } => None,
        };
        router::app(state.clone())
            .app_data(auth.clone())
            .app_data(KeystoneClient(keystone))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_TIMEOUT)
    .bind((listen, port))
    .map_err(|e| format!("osapi_compute cannot listen on {listen}:{port}: {e}"))?;
    let addrs = server.addrs();
    let server: Server = server.run();
    let handle = server.handle();
    actix_rt::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, "osapi_compute server failed");
        }
    });
    Ok(RunningServer { addrs, handle })
}

/// How long a graceful stop may take, for the actor's cleanup.
pub fn shutdown_timeout() -> Duration {
    Duration::from_secs(SHUTDOWN_TIMEOUT)
}
