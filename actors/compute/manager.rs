//! `nova-compute`'s RPC face: [`ComputeManager`], the state the runtime's actor holds — the
//! endpoints (null namespace 6.5 + baseapi), one handler per method, the periodic-task
//! table and the lifecycle hooks (wait for the conductor and settle interrupted instances;
//! the first resource audit). The work itself is [`ComputeFlows`]'.
//!
//! Handlers decode their arguments at once (the method's struct in `rpcapi/compute.rs`; a
//! malformed instance is a `ValueError`) and return the operation as a [`Response::later`]
//! future: the actor takes its next message while a build spawns, as Nova returns its RPC
//! worker at once.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::flows::ComputeFlows;
use super::instance_build::BuildRequest;
use crate::exception::NovaException;
use crate::rpcapi::baseapi::{self, BaseRpc};
use crate::rpcapi::compute::{
    instance_from, BuildAndRunInstance, GetDiagnostics, GetHostUptime, GetInstanceDiagnostics,
    RebootInstance, StartInstance, StopInstance, TerminateInstance,
};
use crate::rpcapi::compute_deferred_delete::{RestoreInstance, SoftDeleteInstance};
use crate::rpcapi::compute_instance_ops::{
    GetConsoleOutput, PauseInstance, RescueInstance, ResumeInstance, SetAdminPassword,
    SuspendInstance, TriggerCrashDump, UnpauseInstance, UnrescueInstance,
};
use crate::rpcapi::compute_live_migration::{
    CheckCanLiveMigrateDestination, CheckCanLiveMigrateSource, LiveMigration, LiveMigrationAbort,
    LiveMigrationForceComplete, PostLiveMigrationAtDestination, PreLiveMigration,
    RollbackLiveMigrationAtDestination,
};
use crate::rpcapi::compute_rebuild::RebuildInstance;
use crate::rpcapi::compute_resize::{
    ConfirmResize, FinishResize, FinishRevertResize, PrepResize, ResizeInstance, RevertResize,
};
use crate::rpcapi::compute_shelve::{ShelveInstance, ShelveOffloadInstance, UnshelveInstance};
use crate::rpcapi::compute_snapshot::{BackupInstance, InjectNetworkInfo, SnapshotInstance};
use crate::rpcapi::{wait_until_ready, ConductorApi, RpcArgs};
use novactor::rpc::{FailureClass, RemoteFailure, RequestContext, Version};
use novactor::service::{Call, Endpoint, PeriodicTask, Response, ServiceManager, Spacing};

/// Nova `ComputeManager.target` (null namespace): 6.5.
pub const MANAGER_VERSION: Version = Version::new(6, 5);

/// Nova `ComputeManager` as the runtime hosts it: what the actor holds between messages.
/// Without database access: everything the flows read or write goes through the conductor.
///
/// Nova's one class is two types here: this one is the RPC face (endpoints, periodic-task
/// table, hooks), named as the conductor's and scheduler's managers are;
/// [`ComputeFlows`] is the work (build, delete, power, reboot, settling, periodic audits),
/// shared with the futures this one returns.
#[derive(Debug)]
pub struct ComputeManager {
    conductor: ConductorApi,
    rpc_timeout: Duration,
    flows: Arc<ComputeFlows>,
}

/// A handler's parse step failed: the failure the caller gets.
fn parse<T>(parsed: Result<T, RemoteFailure>, run: impl FnOnce(T) -> Response) -> Response {
    match parsed {
        Ok(value) => run(value),
        Err(failure) => Response::err(failure),
    }
}

impl BaseRpc for ComputeManager {
    fn service_name(&self) -> &'static str {
        "compute"
    }
}

impl ComputeManager {
    /// The manager of one incarnation: `flows` does the work, `conductor` is waited for at
    /// start (with `rpc_timeout` once the early pings are spent).
    pub(super) fn new(
        conductor: ConductorApi,
        rpc_timeout: Duration,
        flows: Arc<ComputeFlows>,
    ) -> Self {
        Self {
            conductor,
            rpc_timeout,
            flows,
        }
    }

    /// The flows this incarnation's handlers run (`manager_instance_ops.rs` uses them).
    pub(super) fn flows(&self) -> &Arc<ComputeFlows> {
        &self.flows
    }

