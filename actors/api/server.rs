//! The `osapi_compute` HTTP server: routes, the request-id/version-header/logging
//! middleware, and the bridge that runs database and RPC work on the api actor's own
//! runtime (the HTTP workers are separate threads; keeping pooled connections and the RPC
//! reply consumer on the actor's arbiter means a worker's exit cannot strand them).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServerHandle, Service as _, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer, Resource};
use serde_json::Value;

use super::api_fault::ApiFault;
use super::auth::{AuthPolicy, RequestId};
use super::compute_api::ComputeApiDeps;
use super::{flavors, images, microversion, servers, services, versions};

/// What handlers reach through [`ApiState::run`]: the flow layer's clients.
#[derive(Debug)]
pub struct Backend {
    /// Database, conductor and compute clients.
    pub deps: ComputeApiDeps,
}

/// Shared by every HTTP worker.
#[derive(Debug, Clone)]
pub struct ApiState {
    backend: Arc<Backend>,
    actor: actix_rt::ArbiterHandle,
}

impl ApiState {
    /// Runs `work` on the api actor's arbiter and waits for its result.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, ApiFault>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Backend>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, ApiFault>> + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let backend = Arc::clone(&self.backend);
        let sent = self.actor.spawn_fn(move || {
            actix_rt::spawn(async move {
                let _ = tx.send(work(backend).await);
            });
        });
        let gone = || ApiFault::unavailable("The api service is restarting; try again.");
        if !sent {
            return Err(gone());
        }
        rx.await.map_err(|_| gone())?
    }
}

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

/// Binds `listen:port` and starts serving with `workers` workers; the server future runs
/// on the current arbiter.
pub fn start(
    listen: &str,
    port: u16,
    workers: usize,
    deps: ComputeApiDeps,
    auth: AuthPolicy,
) -> Result<RunningServer, String> {
    let state = ApiState {
        backend: Arc::new(Backend { deps }),
        actor: actix_rt::Arbiter::current(),
    };
    let server = HttpServer::new(move || app(state.clone()).app_data(auth))
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

/// True for paths whose responses carry the microversion headers (all of `/v2.1/…` but
/// the version document itself).
fn versioned(path: &str) -> bool {
    path.starts_with("/v2.1/") && path != "/v2.1/"
}

fn set(
    res: &mut ServiceResponse<impl actix_web::body::MessageBody>,
    name: &'static str,
    value: &str,
) {
    if let Ok(value) = HeaderValue::from_str(value) {
        res.headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

fn app(
    state: ApiState,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(1 << 20))
        .service(resource("/").route(web::get().to(versions::root)))
        .service(resource("/v2.1").route(web::get().to(versions::v21)))
        .service(resource("/v2.1/").route(web::get().to(versions::v21)))
        .service(resource("/v2.1/flavors").route(web::get().to(flavors::list)))
        .service(resource("/v2.1/flavors/detail").route(web::get().to(flavors::detail)))
        .service(resource("/v2.1/flavors/{id}").route(web::get().to(flavors::show)))
        .service(
            resource("/v2.1/servers")
                .route(web::get().to(servers::list))
                .route(web::post().to(servers::create)),
        )
        .service(resource("/v2.1/servers/detail").route(web::get().to(servers::detail)))
        .service(
            resource("/v2.1/servers/{id}")
                .route(web::get().to(servers::show))
                .route(web::delete().to(servers::delete)),
        )
        .service(resource("/v2.1/servers/{id}/action").route(web::post().to(servers::action)))
        .service(resource("/v2.1/os-services").route(web::get().to(services::list)))
        .service(resource("/v2.1/os-services/{id}").route(web::put().to(services::update)))
        .service(resource("/v2.1/os-hypervisors").route(web::get().to(services::hypervisor_list)))
        .service(
            resource("/v2.1/os-hypervisors/detail")
                .route(web::get().to(services::hypervisor_detail)),
        )
        .service(
            resource("/v2.1/os-hypervisors/{id}").route(web::get().to(services::hypervisor_show)),
        )
        .service(
            resource("/v2.1/os-hypervisors/{id}/uptime")
                .route(web::get().to(services::hypervisor_uptime)),
        )
        .service(resource("/v2.1/os-aggregates").route(web::get().to(services::aggregates)))
        .service(resource("/image").route(web::get().to(images::versions)))
        .service(resource("/image/v2").route(web::get().to(images::versions)))
        .service(resource("/image/v2/").route(web::get().to(images::versions)))
        .service(resource("/image/v2/images").route(web::get().to(images::list)))
        .service(resource("/image/v2/images/{id}").route(web::get().to(images::show)))
        .default_service(web::to(not_found))
        .wrap_fn(|req, srv| {
            let request_id = format!("req-{}", uuid::Uuid::new_v4());
            req.extensions_mut().insert(RequestId(request_id.clone()));
            let version = versioned(req.path())
                .then(|| microversion::negotiate(req.headers()).ok())
                .flatten();
            let (method, path) = (req.method().clone(), req.path().to_owned());
            let response = srv.call(req);
            async move {
                let mut res = nova_fault_body(response.await?);
                set(&mut res, "x-openstack-request-id", &request_id);
                set(&mut res, "x-compute-request-id", &request_id);
                if let Some(version) = version {
                    set(
                        &mut res,
                        "openstack-api-version",
                        &format!("compute {version}"),
                    );
                    set(
                        &mut res,
                        "x-openstack-nova-api-version",
                        &version.to_string(),
                    );
                    set(
                        &mut res,
                        "vary",
                        "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
                    );
                }
                log(&method, &path, &request_id, &res);
                Ok(res)
            }
        })
}

/// An error response actix-web made itself (an extractor's: a body over the 1 MiB limit,
/// a path that does not decode) gets Nova's fault body like every handler error; a
/// handler's [`ApiFault`] and successes pass unchanged. Found by tests/fuzz_api_bodies.rs:
/// a 1.2 MiB body got a bare 413.
fn nova_fault_body<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody> {
    let foreign = res
        .response()
        .error()
        .filter(|error| error.as_error::<ApiFault>().is_none())
        .map(|error| (error.as_response_error().status_code(), error.to_string()));
    match foreign {
        Some((status, detail)) if status.is_client_error() || status.is_server_error() => {
            let fault = match status {
                StatusCode::PAYLOAD_TOO_LARGE => ApiFault::new(
                    status,
                    "Request is too large: the compute API reads bodies of at most 1 MiB.",
                ),
                _ if status.is_server_error() => ApiFault::internal(detail),
                _ => ApiFault::new(status, detail),
            };
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, HttpResponse::from_error(fault))
        }
        _ => res.map_into_boxed_body(),
    }
}

/// The one log line of a request: internal failures at error, caller mistakes at debug on
/// the rejection target, the rest at info.
fn log<B>(
    method: &actix_web::http::Method,
    path: &str,
    request_id: &str,
    res: &ServiceResponse<B>,
) {
    let status = res.status().as_u16();
    let error = res.response().error().map(ToString::to_string);
    if status >= 500 {
        tracing::error!(request_id, %method, path, status, error = error.as_deref().unwrap_or(""), "api request failed");
    } else if status >= 400 {
        tracing::debug!(target: "novactor::rpc::rejection", request_id, %method, path, status, error = error.as_deref().unwrap_or(""), "api request refused");
    } else {
        tracing::info!(request_id, %method, path, status, "api request");
    }
}

/// A route whose other methods get 405 badMethod.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(bad_method))
}

