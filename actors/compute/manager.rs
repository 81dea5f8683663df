//! The compute manager's flows (Nova: `nova/compute/manager.py` ComputeManager): build,
//! terminate, stop, start, reboot and the periodic tasks, with Nova's state sequences
//! (spec §2.1–2.4, §4). Every write is an `Instance.save` through the conductor with the
//! `expected_task_state` Nova uses, so a delete that races an operation wins: the flow
//! sees `UnexpectedDeletingTaskStateError` / `InstanceNotFound` and stops quietly.
//!
//! [`ComputeHost`] is one incarnation's state, shared (`Arc`) by the futures the RPC
//! handlers return, so long operations never hold the actor's mailbox; operations on one
//! instance are serialized by [`InstanceLocks`].

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Map, Value};

use super::conductor_objects::{ConductorObjects, Expected, ObjectCallError};
use super::fake_driver::{guest_size, FakeDriver, PowerState};
use super::instance_locks::InstanceLocks;
use super::resource_tracker::{ClaimError, ResourceTracker};
use crate::actors::conductor::rpcapi::ComputeTaskApi;
use crate::actors::objects::NovaObject;
use crate::actors::scheduler::rpcapi::SchedulerApi;
use crate::rpc::{RemoteFailure, RequestContext, Version};

/// Nova `ComputeManager.target` (null namespace): 6.5.
pub const MANAGER_VERSION: Version = Version::new(6, 5);

/// Nova `task_states` / `vm_states` values the compute writes.
mod state {
    pub(super) const SCHEDULING: &str = "scheduling";
    pub(super) const NETWORKING: &str = "networking";
    pub(super) const BLOCK_DEVICE_MAPPING: &str = "block_device_mapping";
    pub(super) const SPAWNING: &str = "spawning";
    pub(super) const POWERING_OFF: &str = "powering-off";
    pub(super) const POWERING_ON: &str = "powering-on";
    pub(super) const REBOOTING: &str = "rebooting";
    pub(super) const REBOOT_PENDING: &str = "reboot_pending";
    pub(super) const REBOOT_STARTED: &str = "reboot_started";
    pub(super) const REBOOTING_HARD: &str = "rebooting_hard";
    pub(super) const REBOOT_PENDING_HARD: &str = "reboot_pending_hard";
    pub(super) const REBOOT_STARTED_HARD: &str = "reboot_started_hard";
    pub(super) const BUILDING: &str = "building";
    pub(super) const ACTIVE: &str = "active";
    pub(super) const STOPPED: &str = "stopped";
    pub(super) const RESCUED: &str = "rescued";
    pub(super) const ERROR: &str = "error";
    pub(super) const DELETED: &str = "deleted";
}

/// Nova's fault code for unexpected errors (`exception_to_dict`).
const FAULT_CODE: i64 = 500;

/// Nova's time format on objects: naive UTC with microseconds.
fn utc_text(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}

/// Nova `_check_instance_build_time`'s test: built longer ago than `timeout`.
pub fn build_timed_out(created_at: Option<&str>, now: DateTime<Utc>, timeout: Duration) -> bool {
    let Some(created) = created_at.and_then(parse_time) else {
        return false;
    };
    chrono::Duration::from_std(timeout).is_ok_and(|timeout| now - created > timeout)
}

/// An `instance` argument: an `Instance` primitive with a uuid. Its pending changes are
/// dropped: the caller saved before casting (Nova's API does), and the compute must write
/// only what it sets itself.
pub fn instance_from(value: &Value) -> Result<NovaObject, RemoteFailure> {
    let mut instance = NovaObject::from_primitive(value)
        .map_err(|e| RemoteFailure::value_error(format!("instance: {e}")))?;
    if instance.name != "Instance" {
        return Err(RemoteFailure::value_error(format!(
            "instance: expected an Instance object, got {}",
            instance.name
        )));
    }
    if instance.get("uuid").as_str().is_none_or(str::is_empty) {
        return Err(RemoteFailure::value_error("instance: no uuid"));
    }
    instance.changes.clear();
    Ok(instance)
}

