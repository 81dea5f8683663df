//! `nova-compute` as an actor: the manager, its endpoints and its lifecycle.
//! One actor per host (`CONF.host`); its manager endpoint (6.x) and fake virt driver come with
//! the Nova-flow issue.

pub mod rpcapi;
pub mod servicegroup;

use std::sync::Arc;

use std::time::Duration;

use crate::actors::baserpc::{self, BaseRpc};
use crate::actors::conductor::rpcapi::{wait_until_ready, ConductorApi};
use crate::actors::NovaService;
use crate::config::Config;
use crate::rpc::RequestContext;
use crate::service::{
    definition as service_definition, Endpoint, Response, ServiceContext, ServiceDefinition,
    ServiceManager,
};

use self::servicegroup::ConductorServiceGroup;

/// Nova `ComputeManager`. Without database access: everything it reads or writes goes
/// through the conductor.
#[derive(Debug)]
pub struct ComputeManager {
    conductor: ConductorApi,
    rpc_timeout: Duration,
}

fn conductor_api(ctx: &ServiceContext) -> ConductorApi {
    ConductorApi::new(ctx.rpc_client(ConductorApi::target()))
}

impl BaseRpc for ComputeManager {
    fn service_name(&self) -> &'static str {
        "compute"
    }
}

impl ServiceManager for ComputeManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![baserpc::endpoint()]
    }

    /// Nova's compute waits for the conductor before it serves (`wait_until_ready`).
    fn init_host(&mut self) -> Response {
        let conductor = self.conductor.clone();
        let timeout = self.rpc_timeout;
        Response::later(async move {
            wait_until_ready(&conductor, &RequestContext::new(), timeout).await;
            Ok(serde_json::Value::Null)
        })
    }
}

/// The compute service as the supervisor hosts it.
pub fn definition(config: &Config) -> Arc<ServiceDefinition> {
    host_definition(config, NovaService::Compute.spec(config))
}

/// Every compute this process hosts: one, or `[compute] fake_hosts` of them named
/// `compute-<n>` on hosts `<host>-<n>`, each with its own queues and heartbeat.
pub fn definitions(config: &Config) -> Vec<Arc<ServiceDefinition>> {
    let count = config.integer("compute", "fake_hosts").unwrap_or(1).max(1);
    if count == 1 {
        return vec![definition(config)];
    }
    (1..=count)
        .map(|n| {
            let mut spec = NovaService::Compute.spec(config);
            spec.name = format!("compute-{n}");
            spec.host = format!("{}-{n}", config.default.host);
            host_definition(config, spec)
        })
        .collect()
}

fn host_definition(_config: &Config, spec: crate::service::ServiceSpec) -> Arc<ServiceDefinition> {
    let definition = service_definition(spec, |ctx| ComputeManager {
        conductor: conductor_api(ctx),
        rpc_timeout: ctx.config.default.rpc_response_timeout,
    })
    .reporting_through(|ctx| Arc::new(ConductorServiceGroup::new(conductor_api(ctx))));
    Arc::new(definition)
}
