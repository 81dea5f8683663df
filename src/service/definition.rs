//! Type erasure between a concrete manager and the supervisor, which hosts many kinds.

use std::sync::Arc;

use super::cell::{CellAddr, CellHandle, PanicSink, ServiceCell};
use super::periodic_task::PeriodicTaskInfo;
use super::{ServiceContext, ServiceManager, ServiceSpec};
use crate::rpc::EndpointInfo;

type Spawner = dyn Fn(ServiceContext, PanicSink) -> Arc<dyn CellHandle> + Send + Sync;

/// A service the supervisor can start again and again: its spec, its endpoints and
/// periodic tasks as data, and how to build a fresh manager for each incarnation.
pub struct ServiceDefinition {
    spec: ServiceSpec,
    pub(crate) endpoints: Vec<EndpointInfo>,
    pub(crate) periodic_tasks: Vec<PeriodicTaskInfo>,
    pub(crate) spawn: Box<Spawner>,
}

impl std::fmt::Debug for ServiceDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceDefinition")
            .field("spec", &self.spec)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl ServiceDefinition {
    /// Its spec.
    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }

    /// Its RPC endpoints, in dispatch order.
    pub fn endpoints(&self) -> &[EndpointInfo] {
        &self.endpoints
    }
}

/// Define a service: `factory` builds a fresh manager for each incarnation.
pub fn define<S, F>(spec: ServiceSpec, factory: F) -> Arc<ServiceDefinition>
where
    S: ServiceManager,
    F: Fn(&ServiceContext) -> S + Send + Sync + 'static,
{
    let endpoints = S::endpoints()
        .iter()
        .map(|endpoint| EndpointInfo {
            namespace: endpoint.namespace.map(str::to_owned),
            version: endpoint.version,
            methods: endpoint.methods.iter().map(|m| m.name.to_owned()).collect(),
            ack_after_handling: endpoint
                .methods
                .iter()
                .filter(|m| m.at_least_once || spec.at_least_once)
                .map(|m| m.name.to_owned())
                .collect(),
        })
        .collect();
    let periodic_tasks = S::periodic_tasks()
        .iter()
        .map(PeriodicTaskInfo::from)
        .collect();
    let spawn = move |context: ServiceContext, panics: PanicSink| -> Arc<dyn CellHandle> {
        let name = instance_name(&context.spec.name, context.instance, context.spec.instances);
        let manager = factory(&context);
        Arc::new(CellAddr::start(ServiceCell::new(manager, name, panics)))
    };
    Arc::new(ServiceDefinition {
        spec,
        endpoints,
        periodic_tasks,
        spawn: Box::new(spawn),
    })
}

/// `compute`, or `conductor#1` when an actor has several instances.
pub(crate) fn instance_name(actor: &str, instance: usize, instances: usize) -> String {
    if instances > 1 {
        format!("{actor}#{instance}")
    } else {
        actor.to_owned()
    }
}