fn uuid_of(instance: &NovaObject) -> String {
    instance.get("uuid").as_str().unwrap_or_default().to_owned()
}

fn text_of(instance: &NovaObject, field: &str) -> Option<String> {
    instance.get(field).as_str().map(str::to_owned)
}

/// What `build_and_run_instance` got besides the instance.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// `request_spec` (a RequestSpec primitive), passed back on a reschedule.
    pub request_spec: Value,
    /// `filter_properties` (legacy dict; `retry` lives here).
    pub filter_properties: Map<String, Value>,
    /// `limits` the claim re-checks (`memory_mb`, `disk_gb`, `vcpu`).
    pub limits: Map<String, Value>,
    /// `host_list`: the remaining alternates (Selection primitives).
    pub host_list: Vec<Value>,
}

/// Why a build did not finish.
#[derive(Debug)]
enum BuildError {
    /// Deleted (or being deleted) meanwhile: stop quietly.
    Disappeared(ObjectCallError),
    /// Nova `RescheduledException`: another host may do better.
    Reschedule(String),
    /// Nova `BuildAbortException`: give up.
    Abort(String),
}

impl From<ObjectCallError> for BuildError {
    fn from(error: ObjectCallError) -> Self {
        if error.instance_disappeared() {
            Self::Disappeared(error)
        } else {
            Self::Abort(error.to_string())
        }
    }
}

