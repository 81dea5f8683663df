//! `nova-compute` as an actor: the manager, its endpoints and its lifecycle.
//! One actor per host (`CONF.host`); its manager endpoint (6.x) and fake virt driver come with
//! the Nova-flow issue.

pub mod rpcapi;

use std::sync::Arc;

use crate::actors::baserpc::{self, BaseRpc};
use crate::actors::NovaService;
use crate::config::Config;
use crate::service::{define, Endpoint, ServiceDefinition, ServiceManager};

/// Nova `ComputeManager`.
#[derive(Debug, Default)]
pub struct ComputeManager;

impl BaseRpc for ComputeManager {
    fn service_name(&self) -> &'static str {
        "compute"
    }
}

impl ServiceManager for ComputeManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![baserpc::endpoint()]
    }
}

/// The compute service as the supervisor hosts it.
pub fn definition(config: &Config) -> Arc<ServiceDefinition> {
    let spec = NovaService::Compute.spec(config);
    define(spec, |_| ComputeManager)
}
