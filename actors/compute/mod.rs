//! `nova-compute` as an actor: the manager's RPC endpoint and periodic tasks, and its
//! lifecycle. One actor per host (`CONF.host`, or `[compute] fake_hosts` of them).
//!
//! ```text
//! mod.rs                ComputeManager: endpoints (null namespace 6.5 + baseapi), periodic
//!                       tasks, hooks (wait for the conductor and settle interrupted
//!                       instances, first resource audit)
//! manager.rs            ComputeHost: the flows (build, terminate, stop/start, reboot, syncs,
//!                       init_host's settling of what a killed compute left mid-operation)
//! resource_tracker.rs   the compute_nodes row and usage, claims
//! fake_driver.rs        the in-memory hypervisor (nova/virt/fake.py) with fault injection
//! conductor_objects.rs  every DB read/write, as object calls through the conductor
//! instance_locks.rs     Nova's per-instance lock
//! servicegroup.rs       heartbeats through the conductor
//! rpcapi.rs             the client side other services use
//! ```
//!
//! Handlers parse their arguments at once (a malformed instance is a `ValueError`) and
//! return the operation as a [`Response::later`] future: the actor takes its next message
//! while a build spawns, as Nova returns its RPC worker at once.

mod conductor_objects;
pub mod fake_driver;
mod instance_locks;
pub mod manager;
pub mod resource_tracker;
pub mod rpcapi;
pub mod servicegroup;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::baserpc::{self, BaseRpc};
use crate::conductor::rpcapi::{wait_until_ready, ComputeTaskApi, ConductorApi};
use crate::conf::NovaConfig;
use crate::objects::NovaObject;
use crate::scheduler::rpcapi::SchedulerApi;
use crate::NovaService;
use novactor::rpc::{FailureClass, RemoteFailure, RequestContext};
use novactor::service::{
    definition as service_definition, Call, Endpoint, PeriodicTask, Response, ServiceContext,
    ServiceDefinition, ServiceManager, Spacing,
};

pub use self::conductor_objects::{ConductorObjects, Expected, ObjectCallError};
use self::fake_driver::{FakeDriver, FakeDriverSettings, FakeHypervisor};
pub use self::manager::MANAGER_VERSION;
use self::manager::{instance_from, BuildRequest, ComputeHost, ComputeHostParts};
use self::resource_tracker::ResourceTracker;
use self::servicegroup::ConductorServiceGroup;

/// Nova `ComputeManager`. Without database access: everything it reads or writes goes
/// through the conductor.
#[derive(Debug)]
pub struct ComputeManager {
    conductor: ConductorApi,
    rpc_timeout: Duration,
    compute: Arc<ComputeHost>,
}

fn conductor_api(ctx: &ServiceContext) -> ConductorApi {
    ConductorApi::new(ctx.rpc_client(ConductorApi::target()))
}

impl BaseRpc for ComputeManager {
    fn service_name(&self) -> &'static str {
        "compute"
    }
}

/// A handler's parse step failed: the failure the caller gets.
fn parse<T>(parsed: Result<T, RemoteFailure>, run: impl FnOnce(T) -> Response) -> Response {
    match parsed {
        Ok(value) => run(value),
        Err(failure) => Response::err(failure),
    }
}

fn map_arg(call: &Call, name: &str) -> Result<Map<String, Value>, RemoteFailure> {
    Ok(call
        .opt_arg::<Map<String, Value>>(name)?
        .unwrap_or_default())
}

impl ComputeManager {
    /// `build_and_run_instance(instance, image, request_spec, filter_properties,
    /// admin_password, injected_files, requested_networks, security_groups,
    /// block_device_mapping, node, limits, host_list, accel_uuids)` (cast).
    fn build_and_run_instance(&mut self, call: Call) -> Response {
        let parsed = (|| {
            let instance = instance_from(&call.arg::<Value>("instance")?)?;
            let request = BuildRequest {
                request_spec: call
                    .opt_arg::<Value>("request_spec")?
                    .unwrap_or(Value::Null),
                filter_properties: map_arg(&call, "filter_properties")?,
                limits: map_arg(&call, "limits")?,
                host_list: call.opt_arg::<Vec<Value>>("host_list")?.unwrap_or_default(),
            };
            Ok((instance, request))
        })();
        parse(parsed, |(instance, request)| {
            let compute = Arc::clone(&self.compute);
            let ctx = call.context;
            Response::later(async move {
                compute
                    .build_and_run_instance(&ctx, instance, request)
                    .await;
                Ok(Value::Null)
            })
        })
    }