/// Why an instance operation other than build failed (the fault and the RPC failure).
#[derive(Debug, thiserror::Error)]
enum OperationError {
    #[error(transparent)]
    Object(#[from] ObjectCallError),
    #[error(transparent)]
    Driver(#[from] super::fake_driver::DriverError),
}

impl OperationError {
    fn to_failure(&self) -> RemoteFailure {
        match self {
            Self::Object(e) => e.to_failure(),
            Self::Driver(e) => RemoteFailure::runtime_error(e.to_string()),
        }
    }

    fn instance_not_found(&self) -> bool {
        matches!(self, Self::Object(ObjectCallError::InstanceNotFound(_)))
    }

    fn unexpected_task_state(&self) -> bool {
        matches!(
            self,
            Self::Object(ObjectCallError::UnexpectedTaskState(_) | ObjectCallError::Deleting(_))
        )
    }
}

/// One compute incarnation: its host, driver, tracker and proxies.
#[derive(Debug)]
pub struct ComputeHost {
    /// `CONF.host`.
    pub host: String,
    /// The virt driver.
    pub driver: FakeDriver,
    /// The resource tracker of the host's node.
    pub tracker: ResourceTracker,
    objects: ConductorObjects,
    compute_task: ComputeTaskApi,
    scheduler: SchedulerApi,
    locks: InstanceLocks,
    /// `[filter_scheduler] track_instance_changes`.
    track_instance_changes: bool,
    /// `instance_build_timeout` (0 = off).
    instance_build_timeout: Duration,
}

/// What [`ComputeHost::new`] needs.
#[derive(Debug)]
pub struct ComputeHostParts {
    /// `CONF.host`.
    pub host: String,
    /// The driver.
    pub driver: FakeDriver,
    /// Its tracker.
    pub tracker: ResourceTracker,
    /// Object calls through the conductor.
    pub objects: ConductorObjects,
    /// The conductor's `compute_task` API (reschedules).
    pub compute_task: ComputeTaskApi,
    /// The schedulers' instance-info fanouts.
    pub scheduler: SchedulerApi,
    /// `[filter_scheduler] track_instance_changes`.
    pub track_instance_changes: bool,
    /// `instance_build_timeout` seconds (0 = off).
    pub instance_build_timeout: Duration,
}

impl ComputeHost {
    /// Assemble an incarnation.
    pub fn new(parts: ComputeHostParts) -> Self {
        Self {
            host: parts.host,
            driver: parts.driver,
            tracker: parts.tracker,
            objects: parts.objects,
            compute_task: parts.compute_task,
            scheduler: parts.scheduler,
            locks: InstanceLocks::default(),
            track_instance_changes: parts.track_instance_changes,
            instance_build_timeout: parts.instance_build_timeout,
        }
    }

    /// `Instance.save(expected_task_state=…)`, logged as the state the instance is now in
    /// (target `novactor::compute::instance`, one event per save).
    async fn save(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        expected: &Expected,
    ) -> Result<(), ObjectCallError> {
        self.objects.instance_save(ctx, instance, expected).await?;
        tracing::debug!(
            target: "novactor::compute::instance",
            instance = %uuid_of(instance),
            vm_state = instance.get("vm_state").as_str().unwrap_or("None"),
            task_state = instance.get("task_state").as_str().unwrap_or("None"),
            power_state = instance.get("power_state").as_i64().unwrap_or(0),
            "instance saved"
        );
        Ok(())
    }

    /// Nova `add_instance_fault_from_exc`; a fault that cannot be written is logged only.
    async fn add_fault(&self, ctx: &RequestContext, uuid: &str, message: &str, details: &str) {
        if let Err(error) = self
            .objects
            .fault_create(ctx, uuid, FAULT_CODE, message, details, &self.host)
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not record instance fault");
        }
    }

    /// Nova `_set_instance_obj_error_state`: `vm_state=error` (and no task if `clean_task`).
    async fn set_error_state(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        clean_task: bool,
    ) {
        instance.set("vm_state", json!(state::ERROR));
        if clean_task {
            instance.set("task_state", Value::Null);
        }
        if let Err(error) = self.save(ctx, instance, &Expected::Anything).await {
            tracing::warn!(instance = %uuid_of(instance), %error, "could not set the instance to error");
        }
    }

    // ---------------------------------------------------------------- build

    /// Nova `build_and_run_instance` → `_do_build_and_run_instance`, under the instance's
    /// lock. Never fails the cast: outcomes are written to the instance (spec §2.1 step 4).
    pub async fn build_and_run_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
        request: BuildRequest,
    ) {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        instance.set("vm_state", json!(state::BUILDING));
        instance.set("task_state", Value::Null);
        let expected = Expected::TaskState(vec![Some(state::SCHEDULING), None]);
        if let Err(error) = self.save(ctx, &mut instance, &expected).await {
            // Deleted, being deleted, or taken over before the build started: nothing to undo.
            tracing::info!(instance = %uuid, %error, "Instance changed state or disappeared before build; not building");
            return;
        }
        let outcome = self.build_and_run(ctx, &mut instance, &request).await;
        let Err(error) = outcome else {
            if self.track_instance_changes {
                if let Err(error) = self
                    .scheduler
                    .update_instance_info(ctx, &self.host, vec![instance.to_primitive()])
                    .await
                {
                    tracing::warn!(instance = %uuid, %error, "update_instance_info fanout failed");
                }
            }
            tracing::info!(instance = %uuid, "Took the instance to ACTIVE");
            return;
        };
        // Nova `_build_resources` / the claim's context manager: shut the guest down and
        // give the claim back whatever went wrong.
        if self.driver.get_info(&uuid).is_ok() {
            self.driver.destroy(&uuid);
        }
        self.tracker.release(ctx, &uuid).await;
        match error {
            BuildError::Disappeared(error) => {
                tracing::info!(instance = %uuid, %error, "Instance disappeared during build");
            }
            BuildError::Reschedule(reason) => {
                self.reschedule_or_fail(ctx, &mut instance, request, reason)
                    .await;
            }
            BuildError::Abort(reason) => {
                self.fail_build(ctx, &mut instance, &reason).await;
            }
        }
    }