async fn not_found() -> Result<HttpResponse, ApiFault> {
    Err(ApiFault::not_found("The resource could not be found."))
}

async fn bad_method() -> Result<HttpResponse, ApiFault> {
    Err(ApiFault::bad_method(
        "The method specified is not allowed for this resource.",
    ))
}

/// The JSON object of a request body; anything else is 400 with a readable reason.
pub fn json_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiFault> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiFault::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiFault::bad_request(format!(
            "Malformed request body: {e}"
        ))),
    }
}

/// The query string's pairs, in order.
pub fn query(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiFault> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiFault::bad_request(format!("Invalid query string: {e}")))
}

/// The last value of `key` in `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `limit`/`marker` paging over items with ids: items after `marker` (404-free: an unknown
/// marker is 400 as in Nova), at most `limit` (max 1000).
pub fn page<T>(
    items: Vec<T>,
    pairs: &[(String, String)],
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>, ApiFault> {
    let limit = match param(pairs, "limit") {
        None => 1000,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| ApiFault::bad_request(format!("Invalid input for query parameters limit. Value: {text}. '{text}' does not match '^[0-9]*$'")))?
            .min(1000),
    };
    let start = match param(pairs, "marker") {
        None => 0,
        Some(marker) => items
            .iter()
            .position(|item| id(item) == marker)
            .map(|i| i + 1)
            .ok_or_else(|| ApiFault::bad_request(format!("marker [{marker}] not found")))?,
    };
    Ok(items.into_iter().skip(start).take(limit).collect())
}

/// `HttpResponse` 200 with a JSON body.
pub fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// How long a graceful stop may take, for the actor's cleanup.
pub fn shutdown_timeout() -> Duration {
    Duration::from_secs(SHUTDOWN_TIMEOUT)
}
