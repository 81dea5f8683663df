//! Type erasure between a concrete manager and the supervisor, which hosts many kinds.

use std::sync::Arc;

use actix_rt::ArbiterHandle;

use super::cell::{CellAddr, CellHandle, PanicSink};
use super::context::ServiceContext;
use super::manager::ServiceManager;
use super::periodic_task::PeriodicTaskInfo;
use super::spec::ServiceSpec;
use crate::rpc::EndpointInfo;

type Spawner =
    dyn Fn(ServiceContext, PanicSink, &ArbiterHandle) -> Arc<dyn CellHandle> + Send + Sync;
type ServiceGroupFactory =
    dyn Fn(&ServiceContext) -> Arc<dyn crate::servicegroup::ServiceGroup> + Send + Sync;

/// A service the supervisor can start again and again: its spec, its endpoints and
/// periodic tasks as data, and how to build a fresh manager for each incarnation.
pub struct ServiceDefinition {
    spec: ServiceSpec,
    pub(crate) endpoints: Vec<EndpointInfo>,
    pub(crate) periodic_tasks: Vec<PeriodicTaskInfo>,
    pub(crate) spawn: Box<Spawner>,
    /// Where this service's heartbeats go when not to the process's servicegroup
    /// (Nova: compute reports through the conductor).
    pub(crate) servicegroup: Option<Box<ServiceGroupFactory>>,
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
    /// This definition, reporting heartbeats through the servicegroup `factory` builds for
    /// each incarnation instead of the process's.
    pub fn reporting_through(
        mut self,
        factory: impl Fn(&ServiceContext) -> Arc<dyn crate::servicegroup::ServiceGroup>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.servicegroup = Some(Box::new(factory));
        self
    }

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
    S: ServiceManager + Send,
    F: Fn(&ServiceContext) -> S + Send + Sync + 'static,
{
    Arc::new(definition(spec, factory))
}

/// [`define`] without the `Arc`, for adding options such as
/// [`ServiceDefinition::reporting_through`] first.
pub fn definition<S, F>(spec: ServiceSpec, factory: F) -> ServiceDefinition
where
    S: ServiceManager + Send,
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
    // The manager is built here, on the supervisor's thread (a factory that panics fails
    // the launch as before), then moved to the arbiter the incarnation was placed on.
    let spawn = move |context: ServiceContext,
                      panics: PanicSink,
                      arbiter: &ArbiterHandle|
          -> Arc<dyn CellHandle> {
        let name = instance_name(&context.spec.name, context.instance, context.spec.instances);
        let manager = factory(&context);
        Arc::new(CellAddr::start_on(arbiter, manager, name, panics))
    };
    ServiceDefinition {
        spec,
        endpoints,
        periodic_tasks,
        spawn: Box::new(spawn),
        servicegroup: None,
    }
}

/// `compute`, or `conductor#1` when an actor has several instances.
pub(crate) fn instance_name(actor: &str, instance: usize, instances: usize) -> String {
    if instances > 1 {
        format!("{actor}#{instance}")
    } else {
        actor.to_owned()
    }
}