    /// Nova `_build_and_run_instance`: claim, networking, block devices, spawn, active.
    async fn build_and_run(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        request: &BuildRequest,
    ) -> Result<(), BuildError> {
        let uuid = uuid_of(instance);
        match self
            .tracker
            .instance_claim(ctx, instance, &request.limits)
            .await
        {
            Ok(()) => {}
            Err(ClaimError::ResourcesUnavailable(reason)) => {
                return Err(BuildError::Reschedule(format!(
                    "Insufficient compute resources: {reason}."
                )))
            }
            Err(ClaimError::Object(error)) => return Err(error.into()),
        }
        // Nova `_allocate_network` / `_build_resources`. novactor expects the previous step's
        // state at each save (Nova saves the block-device step unconditionally), so a delete
        // arriving between two steps is never overwritten.
        instance.set("task_state", json!(state::NETWORKING));
        self.save(ctx, instance, &Expected::task(None)).await?;
        instance.set("task_state", json!(state::BLOCK_DEVICE_MAPPING));
        self.save(ctx, instance, &Expected::task(Some(state::NETWORKING)))
            .await?;
        instance.set("vm_state", json!(state::BUILDING));
        instance.set("task_state", json!(state::SPAWNING));
        self.save(
            ctx,
            instance,
            &Expected::task(Some(state::BLOCK_DEVICE_MAPPING)),
        )
        .await?;
        let name = text_of(instance, "display_name").unwrap_or_default();
        self.driver
            .spawn(&uuid, &name, guest_size(&instance.data))
            .await
            .map_err(|e| BuildError::Reschedule(e.to_string()))?;
        // Nova `_update_instance_after_spawn`.
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        instance.set("vm_state", json!(state::ACTIVE));
        instance.set("task_state", Value::Null);
        instance.set("launched_at", json!(utc_text(Utc::now())));
        self.save(ctx, instance, &Expected::task(Some(state::SPAWNING)))
            .await?;
        Ok(())
    }

    /// Nova's `RescheduledException` handler: with alternates left, hand the instance back
    /// to the conductor (`build_instances`); without, the build fails here.
    async fn reschedule_or_fail(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        request: BuildRequest,
        reason: String,
    ) {
        let uuid = uuid_of(instance);
        if request.host_list.is_empty() {
            tracing::info!(instance = %uuid, %reason, "Build failed and no alternate host is left; not rescheduling");
            self.fail_build(ctx, instance, &reason).await;
            return;
        }
        let node = text_of(instance, "node").unwrap_or_else(|| self.tracker.nodename().to_owned());
        // Nova `_nil_out_instance_obj_host_and_node` + `task_state=scheduling`. novactor
        // guards the save with the build's task states, so a delete that came meanwhile
        // (task_state deleting) is not overwritten.
        instance.set("host", Value::Null);
        instance.set("node", Value::Null);
        instance.set("compute_id", Value::Null);
        instance.set("task_state", json!(state::SCHEDULING));
        let expected = Expected::TaskState(vec![
            Some(state::SPAWNING),
            Some(state::BLOCK_DEVICE_MAPPING),
            Some(state::NETWORKING),
            None,
        ]);
        if let Err(error) = self.save(ctx, instance, &expected).await {
            if error.instance_disappeared() {
                tracing::info!(instance = %uuid, %error, "Instance disappeared before reschedule");
            } else {
                self.fail_build(
                    ctx,
                    instance,
                    &format!("{reason}; reschedule failed: {error}"),
                )
                .await;
            }
            return;
        }
        let filter_properties =
            retry_filter_properties(request.filter_properties, &self.host, &node, &reason);
        tracing::info!(instance = %uuid, %reason, alternates = request.host_list.len(), "Rescheduling the build");
        if let Err(error) = self
            .compute_task
            .build_instances(
                ctx,
                vec![instance.to_primitive()],
                request.request_spec,
                Value::Object(filter_properties),
                vec![request.host_list],
            )
            .await
        {
            self.fail_build(
                ctx,
                instance,
                &format!("{reason}; reschedule failed: {error}"),
            )
            .await;
        }
    }

