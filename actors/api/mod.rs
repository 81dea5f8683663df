//! `nova-api` as an actor. As in Nova, it consumes no RPC topic and keeps no service row;
//! it is supervised like every actor. `init_host` starts the compute REST API
//! (`osapi_compute`, an actix-web server) when `enabled_apis` lists it; `cleanup_host`
//! stops it gracefully.
//!
//! Find a Nova API feature by its file: each resource has its own, `/servers` a folder.
//!
//! ```text
//! mod.rs            the actor: start/stop the server, bound_addr() for tests and tools
//! access.rs         ApiAuth from the configuration: Keystone validator or noauth2, policy file
//!
//! resources (Nova: nova/api/openstack/compute/<file>.py)
//! versions.rs       GET /, GET /v2.1[/]
//! flavors.rs        /flavors
//! servers/          /servers: list, show, create, delete, actions, views (see servers/mod.rs)
//! services.rs       /os-services
//! hypervisors.rs    /os-hypervisors
//! aggregates.rs     /os-aggregates
//! migrations.rs     /os-migrations (2.1, 2.23, 2.59 paging, 2.66, 2.80)
//! server_groups.rs  /os-server-groups
//! keypairs.rs       /os-keypairs (2.2 type, 2.10 user_id, 2.35 paging, 2.92 import only)
//! compute_api.rs    the flow layer (Nova compute/api.py) the handlers call
//! compute_api_actions.rs  its server actions that go to the compute, with Nova's checks
//! compute_api_rebuild.rs  rebuild in place: the checks, the saved fields, the conductor
//! compute_api_shelve.rs   shelve, shelveOffload, unshelve: Nova's checks, the spec's zone/host
//! images.rs         D-IMAGE: the Glance stand-in under /image: list, show, delete
//! image_catalog.rs  the catalog as the flows use it: bootable images, instance images
//! compute_api_snapshot.rs createImage, createBackup (the queued image, the task state,
//!                   the compute's cast) and injectNetworkInfo
//! compute_api_evacuate.rs evacuate: the down source, the migration record, the conductor
//! compute_api_local.rs    its server actions the API does itself: lock, reset, password
//! compute_api_create.rs   its create: rows, tags, group, port, request specs, the cast
//! compute_api_deferred_delete.rs  soft delete on DELETE, restore, forceDelete
//! compute_api_live_migrate.rs  live migration: the checks, the conductor cast,
//!                   force-complete and abort to the source compute
//! instance_state_checks.rs Nova's check_instance_state and its 409 texts
//! server_group_api.rs  server groups in the create flow: the hinted group, the member quota
//! keypair_api.rs    Nova KeypairAPI: import, generate, quota, delete; a boot's key pair
//! keypair_crypto.rs key material as nova/crypto.py: SSH/X.509 fingerprints, RSA generation
//! keypair_x509.rs   a generated x509 key pair: Nova's WinRM certificate and its PKCS#12
//! injected_file_quota.rs  _check_injected_file_quota: personality files' count and sizes (403)
//!
//! serving HTTP
//! http_server.rs    bind, run and stop the actix-web server
//! router.rs         the route table: path + method -> handler, 404 / 405
//! project_prefix.rs the legacy /v2.1/{project_id}/… prefix, stripped before routing
//! middleware.rs     request id, version headers, fault bodies, the log line of a request
//! api_state.rs      ApiState: runs handlers' database and RPC work on the actor's runtime
//! http.rs           what handlers share: JSON body, query string, paging, base URL, 200 reply
//! auth.rs           Ctx extractor: the caller (noauth2 + D-AUTH, or Keystone), policy checks
//! policy/           Nova's policy rules: defaults, policy.yaml, the check language
//! microversion.rs   version parsing and negotiation (2.1 … 2.53)
//! api_fault.rs      ApiFault: Nova's error bodies via ResponseError
//! ```

pub mod access;
pub mod aggregates;
pub mod api_fault;
pub mod api_state;
pub mod auth;
pub mod compute_api;
pub mod compute_api_actions;
pub mod compute_api_create;
pub mod compute_api_deferred_delete;
pub mod compute_api_evacuate;
pub mod compute_api_live_migrate;
pub mod compute_api_local;
pub mod compute_api_rebuild;
pub mod compute_api_resize;
pub mod compute_api_shelve;
pub mod compute_api_snapshot;
pub mod exposure;
pub mod flavors;
pub mod http;
pub mod http_server;
pub mod hypervisors;
pub mod image_catalog;
pub mod images;
pub mod injected_file_quota;
pub mod instance_state_checks;
pub mod keypair_api;
pub mod keypair_crypto;
pub mod keypair_x509;
pub mod keypairs;
pub mod microversion;
pub mod middleware;
pub mod migrations;
pub mod policy;
pub mod project_prefix;
pub mod router;
pub mod server_group_api;
pub mod server_groups;
pub mod servers;
pub mod services;
pub mod versions;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::ServerHandle;

use crate::conf::NovaConfig;
use crate::db::NovaDb;
use crate::rpcapi::ComputeApi;
use crate::rpcapi::{ComputeTaskApi, ConductorApi};
use crate::NovaService;
use auth::ApiAuth;
use compute_api::ComputeApiDeps;
use novactor::rpc::RemoteFailure;
use novactor::service::{define, Endpoint, Response, ServiceDefinition, ServiceManager};