    /// `build_and_run_instance` (cast). Arguments that cannot be read beside an instance
    /// that can (a peer's malformed `injected_files`, say) fail that build with the
    /// decoding error as its fault, rather than leave it building.
    fn build_and_run_instance(&mut self, call: Call) -> Response {
        let parsed = BuildAndRunInstance::from_call(&call)
            .and_then(|args| {
                let instance = instance_from(&args.instance)?;
                let request = BuildRequest {
                    request_spec: args.request_spec.unwrap_or(Value::Null),
                    filter_properties: args.filter_properties.unwrap_or_default(),
                    limits: args.limits.unwrap_or_default(),
                    host_list: args.host_list.unwrap_or_default(),
                    injected_files: args.injected_files.unwrap_or_default(),
                };
                Ok((instance, Ok(request)))
            })
            .or_else(
                |failure| match call.args.get("instance").map(instance_from) {
                    Some(Ok(instance)) => Ok((instance, Err(failure.message))),
                    _ => Err(failure),
                },
            );
        parse(parsed, |(instance, request)| {
            let flows = Arc::clone(&self.flows);
            let ctx = call.context;
            Response::later(async move {
                let uuid = super::flows::uuid_of(&instance);
                // Nova's event is `_do_build_and_run_instance`'s: a build failure is
                // written to the instance, not raised, so the event succeeds.
                let build = async {
                    flows.build_and_run_instance(&ctx, instance, request).await;
                    Ok::<(), std::convert::Infallible>(())
                };
                let _ = flows
                    .reported(&ctx, &uuid, "compute__do_build_and_run_instance", build)
                    .await;
                Ok(Value::Null)
            })
        })
    }

    /// `terminate_instance` (cast).
    fn terminate_instance(&mut self, call: Call) -> Response {
        let parsed =
            TerminateInstance::from_call(&call).and_then(|args| instance_from(&args.instance));
        parse(parsed, |instance| {
            let flows = Arc::clone(&self.flows);
            let ctx = call.context;
            Response::later(async move {
                let uuid = super::flows::uuid_of(&instance);
                flows
                    .reported(
                        &ctx,
                        &uuid,
                        "compute_terminate_instance",
                        flows.terminate_instance(&ctx, instance),
                    )
                    .await
                    .map_err(|e| e.to_failure())?;
                Ok(Value::Null)
            })
        })
    }

    /// `stop_instance` (cast, or call with `do_cast=False`).
    fn stop_instance(&mut self, call: Call) -> Response {
        let parsed = StopInstance::from_call(&call).and_then(|args| instance_from(&args.instance));
        parse(parsed, |instance| {
            let flows = Arc::clone(&self.flows);
            let ctx = call.context;
            Response::later(async move {
                let uuid = super::flows::uuid_of(&instance);
                flows
                    .reported(
                        &ctx,
                        &uuid,
                        "compute_stop_instance",
                        flows.stop_instance(&ctx, instance),
                    )
                    .await
                    .map_err(|e| e.to_failure())?;
                Ok(Value::Null)
            })
        })
    }

    /// `start_instance` (cast).
    fn start_instance(&mut self, call: Call) -> Response {
        let parsed = StartInstance::from_call(&call).and_then(|args| instance_from(&args.instance));
        parse(parsed, |instance| {
            let flows = Arc::clone(&self.flows);
            let ctx = call.context;
            Response::later(async move {
                let uuid = super::flows::uuid_of(&instance);
                flows
                    .reported(
                        &ctx,
                        &uuid,
                        "compute_start_instance",
                        flows.start_instance(&ctx, instance),
                    )
                    .await
                    .map_err(|e| e.to_failure())?;
                Ok(Value::Null)
            })
        })
    }

    /// `reboot_instance` (cast).
    fn reboot_instance(&mut self, call: Call) -> Response {
        let parsed = RebootInstance::from_call(&call)
            .and_then(|args| Ok((instance_from(&args.instance)?, args.reboot_type)));
        parse(parsed, |(instance, reboot_type)| {
            let flows = Arc::clone(&self.flows);
            let ctx = call.context;
            Response::later(async move {
                let uuid = super::flows::uuid_of(&instance);
                let reboot = flows.reboot_instance(&ctx, instance, &reboot_type);
                flows
                    .reported(&ctx, &uuid, "compute_reboot_instance", reboot)
                    .await
                    .map_err(|e| e.to_failure())?;
                Ok(Value::Null)
            })
        })
    }

