//! How the supervisor hosts `nova-compute`: one definition per host this process runs
//! (`CONF.host`, or `[compute] fake_hosts` of them), each incarnation assembled from the
//! configuration — fake driver settings, resource tracker, conductor object calls, the
//! proxies — into a [`ComputeManager`] over its [`ComputeFlows`], reporting its heartbeats
//! through the conductor.

use std::sync::Arc;

use super::conductor_objects::ConductorObjects;
use super::fake_driver::{self, FakeDriver, FakeDriverSettings, FakeHypervisor};
use super::flows::{ComputeFlows, FlowParts};
use super::manager::ComputeManager;
use super::node_identity::NodeIdentity;
use super::placement_report::PlacementReport;
use super::resource_tracker::ResourceTracker;
use super::servicegroup::{ConductorServiceGroup, ServiceIdCell};
use crate::conf::NovaConfig;
use crate::placement::{NodeReserved, PlacementError, ReportClient};
use crate::rpcapi::{ComputeApi, ComputeTaskApi, ConductorApi, SchedulerApi};
use crate::NovaService;
use novactor::service::{
    definition as service_definition, ServiceContext, ServiceDefinition, ServiceSpec,
};

fn conductor_api(ctx: &ServiceContext) -> ConductorApi {
    ConductorApi::new(ctx.rpc_client(ConductorApi::target()))
}

/// The compute service as the supervisor hosts it, reporting its node to `placement`.
pub fn definition(config: &NovaConfig, placement: Option<ReportClient>) -> Arc<ServiceDefinition> {
    host_definition(NovaService::Compute.spec(config), config, placement)
}

/// Every compute this process hosts: one, or `[compute] fake_hosts` of them named
/// `compute-<n>` on hosts `<host>-<n>`, each with its own queues, heartbeat, node and
/// hypervisor — and, with `[placement]` configured, one placement client (one connection
/// pool) they all report through.
pub fn definitions(config: &NovaConfig) -> Result<Vec<Arc<ServiceDefinition>>, PlacementError> {
    let placement = ReportClient::from_config(config)?;
    let count = config.compute.fake_hosts.max(1);
    if count == 1 {
        return Ok(vec![definition(config, placement)]);
    }
    Ok((1..=count)
        .map(|n| {
            let mut spec = NovaService::Compute.spec(config);
            spec.name = format!("compute-{n}");
            spec.host = format!("{}-{n}", config.host());
            host_definition(spec, config, placement.clone())
        })
        .collect())
}

fn host_definition(
    spec: ServiceSpec,
    config: &NovaConfig,
    placement: Option<ReportClient>,
) -> Arc<ServiceDefinition> {
    let hypervisor = Arc::new(FakeHypervisor::default());
    let config = config.clone();
    let service_id = ServiceIdCell::default();
    let heartbeat_service_id = Arc::clone(&service_id);
    let definition = service_definition(spec, move |ctx| {
        let parts = HostParts {
            hypervisor: Arc::clone(&hypervisor),
            placement: placement.clone(),
            service_id: Arc::clone(&service_id),
        };
        manager_for(ctx, &config, parts)
    })
    .reporting_through(move |ctx| {
        Arc::new(ConductorServiceGroup::new(
            conductor_api(ctx),
            Arc::clone(&heartbeat_service_id),
        ))
    });
    Arc::new(definition)
}

/// What every incarnation of one host shares.
struct HostParts {
    /// The guests outlive an incarnation of the actor, as VMs outlive a nova-compute restart.
    hypervisor: Arc<FakeHypervisor>,
    placement: Option<ReportClient>,
    /// Filled by the heartbeat, read by the resource tracker.
    service_id: ServiceIdCell,
}

fn manager_for(ctx: &ServiceContext, config: &NovaConfig, parts: HostParts) -> ComputeManager {
    let HostParts {
        hypervisor,
        placement,
        service_id,
    } = parts;
    let host = ctx.spec.host.clone();
    let conf = &config.fake_driver;
    let mut settings = FakeDriverSettings::from_conf(conf);
    // A bad test knob must not keep the compute down: run without that injection.
    settings.fail_spawn =
        fake_driver::spawn_pattern("fail_spawn_pattern", conf.fail_spawn_pattern.as_deref())
            .unwrap_or_else(|error| {
                tracing::error!(%error, "spawn fault injection disabled");
                None
            });
    settings.panic_spawn =
        fake_driver::spawn_pattern("panic_spawn_pattern", conf.panic_spawn_pattern.as_deref())
            .unwrap_or_else(|error| {
                tracing::error!(%error, "spawn panic injection disabled");
                None
            });
    let driver = FakeDriver::new(&host, settings, hypervisor);
    let conductor = conductor_api(ctx);
    let objects = ConductorObjects::new(conductor.clone());
    let identity = NodeIdentity::of_host(&config.service.state_path, &host);
    let tracker = ResourceTracker::new(
        &host,
        identity,
        &config.service.my_ip,
        driver.clone(),
        objects.clone(),
        &config.compute,
    )
    .with_service_id(service_id)
    .with_placement(placement.map(|client| {
        let reserved = NodeReserved {
            cpus: config.compute.reserved_host_cpus,
            memory_mb: config.compute.reserved_host_memory_mb,
            disk_mb: config.compute.reserved_host_disk_mb,
        };
        PlacementReport::new(client, reserved)
    }));
    let flows = ComputeFlows::new(FlowParts {
        host,
        driver,
        tracker,
        objects,
        compute_task: ComputeTaskApi::new(ctx.rpc_client(ConductorApi::target())),
        scheduler: SchedulerApi::new(ctx.rpc_client(SchedulerApi::target())),
        compute: ComputeApi::new(ctx.rpc_client(ComputeApi::target())),
        track_instance_changes: config.scheduler.track_instance_changes,
        instance_build_timeout: config.compute.instance_build_timeout,
        reclaim_instance_interval: config.compute.reclaim_instance_interval,
        shelved_offload_time: config.compute.shelved_offload_time,
        allow_resize_to_same_host: config.compute.allow_resize_to_same_host,
        resize_confirm_window: config.compute.resize_confirm_window,
    });
    ComputeManager::new(
        conductor,
        ctx.config.default.rpc_response_timeout,
        Arc::new(flows),
    )
}