    /// `terminate_instance(instance, bdms)` (cast).
    fn terminate_instance(&mut self, call: Call) -> Response {
        parse(instance_from_call(&call), |instance| {
            let compute = Arc::clone(&self.compute);
            let ctx = call.context;
            Response::later(async move {
                compute.terminate_instance(&ctx, instance).await?;
                Ok(Value::Null)
            })
        })
    }

    /// `stop_instance(instance, clean_shutdown)` (cast, or call with `do_cast=False`).
    fn stop_instance(&mut self, call: Call) -> Response {
        parse(instance_from_call(&call), |instance| {
            let compute = Arc::clone(&self.compute);
            let ctx = call.context;
            Response::later(async move {
                compute.stop_instance(&ctx, instance).await?;
                Ok(Value::Null)
            })
        })
    }

    /// `start_instance(instance)` (cast).
    fn start_instance(&mut self, call: Call) -> Response {
        parse(instance_from_call(&call), |instance| {
            let compute = Arc::clone(&self.compute);
            let ctx = call.context;
            Response::later(async move {
                compute.start_instance(&ctx, instance).await?;
                Ok(Value::Null)
            })
        })
    }

    /// `reboot_instance(instance, block_device_info, reboot_type)` (cast).
    fn reboot_instance(&mut self, call: Call) -> Response {
        let parsed = (|| {
            Ok((
                instance_from_call(&call)?,
                call.arg::<String>("reboot_type")?,
            ))
        })();
        parse(parsed, |(instance, reboot_type)| {
            let compute = Arc::clone(&self.compute);
            let ctx = call.context;
            Response::later(async move {
                compute
                    .reboot_instance(&ctx, instance, &reboot_type)
                    .await?;
                Ok(Value::Null)
            })
        })
    }

    /// `get_host_uptime()` (call).
    fn get_host_uptime(&mut self, _call: Call) -> Response {
        Response::ok(self.compute.driver.get_host_uptime())
    }

