//! How the supervisor hosts `nova-conductor`: `[conductor] workers` incarnations on one
//! database, each with the scheduler and compute proxies its `compute_task` flows use.

use std::sync::Arc;

use super::manager::ConductorManager;
use super::tasks::TaskDeps;
use crate::conf::NovaConfig;
use crate::db::NovaDb;
use crate::rpcapi::{ComputeApi, SchedulerApi};
use crate::NovaService;
use novactor::service::{define, ServiceDefinition};

/// The conductor service as the supervisor hosts it, on `db`.
pub fn definition(config: &NovaConfig, db: &NovaDb) -> Arc<ServiceDefinition> {
    let mut spec = NovaService::Conductor.spec(config);
    spec.instances = config.conductor.workers;
    let db = db.clone();
    let long_timeout = config.service.long_rpc_timeout;
    let service_down_time = config.service.service_down_time;
    define(spec, move |ctx| {
        ConductorManager::with_tasks(TaskDeps {
            db: db.clone(),
            scheduler: SchedulerApi::new(ctx.rpc_client(SchedulerApi::target())),
            compute: ComputeApi::new(ctx.rpc_client(ComputeApi::target())),
            long_timeout,
            call_monitor_timeout: ctx.config.default.rpc_response_timeout,
            service_down_time,
            host: ctx.spec.host.clone(),
        })
    })
}