    /// The build failed for good: `vm_state=error`, no task, a fault.
    async fn fail_build(&self, ctx: &RequestContext, instance: &mut NovaObject, reason: &str) {
        let uuid = uuid_of(instance);
        tracing::warn!(instance = %uuid, %reason, "Build of instance aborted");
        self.set_error_state(ctx, instance, true).await;
        let message = format!("Build of instance {uuid} aborted: {reason}");
        self.add_fault(ctx, &uuid, &message, reason).await;
    }

    // ---------------------------------------------------------------- delete

    /// Nova `terminate_instance` → `_delete_instance`: destroy the guest, mark the row
    /// deleted, give the usage back, tell the schedulers, soft-delete the row.
    pub async fn terminate_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        match self.delete_instance(ctx, &mut instance).await {
            Ok(()) => Ok(()),
            Err(ObjectCallError::InstanceNotFound(_)) => {
                tracing::info!(instance = %uuid, "Instance disappeared during terminate");
                self.tracker.release(ctx, &uuid).await;
                Ok(())
            }
            Err(error) => {
                tracing::error!(instance = %uuid, %error, "Setting instance vm_state to ERROR");
                self.set_error_state(ctx, &mut instance, false).await;
                self.add_fault(ctx, &uuid, &error.to_string(), "terminate_instance")
                    .await;
                Err(error.to_failure())
            }
        }
    }

    async fn delete_instance(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> Result<(), ObjectCallError> {
        let uuid = uuid_of(instance);
        // Nova `_shutdown_instance`; the fake driver tolerates a guest it never had.
        self.driver.destroy(&uuid);
        instance.set("vm_state", json!(state::DELETED));
        instance.set("task_state", Value::Null);
        instance.set("power_state", json!(PowerState::NoState.code()));
        instance.set("terminated_at", json!(utc_text(Utc::now())));
        self.save(ctx, instance, &Expected::Anything).await?;
        // Nova `_complete_deletion`.
        self.tracker.release(ctx, &uuid).await;
        if self.track_instance_changes {
            if let Err(error) = self
                .scheduler
                .delete_instance_info(ctx, &self.host, &uuid)
                .await
            {
                tracing::warn!(instance = %uuid, %error, "delete_instance_info fanout failed");
            }
        }
        self.objects.instance_destroy(ctx, instance).await?;
        tracing::info!(instance = %uuid, "Instance destroyed");
        Ok(())
    }

    // ---------------------------------------------------------------- power

    /// Nova's `@reverts_task_state` + `@wrap_instance_fault` around stop/start/reboot: an
    /// unexpected error clears the task state and leaves a fault; a lost race
    /// (`UnexpectedTaskStateError`) and a vanished instance leave both alone.
    async fn after_failure(
        &self,
        ctx: &RequestContext,
        original: &NovaObject,
        error: OperationError,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(original);
        if !error.unexpected_task_state() && !error.instance_not_found() {
            let mut revert = original.clone();
            revert.changes.clear();
            revert.set("task_state", Value::Null);
            if let Err(e) = self.save(ctx, &mut revert, &Expected::Anything).await {
                tracing::warn!(instance = %uuid, error = %e, "could not revert the task state");
            }
        }
        if !error.instance_not_found() {
            self.add_fault(ctx, &uuid, &error.to_string(), "").await;
        }
        tracing::warn!(instance = %uuid, %error, "instance operation failed");
        Err(error.to_failure())
    }

    /// Nova `stop_instance` (`do_stop_instance` under the lock).
    pub async fn stop_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        match self.do_stop(ctx, &mut working).await {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }

    async fn do_stop(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        let current = self.driver.power_state(&uuid);
        let mut expected = vec![Some(state::POWERING_OFF)];
        // Already off in the hypervisor: something else may have cleared the task state.
        if matches!(
            current,
            PowerState::NoState | PowerState::Shutdown | PowerState::Crashed
        ) {
            tracing::info!(instance = %uuid, "Instance is already powered off in the hypervisor when stop is called.");
            expected.push(None);
        } else {
            self.driver.power_off(&uuid)?;
        }
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        instance.set("vm_state", json!(state::STOPPED));
        instance.set("task_state", Value::Null);
        self.save(ctx, instance, &Expected::TaskState(expected))
            .await?;
        Ok(())
    }

    /// Nova `start_instance` → `_power_on`.
    pub async fn start_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        let outcome = async {
            if self.driver.power_on(&uuid).is_err() {
                // libvirt's power_on is a hard reboot, which redefines a lost guest.
                let name = text_of(&working, "display_name").unwrap_or_default();
                self.driver.reboot(&uuid, &name, true)?;
            }
            working.set("power_state", json!(self.driver.power_state(&uuid).code()));
            working.set("vm_state", json!(state::ACTIVE));
            working.set("task_state", Value::Null);
            self.save(ctx, &mut working, &Expected::task(Some(state::POWERING_ON)))
                .await?;
            Ok::<_, OperationError>(())
        }
        .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }

    /// Nova `reboot_instance` → `_reboot_instance` (spec §2.4): pending, started, the
    /// driver's reboot, then active. A failed reboot with the guest still running leaves
    /// only a fault; otherwise the instance goes to error.
    pub async fn reboot_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        reboot_type: &str,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        match self.do_reboot(ctx, &mut working, reboot_type).await {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }

    async fn do_reboot(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        reboot_type: &str,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        let soft = reboot_type.eq_ignore_ascii_case("SOFT");
        let (pending, started, expected) = if soft {
            (
                state::REBOOT_PENDING,
                state::REBOOT_STARTED,
                [
                    state::REBOOTING,
                    state::REBOOT_PENDING,
                    state::REBOOT_STARTED,
                ],
            )
        } else {
            (
                state::REBOOT_PENDING_HARD,
                state::REBOOT_STARTED_HARD,
                [
                    state::REBOOTING_HARD,
                    state::REBOOT_PENDING_HARD,
                    state::REBOOT_STARTED_HARD,
                ],
            )
        };
        instance.set("task_state", json!(pending));
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        self.save(
            ctx,
            instance,
            &Expected::TaskState(expected.iter().map(|s| Some(*s)).collect()),
        )
        .await?;
        if self.driver.power_state(&uuid) != PowerState::Running {
            tracing::warn!(instance = %uuid, "trying to reboot a non-running instance");
        }
        // Don't change it out of rescue mode (Nova).
        let new_vm_state = if instance.get("vm_state").as_str() == Some(state::RESCUED) {
            state::RESCUED
        } else {
            state::ACTIVE
        };
        instance.set("task_state", json!(started));
        self.save(ctx, instance, &Expected::task(Some(pending)))
            .await?;
        let name = text_of(instance, "display_name").unwrap_or_default();
        if let Err(error) = self.driver.reboot(&uuid, &name, !soft) {
            if self.driver.power_state(&uuid) == PowerState::Running {
                tracing::warn!(instance = %uuid, %error, "Reboot failed but instance is running");
                self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            } else {
                tracing::error!(instance = %uuid, %error, "Cannot reboot instance");
                self.set_error_state(ctx, instance, false).await;
                return Err(error.into());
            }
        }
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        instance.set("vm_state", json!(new_vm_state));
        instance.set("task_state", Value::Null);
        match self.save(ctx, instance, &Expected::Anything).await {
            Err(ObjectCallError::InstanceNotFound(_)) => {
                tracing::warn!(instance = %uuid, "Instance disappeared during reboot");
                Ok(())
            }
            other => Ok(other?),
        }
    }

    // ---------------------------------------------------------------- periodic tasks

    /// Nova `_sync_power_states`: align each idle instance's `power_state` with the driver;
    /// an active instance whose guest is off, or a stopped one whose guest runs, is stopped
    /// (Nova calls the compute API's `stop`, which comes back to this host).
    pub async fn sync_power_states(&self, ctx: &RequestContext) -> Result<(), ObjectCallError> {
        let instances = self.objects.instances_on_host(ctx, &self.host).await?;
        let on_hypervisor = self.driver.get_num_instances();
        if on_hypervisor != instances.len() {
            tracing::warn!(
                host = %self.host,
                "While synchronizing instance power states, found {} instances in the database and {} instances on the hypervisor.",
                instances.len(),
                on_hypervisor
            );
        }
        for mut instance in instances {
            let uuid = uuid_of(&instance);
            let stop = {
                let _lock = self.locks.lock(&uuid).await;
                self.sync_instance_power_state(ctx, &mut instance).await
            };
            if stop {
                if let Err(failure) = self.stop_instance(ctx, instance).await {
                    tracing::warn!(instance = %uuid, %failure, "stop after power-state sync failed");
                }
            }
        }
        Ok(())
    }

    /// Nova `_sync_instance_power_state` for one instance; true when it must be stopped
    /// (its task state is then `powering-off`).
    async fn sync_instance_power_state(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> bool {
        let uuid = uuid_of(instance);
        if text_of(instance, "host").as_deref() != Some(self.host.as_str()) {
            return false;
        }
        if !instance.get("task_state").is_null() {
            tracing::debug!(instance = %uuid, "During sync_power_state the instance has a pending task; skip.");
            return false;
        }
        let vm_power = self.driver.power_state(&uuid);
        let db_power = PowerState::from_code(instance.get("power_state").as_i64().unwrap_or(0));
        if vm_power != db_power {
            instance.set("power_state", json!(vm_power.code()));
            // novactor: expect no task, so an operation that started meanwhile wins.
            if let Err(error) = self.save(ctx, instance, &Expected::task(None)).await {
                tracing::info!(instance = %uuid, %error, "power-state sync lost a race; skip");
                return false;
            }
        }
        let off = matches!(
            vm_power,
            PowerState::NoState | PowerState::Shutdown | PowerState::Crashed
        );
        let must_stop = match instance.get("vm_state").as_str() {
            Some(state::ACTIVE)
                if matches!(vm_power, PowerState::Shutdown | PowerState::Crashed) =>
            {
                tracing::warn!(instance = %uuid, "Instance shutdown by itself. Calling the stop API.");
                true
            }
            Some(state::STOPPED) if !off => {
                tracing::warn!(instance = %uuid, "Instance is not stopped. Calling the stop API.");
                true
            }
            Some(state::ACTIVE) if vm_power == PowerState::NoState => {
                tracing::warn!(instance = %uuid, "Instance is not found on the hypervisor.");
                false
            }
            _ => false,
        };
        if !must_stop {
            return false;
        }
        // What the compute API's stop does before its cast (spec §2.3).
        instance.set("task_state", json!(state::POWERING_OFF));
        instance.set("progress", json!(0));
        self.save(ctx, instance, &Expected::task(None))
            .await
            .is_ok()
    }

    /// Nova `_sync_scheduler_instance_info`: fanout the uuids this host has.
    pub async fn sync_scheduler_instance_info(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), RemoteFailure> {
        if !self.track_instance_changes {
            return Ok(());
        }
        let instances = self
            .objects
            .instances_on_host(ctx, &self.host)
            .await
            .map_err(|e| e.to_failure())?;
        let uuids: Vec<String> = instances.iter().map(uuid_of).collect();
        self.scheduler
            .sync_instance_info(ctx, &self.host, &uuids)
            .await
            .map_err(|e| RemoteFailure::runtime_error(format!("sync_instance_info: {e}")))
    }

    /// Nova `_check_instance_build_time`: builds older than `instance_build_timeout` go to
    /// error (task state kept, as Nova's `_set_instance_obj_error_state` does).
    pub async fn check_instance_build_time(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        if self.instance_build_timeout.is_zero() {
            return Ok(());
        }
        let now = Utc::now();
        for mut instance in self.objects.instances_on_host(ctx, &self.host).await? {
            if instance.get("vm_state").as_str() != Some(state::BUILDING) {
                continue;
            }
            if build_timed_out(
                instance.get("created_at").as_str(),
                now,
                self.instance_build_timeout,
            ) {
                tracing::warn!(instance = %uuid_of(&instance), "Instance build timed out. Set to error state.");
                self.set_error_state(ctx, &mut instance, false).await;
            }
        }
        Ok(())
    }
}

