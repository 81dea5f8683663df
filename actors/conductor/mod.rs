//! `nova-conductor` as an actor: the manager, its endpoints and its lifecycle.
//! Its manager endpoints (namespace None 3.0: `object_action`, …; `compute_task` 1.x) come with
//! the database and Nova-flow issues.

pub mod rpcapi;

use std::sync::Arc;

use crate::actors::baserpc::{self, BaseRpc};
use crate::actors::NovaService;
use crate::config::Config;
use crate::service::{define, Endpoint, ServiceDefinition, ServiceManager};

/// Nova `ConductorManager`.
#[derive(Debug, Default)]
pub struct ConductorManager;

impl BaseRpc for ConductorManager {
    fn service_name(&self) -> &'static str {
        "conductor"
    }
}

impl ServiceManager for ConductorManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![baserpc::endpoint()]
    }
}

/// The conductor service as the supervisor hosts it.
pub fn definition(config: &Config) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Conductor.spec(config);
    spec.instances = config.conductor.workers;
    define(spec, |_| ConductorManager)
}