    /// `get_host_uptime()` (call).
    fn get_host_uptime(&mut self, _call: Call) -> Response {
        Response::ok(self.flows.driver.get_host_uptime())
    }

    /// `get_diagnostics(instance)` (call): the legacy dict of a running guest.
    fn get_diagnostics(&mut self, call: Call) -> Response {
        let parsed =
            GetDiagnostics::from_call(&call).and_then(|args| instance_from(&args.instance));
        parse(parsed, |instance| {
            let uuid = super::flows::uuid_of(&instance);
            let driver = &self.flows.driver;
            match driver.check_running(&uuid, "get_diagnostics") {
                Ok(()) => Response::ok(driver.get_diagnostics()),
                Err(failure) => Response::err(failure),
            }
        })
    }

    /// `get_instance_diagnostics(instance)` (call): a running guest's `Diagnostics`.
    fn get_instance_diagnostics(&mut self, call: Call) -> Response {
        let parsed =
            GetInstanceDiagnostics::from_call(&call).and_then(|args| instance_from(&args.instance));
        parse(parsed, |instance| {
            let uuid = super::flows::uuid_of(&instance);
            let driver = &self.flows.driver;
            match driver.check_running(&uuid, "get_instance_diagnostics") {
                Ok(()) => Response::ok(driver.get_instance_diagnostics()),
                Err(failure) => Response::err(failure),
            }
        })
    }

    /// Periodic `update_available_resource`.
    fn update_available_resource(&mut self, call: Call) -> Response {
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            flows
                .tracker
                .update_available_resource(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_sync_power_states`.
    fn sync_power_states(&mut self, call: Call) -> Response {
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            flows
                .sync_power_states(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_sync_scheduler_instance_info`.
    fn sync_scheduler_instance_info(&mut self, call: Call) -> Response {
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            flows.sync_scheduler_instance_info(&call.context).await?;
            Ok(Value::Null)
        })
    }

