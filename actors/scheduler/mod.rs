//! `nova-scheduler` as an actor: the manager, its endpoints and its lifecycle.
//! Its manager endpoint (4.x: `select_destinations`, the instance-info fanouts) comes with the
//! Nova-flow issue.

pub mod rpcapi;

use std::sync::Arc;

use crate::actors::baserpc::{self, BaseRpc};
use crate::actors::NovaService;
use crate::config::Config;
use crate::service::{define, Endpoint, ServiceDefinition, ServiceManager};

/// Nova `SchedulerManager`.
#[derive(Debug, Default)]
pub struct SchedulerManager;

impl BaseRpc for SchedulerManager {
    fn service_name(&self) -> &'static str {
        "scheduler"
    }
}

impl ServiceManager for SchedulerManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![baserpc::endpoint()]
    }
}

/// The scheduler service as the supervisor hosts it.
pub fn definition(config: &Config, _db: &crate::actors::db::NovaDb) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Scheduler.spec(config);
    spec.instances = config.scheduler.workers;
    define(spec, |_| SchedulerManager)
}