/// `filter_properties` for the conductor's reschedule: `retry.num_attempts` (attempts so
/// far; the conductor's `populate_retry` counts the next one), `retry.hosts` with this
/// `[host, node]` added, and Nova's `exc_reason`.
fn retry_filter_properties(
    mut filter_properties: Map<String, Value>,
    host: &str,
    node: &str,
    reason: &str,
) -> Map<String, Value> {
    let mut retry = match filter_properties.remove("retry") {
        Some(Value::Object(retry)) => retry,
        _ => Map::new(),
    };
    let attempts = retry
        .get("num_attempts")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(1);
    let mut hosts = match retry.remove("hosts") {
        Some(Value::Array(hosts)) => hosts,
        _ => Vec::new(),
    };
    let this = json!([host, node]);
    if !hosts.contains(&this) {
        hosts.push(this);
    }
    retry.insert("num_attempts".into(), json!(attempts));
    retry.insert("hosts".into(), Value::Array(hosts));
    retry.insert("exc_reason".into(), json!(reason));
    filter_properties.insert("retry".into(), Value::Object(retry));
    filter_properties
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_instances_are_value_errors() {
        for bad in [
            json!(null),
            json!({"nova_object.name": "Instance"}),
            json!({"nova_object.name": "Service", "nova_object.namespace": "nova",
                   "nova_object.version": "1.0", "nova_object.data": {"uuid": "u"}}),
            json!({"nova_object.name": "Instance", "nova_object.namespace": "nova",
                   "nova_object.version": "2.8", "nova_object.data": {}}),
        ] {
            let failure = instance_from(&bad).unwrap_err();
            assert_eq!(failure.class, "ValueError", "{bad}");
        }
        let ok = instance_from(
            &json!({"nova_object.name": "Instance", "nova_object.namespace": "nova",
            "nova_object.version": "2.8", "nova_object.data": {"uuid": "u"},
            "nova_object.changes": ["uuid"]}),
        )
        .unwrap();
        assert!(
            ok.changes.is_empty(),
            "the caller's changes are not ours to write"
        );
    }

    #[test]
    fn retry_info_counts_this_host_once() {
        let fp = json!({"retry": {"num_attempts": 2, "hosts": [["a", "a"]]}, "x": 1});
        let out = retry_filter_properties(fp.as_object().cloned().unwrap(), "b", "b", "boom");
        assert_eq!(out["retry"]["num_attempts"], 2);
        assert_eq!(out["retry"]["hosts"], json!([["a", "a"], ["b", "b"]]));
        assert_eq!(out["x"], 1);
        let fresh = retry_filter_properties(Map::new(), "b", "b", "boom");
        assert_eq!(fresh["retry"]["num_attempts"], 1);
        assert_eq!(fresh["retry"]["hosts"], json!([["b", "b"]]));
    }

    #[test]
    fn builds_time_out_from_created_at() {
        let now = parse_time("2024-05-01T12:00:00Z").unwrap();
        let timeout = Duration::from_secs(60);
        assert!(build_timed_out(Some("2024-05-01T11:58:00Z"), now, timeout));
        assert!(build_timed_out(
            Some("2024-05-01T11:58:00.000000"),
            now,
            timeout
        ));
        assert!(!build_timed_out(Some("2024-05-01T11:59:30Z"), now, timeout));
        assert!(!build_timed_out(None, now, timeout));
        assert!(!build_timed_out(Some("garbage"), now, timeout));
    }
}