    /// Periodic `_check_instance_build_time`.
    fn check_instance_build_time(&mut self, call: Call) -> Response {
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            flows
                .check_instance_build_time(&call.context)
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}

/// Nova `ComputeManager.start_instance` and `reboot_instance`:
/// `@messaging.expected_exceptions(exception.VTPMSecretForbidden)`.
const VTPM_SECRET_FORBIDDEN: &[FailureClass] = &[NovaException::VTPMSecretForbidden.expected()];

/// Nova `ComputeManager.get_console_output`:
/// `@messaging.expected_exceptions(..., exception.InstanceNotFound)`.
const CONSOLE_OUTPUT_EXPECTED: &[FailureClass] = &[NovaException::InstanceNotFound.expected()];

impl ServiceManager for ComputeManager {
    fn endpoints() -> Vec<Endpoint<Self>> {
        vec![
            Endpoint::new(None, MANAGER_VERSION)
                .method(BuildAndRunInstance::METHOD, Self::build_and_run_instance)
                .method(TerminateInstance::METHOD, Self::terminate_instance)
                .method(StopInstance::METHOD, Self::stop_instance)
                .method(StartInstance::METHOD, Self::start_instance)
                .expected_exceptions(VTPM_SECRET_FORBIDDEN)
                .method(RebootInstance::METHOD, Self::reboot_instance)
                .expected_exceptions(VTPM_SECRET_FORBIDDEN)
                .method(GetHostUptime::METHOD, Self::get_host_uptime)
                .method(GetDiagnostics::METHOD, Self::get_diagnostics)
                .method(
                    GetInstanceDiagnostics::METHOD,
                    Self::get_instance_diagnostics,
                )
                .method(PauseInstance::METHOD, Self::pause_instance)
                .method(UnpauseInstance::METHOD, Self::unpause_instance)
                .method(SuspendInstance::METHOD, Self::suspend_instance)
                .method(ResumeInstance::METHOD, Self::resume_instance)
                .method(RescueInstance::METHOD, Self::rescue_instance)
                .method(UnrescueInstance::METHOD, Self::unrescue_instance)
                .method(SetAdminPassword::METHOD, Self::set_admin_password)
                .method(GetConsoleOutput::METHOD, Self::get_console_output)
                .expected_exceptions(CONSOLE_OUTPUT_EXPECTED)
                .method(TriggerCrashDump::METHOD, Self::trigger_crash_dump)
                .method(SoftDeleteInstance::METHOD, Self::soft_delete_instance)
                .method(RestoreInstance::METHOD, Self::restore_instance)
                .method(RebuildInstance::METHOD, Self::rebuild_instance)
                .method(ShelveInstance::METHOD, Self::shelve_instance)
                .method(ShelveOffloadInstance::METHOD, Self::shelve_offload_instance)
                .method(UnshelveInstance::METHOD, Self::unshelve_instance)
                .method(SnapshotInstance::METHOD, Self::snapshot_instance)
                .method(BackupInstance::METHOD, Self::backup_instance)
                .method(InjectNetworkInfo::METHOD, Self::inject_network_info)
                .method(PrepResize::METHOD, Self::prep_resize)
                .method(ResizeInstance::METHOD, Self::resize_instance)
                .method(FinishResize::METHOD, Self::finish_resize)
                .method(ConfirmResize::METHOD, Self::confirm_resize)
                .method(RevertResize::METHOD, Self::revert_resize)
                .method(FinishRevertResize::METHOD, Self::finish_revert_resize)
                .method(
                    CheckCanLiveMigrateDestination::METHOD,
                    Self::check_can_live_migrate_destination,
                )
                .method(
                    CheckCanLiveMigrateSource::METHOD,
                    Self::check_can_live_migrate_source,
                )
                .method(LiveMigration::METHOD, Self::live_migration)
                .method(PreLiveMigration::METHOD, Self::pre_live_migration)
                .method(
                    PostLiveMigrationAtDestination::METHOD,
                    Self::post_live_migration_at_destination,
                )
                .method(
                    RollbackLiveMigrationAtDestination::METHOD,
                    Self::rollback_live_migration_at_destination,
                )
                .method(
                    LiveMigrationForceComplete::METHOD,
                    Self::live_migration_force_complete,
                )
                .method(LiveMigrationAbort::METHOD, Self::live_migration_abort),
            baseapi::endpoint(),
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
            // Nova ticks every 60 s; here every `resize_confirm_window` (D-RESIZE).
            PeriodicTask::new(
                "_poll_unconfirmed_resizes",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "resize_confirm_window",
                    default: 0.0,
                },
                Self::poll_unconfirmed_resizes,
            ),
            // Nova ticks every 60 s; here every `reclaim_instance_interval` (D-API-7).
            PeriodicTask::new(
                "_reclaim_queued_deletes",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "reclaim_instance_interval",
                    default: 0.0,
                },
                Self::reclaim_queued_deletes,
            ),
            PeriodicTask::new(
                "_poll_shelved_instances",
                Spacing::Option {
                    group: "DEFAULT",
                    name: "shelved_poll_interval",
                    default: 3600.0,
                },
                Self::poll_shelved_instances,
            ),
        ]
    }

    /// Nova's compute waits for the conductor before it serves (`wait_until_ready`), then
    /// settles the instances a killed predecessor left mid-operation
    /// ([`ComputeFlows::init_host`]: builds to ERROR, deletes finished, reboots, stops and
    /// starts retried) — all before the RPC consumers start. Only failing to list the
    /// host's instances fails the start.
    fn init_host(&mut self) -> Response {
        let conductor = self.conductor.clone();
        let timeout = self.rpc_timeout;
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            let ctx = RequestContext::new();
            wait_until_ready(&conductor, &ctx, timeout).await;
            flows.init_host(&ctx).await.map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }

    /// Nova `pre_start_hook`: the first resource audit, so the node exists before any
    /// build arrives. A failure fails the start (the supervisor retries it).
    fn pre_start_hook(&mut self) -> Response {
        let flows = Arc::clone(&self.flows);
        Response::later(async move {
            flows
                .tracker
                .update_available_resource(&RequestContext::new())
                .await
                .map_err(|e| e.to_failure())?;
            Ok(Value::Null)
        })
    }
}