    /// Periodic `update_available_resource`.
    fn update_available_resource(&mut self, call: Call) -> Response {
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            compute
                .tracker
                .update_available_resource(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_sync_power_states`.
    fn sync_power_states(&mut self, call: Call) -> Response {
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            compute
                .sync_power_states(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_sync_scheduler_instance_info`.
    fn sync_scheduler_instance_info(&mut self, call: Call) -> Response {
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            compute.sync_scheduler_instance_info(&call.context).await?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_check_instance_build_time`.
    fn check_instance_build_time(&mut self, call: Call) -> Response {
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            compute
                .check_instance_build_time(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}

fn instance_from_call(call: &Call) -> Result<NovaObject, RemoteFailure> {
    instance_from(&call.arg::<Value>("instance")?)
}

/// Nova `ComputeManager.start_instance` and `reboot_instance`:
/// `@messaging.expected_exceptions(exception.VTPMSecretForbidden)`.
const VTPM_SECRET_FORBIDDEN: &[FailureClass] = &[crate::exception::expected(
    crate::exception::class::VTPM_SECRET_FORBIDDEN,
)];

impl ServiceManager for ComputeManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new(None, MANAGER_VERSION)
                .method("build_and_run_instance", Self::build_and_run_instance)
                .method("terminate_instance", Self::terminate_instance)
                .method("stop_instance", Self::stop_instance)
                .method("start_instance", Self::start_instance)
                .expected_exceptions(VTPM_SECRET_FORBIDDEN)
                .method("reboot_instance", Self::reboot_instance)
                .expected_exceptions(VTPM_SECRET_FORBIDDEN)
                .method("get_host_uptime", Self::get_host_uptime),
            baserpc::endpoint(),
        ]
    }

    fn periodic_tasks() -> Vec<PeriodicTask<Self>> {
        vec![
            PeriodicTask::new(
                "update_available_resource",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "update_resources_interval",
                    default: 0.0,
                },
                Self::update_available_resource,
            ),
            PeriodicTask::new(
                "_sync_power_states",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "sync_power_state_interval",
                    default: 600.0,
                },
                Self::sync_power_states,
            )
            .run_immediately(),
            PeriodicTask::new(
                "_sync_scheduler_instance_info",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "scheduler_instance_sync_interval",
                    default: 120.0,
                },
                Self::sync_scheduler_instance_info,
            ),
            // Nova's decorator has no spacing: oslo's default, 60 s.
            PeriodicTask::new(
                "_check_instance_build_time",
                Spacing::Seconds(60.0),
                Self::check_instance_build_time,
            ),
        ]
    }

    /// Nova's compute waits for the conductor before it serves (`wait_until_ready`), then
    /// settles the instances a killed predecessor left mid-operation
    /// ([`ComputeHost::init_host`]: builds to ERROR, deletes finished, reboots, stops and
    /// starts retried) — all before the RPC consumers start. Only failing to list the
    /// host's instances fails the start.
    fn init_host(&mut self) -> Response {
        let conductor = self.conductor.clone();
        let timeout = self.rpc_timeout;
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            let ctx = RequestContext::new();
            wait_until_ready(&conductor, &ctx, timeout).await;
            compute.init_host(&ctx).await.map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Nova `pre_start_hook`: the first resource audit, so the node exists before any
    /// build arrives. A failure fails the start (the supervisor retries it).
    fn pre_start_hook(&mut self) -> Response {
        let compute = Arc::clone(&self.compute);
        Response::later(async move {
            compute
                .tracker
                .update_available_resource(&RequestContext::new())
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}

/// The compute service as the supervisor hosts it.
pub fn definition(config: &NovaConfig) -> Arc<ServiceDefinition> {
    host_definition(NovaService::Compute.spec(config), config)
}

/// Every compute this process hosts: one, or `[compute] fake_hosts` of them named
/// `compute-<n>` on hosts `<host>-<n>`, each with its own queues, heartbeat, node and
/// hypervisor.
pub fn definitions(config: &NovaConfig) -> Vec<Arc<ServiceDefinition>> {
    let count = config.compute.fake_hosts.max(1);
    if count == 1 {
        return vec![definition(config)];
    }
    (1..=count)
        .map(|n| {
            let mut spec = NovaService::Compute.spec(config);
            spec.name = format!("compute-{n}");
            spec.host = format!("{}-{n}", config.host());
            host_definition(spec, config)
        })
        .collect()
}

fn host_definition(
    spec: novactor::service::ServiceSpec,
    config: &NovaConfig,
) -> Arc<ServiceDefinition> {
    // The guests outlive an incarnation of the actor, as VMs outlive a nova-compute restart.
    let hypervisor = Arc::new(FakeHypervisor::default());
    let config = config.clone();
    let definition = service_definition(spec, move |ctx| {
        manager_for(ctx, &config, Arc::clone(&hypervisor))
    })
    .reporting_through(|ctx| Arc::new(ConductorServiceGroup::new(conductor_api(ctx))));
    Arc::new(definition)
}

fn manager_for(
    ctx: &ServiceContext,
    config: &NovaConfig,
    hypervisor: Arc<FakeHypervisor>,
) -> ComputeManager {
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
    let tracker = ResourceTracker::new(&host, driver.clone(), objects.clone(), &config.compute);
    let compute = ComputeHost::new(ComputeHostParts {
        host,
        driver,
        tracker,
        objects,
        compute_task: ComputeTaskApi::new(ctx.rpc_client(ConductorApi::target())),
        scheduler: SchedulerApi::new(ctx.rpc_client(SchedulerApi::target())),
        track_instance_changes: config.scheduler.track_instance_changes,
        instance_build_timeout: config.compute.instance_build_timeout,
    });
    ComputeManager {
        conductor,
        rpc_timeout: ctx.config.default.rpc_response_timeout,
        compute: Arc::new(compute),
    }
}
