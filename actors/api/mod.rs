//! `nova-api` as an actor. As in Nova, it consumes no RPC topic and keeps no service row;
//! it is supervised like every actor. In this state of novactor it hosts no HTTP server
//! yet — the compute REST API (`osapi_compute`) arrives with the api issue — and its start
//! checks the options that server will use, so a bad value fails now, not later.

pub mod compute_api;

use std::sync::Arc;

use crate::actors::NovaService;
use crate::config::Config;
use crate::service::{define, Endpoint, Response, ServiceDefinition, ServiceManager};

/// The api actor's state.
#[derive(Debug)]
pub struct ApiManager {
    enabled_apis: Vec<String>,
}

impl ServiceManager for ApiManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        Vec::new()
    }

    fn init_host(&mut self) -> Response {
        tracing::info!(enabled_apis = ?self.enabled_apis, "api actor up (REST endpoints are not served yet)");
        Response::done()
    }
}

/// The api service as the supervisor hosts it.
pub fn definition(config: &Config) -> Arc<ServiceDefinition> {
    define(NovaService::Api.spec(config), |ctx| ApiManager {
        enabled_apis: ctx.config.api.enabled_apis.clone(),
    })
}