/// Where each host's compute API listens, by `[DEFAULT] host` (several nodes may share a
/// process in tests).
static BOUND: Mutex<Option<HashMap<String, SocketAddr>>> = Mutex::new(None);

/// The address the compute API of the api actor of `host` is bound to, once it serves.
/// With `osapi_compute_listen_port = 0` this is how a caller learns the picked port (the
/// actor also logs `api listening on http://ADDR`).
pub fn bound_addr(host: &str) -> Option<SocketAddr> {
    BOUND
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()?
        .get(host)
        .copied()
}

fn record(host: &str, addr: Option<SocketAddr>) {
    let mut bound = BOUND.lock().unwrap_or_else(PoisonError::into_inner);
    let map = bound.get_or_insert_with(HashMap::new);
    match addr {
        Some(addr) => map.insert(host.to_owned(), addr),
        None => map.remove(host),
    };
}

/// The api actor's state.
#[derive(Debug)]
pub struct ApiManager {
    host: String,
    enabled_apis: Vec<String>,
    listen: String,
    port: u16,
    workers: usize,
    /// `[api] max_limit`.
    max_limit: usize,
    auth: ApiAuth,
    deps: ComputeApiDeps,
    server: Option<ServerHandle>,
}

impl ApiManager {
    fn start_server(&mut self) -> Result<(), RemoteFailure> {
        let mut compute = false;
        for api in &self.enabled_apis {
            match api.as_str() {
                "osapi_compute" => compute = true,
                "metadata" => {
                    tracing::warn!("enabled_apis: the metadata API is not implemented; ignoring it")
                }
                other => tracing::warn!(api = other, "enabled_apis: unknown API; ignoring it"),
            }
        }
        if !compute {
            return Err(RemoteFailure::value_error(format!(
                "no API to serve: [DEFAULT] enabled_apis = {:?} does not list osapi_compute (the only API novactor implements)",
                self.enabled_apis.join(",")
            )));
        }
        if let Some(old) = self.server.take() {
            // A restarted incarnation: the previous server must not hold the port.
            drop(old.stop(false));
        }
        let running = http_server::start(
            &self.listen,
            self.port,
            self.workers,
            self.max_limit,
            self.deps.clone(),
            self.auth.clone(),
        )
        .map_err(RemoteFailure::runtime_error)?;
        for addr in &running.addrs {
            tracing::info!(workers = self.workers, "api listening on http://{addr}");
        }
        record(&self.host, running.addrs.first().copied());
        self.server = Some(running.handle);
        Ok(())
    }
}

impl ServiceManager for ApiManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        Vec::new()
    }

    /// Starts the HTTP server; a bind failure or no API to serve fails the start.
    fn init_host(&mut self) -> Response {
        match self.start_server() {
            Ok(()) => Response::done(),
            Err(failure) => Response::err(failure),
        }
    }

    /// Stops the server gracefully: no new connections, in-flight requests finish (up to
    /// `http_server::shutdown_timeout()`).
    fn cleanup_host(&mut self) -> Response {
        record(&self.host, None);
        match self.server.take() {
            Some(handle) => Response::later(async move {
                handle.stop(true).await;
                tracing::info!("api stopped listening");
                Ok(serde_json::Value::Null)
            }),
            None => Response::done(),
        }
    }
}

/// The api service as the supervisor hosts it, on `db`; fails when its access control
/// (`[keystone_authtoken]`, `[oslo_policy] policy_file`) cannot be set up.
pub fn definition(
    config: &NovaConfig,
    db: &NovaDb,
) -> Result<Arc<ServiceDefinition>, access::AccessError> {
    let (auth, warnings) = access::api_auth(&config.api)?;
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let db = db.clone();
    let api = config.api.clone();
    let service_down_time = config.service.service_down_time;
    let service_zones = config.compute.service_zones();
    let lab_network = config.lab_network.clone();
    let reclaim_instance_interval = config.compute.reclaim_instance_interval;
    let allow_resize_to_same_host = config.compute.allow_resize_to_same_host;
    Ok(define(NovaService::Api.spec(config), move |ctx| {
        ApiManager {
            host: ctx.spec.host.clone(),
            enabled_apis: api.enabled_apis.clone(),
            listen: api.osapi_compute_listen.clone(),
            port: api.osapi_compute_listen_port,
            workers: api.osapi_compute_workers,
            max_limit: api.max_limit,
            auth: auth.clone(),
            deps: ComputeApiDeps {
                db: db.clone(),
                compute_task: ComputeTaskApi::new(ctx.rpc_client(ConductorApi::target())),
                compute: ComputeApi::new(ctx.rpc_client(ComputeApi::target())),
                service_down_time,
                service_zones: service_zones.clone(),
                lab_network: lab_network.clone(),
                reclaim_instance_interval,
                key_pairs_quota: api.key_pairs_quota,
                injected_file_quota: api.injected_file_quota,
                allow_resize_to_same_host,
            },
            server: None,
        }
    }))
}
