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
use crate::conductor::rpcapi::ComputeTaskApi;
use crate::objects::NovaObject;
use crate::scheduler::rpcapi::SchedulerApi;
use novactor::rpc::{RemoteFailure, RequestContext, Version};

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
    pub(super) const DELETING: &str = "deleting";
    pub(super) const BUILDING: &str = "building";
    pub(super) const ACTIVE: &str = "active";
    pub(super) const STOPPED: &str = "stopped";
    pub(super) const PAUSED: &str = "paused";
    pub(super) const SUSPENDED: &str = "suspended";
    pub(super) const RESCUED: &str = "rescued";
    pub(super) const ERROR: &str = "error";
    pub(super) const DELETED: &str = "deleted";
    pub(super) const SOFT_DELETED: &str = "soft-delete";

    /// Every task state above, to recover a `&'static str` for an `expected_task_state`.
    pub(super) const TASK_STATES: [&str; 14] = [
        SCHEDULING,
        NETWORKING,
        BLOCK_DEVICE_MAPPING,
        SPAWNING,
        POWERING_OFF,
        POWERING_ON,
        REBOOTING,
        REBOOT_PENDING,
        REBOOT_STARTED,
        REBOOTING_HARD,
        REBOOT_PENDING_HARD,
        REBOOT_STARTED_HARD,
        DELETING,
        // Not written by the compute, but a task state Nova's API sets.
        "soft-deleting",
    ];
    /// Nova `task_states.soft_reboot_states`.
    pub(super) const SOFT_REBOOT_STATES: [&str; 3] = [REBOOTING, REBOOT_PENDING, REBOOT_STARTED];
    /// Nova `task_states.hard_reboot_states`.
    pub(super) const HARD_REBOOT_STATES: [&str; 3] =
        [REBOOTING_HARD, REBOOT_PENDING_HARD, REBOOT_STARTED_HARD];
    /// Nova `vm_states.ALLOW_HARD_REBOOT` (`ALLOW_SOFT_REBOOT` is `[ACTIVE]`).
    pub(super) const ALLOW_HARD_REBOOT: [&str; 5] = [ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR];
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

/// What [`ComputeHost::init_host`] does with one instance of this host after a restart:
/// Nova `ComputeManager._init_instance`'s decision, for the states novactor has. Pure, so
/// each rule is unit-tested; the actions run through the manager's own flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitAction {
    /// Nothing to settle: idle, stopped, in error, soft-deleted, or not this host's.
    Leave,
    /// The process died during a build (`vm_state` building or a build task state):
    /// `vm_state=error`, task state cleared (Nova `_set_instance_obj_error_state(
    /// clean_task_state=True)`, "Instance failed to spawn correctly, setting to ERROR
    /// state").
    FailBuild,
    /// `task_state=deleting`: restart the deletion (Nova `_delete_instance`; here the
    /// terminate flow, so the guest, the usage, the schedulers' view and the row are
    /// handled as a delete is).
    FinishDelete,
    /// `vm_state=deleted` but the row is not soft-deleted yet (the process died between
    /// the two writes of a delete): Nova `_complete_partial_deletion`.
    CompletePartialDeletion,
    /// Retry the reboot (Nova `_retry_reboot`); `hard` as Nova's `get_reboot_type` says:
    /// hard when the guest is not running or the task was a hard one. A soft task state
    /// is moved to `reboot_pending_hard` first when the retry is hard.
    RetryReboot {
        /// Reboot type `HARD` (else `SOFT`).
        hard: bool,
    },
    /// `reboot_started[_hard]` with the guest running: the reboot happened, only its
    /// last save is missing: `vm_state=active`, task state cleared.
    FinishReboot,
    /// `powering-off`: retry the stop.
    RetryStop,
    /// `powering-on`: retry the start.
    RetryStart,
    /// A reboot task state no retry applies to (say `reboot_pending` on a stopped
    /// instance): novactor clears it so the instance is usable again (Nova leaves it).
    ClearTask,
}

/// Nova `_init_instance`'s decision for an instance with `host`, `vm_state` and
/// `task_state`, whose guest the driver reports in `power` (`NoState` when it has none),
/// seen by the compute of `this_host`. In Nova's order, with two novactor deviations:
///
/// - `deleting` is looked at before the build states, so a delete accepted during a
///   build that the restart interrupted still deletes (novactor's "a delete that races a
///   build wins"; Nova would put it in ERROR and rely on the still-queued
///   `terminate_instance` cast, which the in-process memory transport loses with the
///   process);
/// - `rebooting` / `rebooting_hard` (the API's state before the compute started the
///   reboot) are retried too, as Nova retries `reboot_pending*`: the cast may have died
///   with the process. With a broker that kept it, the late cast then finds no reboot
///   task state and is refused as `UnexpectedTaskStateError`, as Nova's own retried
///   start is when its cast arrives after `init_host`.
pub fn init_instance_action(
    this_host: &str,
    host: Option<&str>,
    vm_state: Option<&str>,
    task_state: Option<&str>,
    power: PowerState,
) -> InitAction {
    use state::*;
    if host != Some(this_host) {
        // Evacuated away, or a listing that raced a move: not ours to touch (Nova).
        return InitAction::Leave;
    }
    // Nova: soft-deleted and error instances are not recovered, except a pending delete.
    if vm_state == Some(SOFT_DELETED) || (vm_state == Some(ERROR) && task_state != Some(DELETING)) {
        return InitAction::Leave;
    }
    if vm_state == Some(DELETED) {
        return InitAction::CompletePartialDeletion;
    }
    if task_state == Some(DELETING) {
        return InitAction::FinishDelete;
    }
    if vm_state == Some(BUILDING)
        || matches!(
            task_state,
            Some(SCHEDULING | BLOCK_DEVICE_MAPPING | NETWORKING | SPAWNING)
        )
    {
        return InitAction::FailBuild;
    }
    let Some(task) = task_state else {
        return InitAction::Leave;
    };
    let soft_task = SOFT_REBOOT_STATES.contains(&task);
    if soft_task || HARD_REBOOT_STATES.contains(&task) {
        let running = power == PowerState::Running;
        // Nova `compute_utils.get_reboot_type`.
        let hard = !running || !soft_task;
        let allows_soft = vm_state == Some(ACTIVE);
        let allows_hard = vm_state.is_some_and(|vm| ALLOW_HARD_REBOOT.contains(&vm));
        let retry = match task {
            REBOOTING | REBOOT_PENDING => allows_soft,
            REBOOTING_HARD | REBOOT_PENDING_HARD => allows_hard,
            _ => !running, // reboot_started[_hard]
        };
        return if retry {
            InitAction::RetryReboot { hard }
        } else if running && matches!(task, REBOOT_STARTED | REBOOT_STARTED_HARD) {
            InitAction::FinishReboot
        } else {
            InitAction::ClearTask
        };
    }
    match task {
        POWERING_OFF => InitAction::RetryStop,
        POWERING_ON => InitAction::RetryStart,
        _ => InitAction::Leave,
    }
}

/// `expected_task_state` = the task state `instance` was read with, so a save made on
/// what was read does not overwrite a change made meanwhile (say the API's `deleting`).
fn expected_as_read(instance: &NovaObject) -> Expected {
    match instance.get("task_state").as_str() {
        None => Expected::task(None),
        Some(task) => match state::TASK_STATES.iter().find(|known| **known == task) {
            Some(known) => Expected::task(Some(known)),
            None => Expected::Anything,
        },
    }
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
        // Fault first, then the state (Nova's order): whoever sees ERROR also sees why.
        let message = format!("Build of instance {uuid} aborted: {reason}");
        self.add_fault(ctx, &uuid, &message, reason).await;
        self.set_error_state(ctx, instance, true).await;
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
        self.complete_deletion(ctx, &uuid).await;
        self.objects.instance_destroy(ctx, instance).await?;
        tracing::info!(instance = %uuid, "Instance destroyed");
        Ok(())
    }

    /// Nova `_complete_deletion`: give the usage back, tell the schedulers.
    async fn complete_deletion(&self, ctx: &RequestContext, uuid: &str) {
        self.tracker.release(ctx, uuid).await;
        if self.track_instance_changes {
            if let Err(error) = self
                .scheduler
                .delete_instance_info(ctx, &self.host, uuid)
                .await
            {
                tracing::warn!(instance = %uuid, %error, "delete_instance_info fanout failed");
            }
        }
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

    // ---------------------------------------------------------------- init_host

    /// Nova `ComputeManager.init_host`'s pass over this host's instances (`_init_instance`
    /// each): settle what a killed compute left mid-operation, before the actor serves
    /// (the supervisor starts the RPC consumers after `init_host` and `pre_start_hook`).
    /// The rules are [`init_instance_action`]'s.
    ///
    /// Each instance is handled on its own: a failure is logged with its uuid and the pass
    /// goes on (Nova catches and logs per instance); an instance deleted meanwhile is
    /// skipped. Only the listing failing fails the pass (and so the start: the supervisor
    /// retries it), as Nova's `init_host` raises when `InstanceList.get_by_host` does.
    ///
    /// Guests the fake driver lost: its guests live in memory ([`super::fake_driver`]),
    /// so after a process restart the hypervisor has none (after an actor restart within
    /// the process they are still there). Nova's `nova/virt/fake.py` is in-memory too, and
    /// Nova's `_init_instance` then sees `NOSTATE`: interrupted operations are settled as
    /// above (a retried reboot or start is a hard one, which redefines the guest; a retried
    /// stop finds it already off), and an idle ACTIVE instance is left as it is — Nova's
    /// `resume_guests_state_on_host_boot` is off by default and the fake driver's
    /// `resume_state_on_host_boot` does nothing. The `_sync_power_states` periodic then
    /// records `power_state` NOSTATE and only logs ("Instance is not found on the
    /// hypervisor"), as Nova's does ("Instance is unexpectedly not found. Ignore."); a hard
    /// reboot, or a stop and a start, brings the guest back.
    pub async fn init_host(&self, ctx: &RequestContext) -> Result<(), ObjectCallError> {
        let instances = self.objects.instances_on_host(ctx, &self.host).await?;
        let mut settled = 0usize;
        let mut failed = 0usize;
        for instance in instances {
            let uuid = uuid_of(&instance);
            match self.init_instance(ctx, instance).await {
                Ok(true) => settled += 1,
                Ok(false) => {}
                Err(failure) => {
                    failed += 1;
                    tracing::error!(instance = %uuid, %failure, "init_host: could not settle the instance; going on with the others");
                }
            }
        }
        tracing::info!(host = %self.host, settled, failed, "init_host: instances of this host checked");
        Ok(())
    }

    /// Nova `_init_instance` for one instance; `Ok(true)` when it acted.
    async fn init_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<bool, RemoteFailure> {
        let uuid = uuid_of(&instance);
        let vm_state = text_of(&instance, "vm_state");
        let task_state = text_of(&instance, "task_state");
        let power = self.driver.power_state(&uuid);
        let action = init_instance_action(
            &self.host,
            text_of(&instance, "host").as_deref(),
            vm_state.as_deref(),
            task_state.as_deref(),
            power,
        );
        let vm = vm_state.as_deref().unwrap_or("None");
        let task = task_state.as_deref().unwrap_or("None");
        let outcome = match action {
            InitAction::Leave => {
                if vm_state.as_deref() == Some(state::ACTIVE)
                    && task_state.is_none()
                    && power == PowerState::NoState
                {
                    tracing::info!(instance = %uuid, "Instance's guest is not on the hypervisor (the fake driver lost it with the previous process); leaving it ACTIVE, a hard reboot re-creates it");
                }
                return Ok(false);
            }
            InitAction::FailBuild => {
                tracing::warn!(instance = %uuid, vm_state = vm, task_state = task, "Instance failed to spawn correctly, setting to ERROR state");
                self.settle(ctx, &mut instance, Some(state::ERROR)).await
            }
            InitAction::FinishDelete => {
                tracing::info!(instance = %uuid, "Service started deleting the instance during the previous run, but did not finish. Restarting the deletion now.");
                self.terminate_instance(ctx, instance).await
            }
            InitAction::CompletePartialDeletion => {
                tracing::info!(instance = %uuid, "Instance is deleted but its row is not: completing the deletion");
                self.complete_partial_deletion(ctx, instance).await
            }
            InitAction::RetryReboot { hard } => {
                tracing::info!(instance = %uuid, task_state = task, power_state = power.code(), hard, "Instance in transitional state at start-up, triggering reboot");
                self.retry_reboot(ctx, instance, hard).await
            }
            InitAction::FinishReboot => {
                tracing::warn!(instance = %uuid, task_state = task, power_state = power.code(), "Instance in transitional state at start-up and its guest is running, clearing task state");
                self.settle(ctx, &mut instance, Some(state::ACTIVE)).await
            }
            InitAction::ClearTask => {
                tracing::warn!(instance = %uuid, vm_state = vm, task_state = task, "Instance in a reboot task state no retry applies to at start-up, clearing task state");
                self.settle(ctx, &mut instance, None).await
            }
            InitAction::RetryStop => {
                tracing::info!(instance = %uuid, "Instance in transitional state powering-off at start-up, retrying stop request");
                self.stop_instance(ctx, instance).await
            }
            InitAction::RetryStart => {
                tracing::info!(instance = %uuid, "Instance in transitional state powering-on at start-up, retrying start request");
                self.start_instance(ctx, instance).await
            }
        };
        match outcome {
            Err(failure) if failure.class == crate::exception::class::INSTANCE_NOT_FOUND => {
                tracing::info!(instance = %uuid, "Instance disappeared during init_host");
                Ok(true)
            }
            other => other.map(|()| true),
        }
    }

    /// Clear the task state (and set `vm_state`, if given) under the instance's lock,
    /// expecting the task state as read. A change made meanwhile (the API's delete) or a
    /// vanished instance wins: logged, not a failure.
    async fn settle(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        vm_state: Option<&'static str>,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(instance);
        let _lock = self.locks.lock(&uuid).await;
        let expected = expected_as_read(instance);
        if let Some(vm_state) = vm_state {
            instance.set("vm_state", json!(vm_state));
        }
        instance.set("task_state", Value::Null);
        match self.save(ctx, instance, &expected).await {
            Ok(()) => Ok(()),
            Err(
                error @ (ObjectCallError::UnexpectedTaskState(_)
                | ObjectCallError::Deleting(_)
                | ObjectCallError::InstanceNotFound(_)),
            ) => {
                tracing::info!(instance = %uuid, %error, "Instance changed meanwhile; leaving it to what changed it");
                Ok(())
            }
            Err(error) => Err(error.to_failure()),
        }
    }

    /// Nova `_complete_partial_deletion`: soft-delete the row, then `_complete_deletion`.
    async fn complete_partial_deletion(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<(), RemoteFailure> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        match self.objects.instance_destroy(ctx, &mut instance).await {
            Ok(()) | Err(ObjectCallError::InstanceNotFound(_)) => {}
            Err(error) => return Err(error.to_failure()),
        }
        self.complete_deletion(ctx, &uuid).await;
        tracing::info!(instance = %uuid, "Instance destroyed");
        Ok(())
    }

    /// `_init_instance`'s reboot retry: a soft task state becomes `reboot_pending_hard`
    /// when the retry is hard (Nova's "we've just become a hard reboot"), then the reboot
    /// flow runs.
    async fn retry_reboot(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
        hard: bool,
    ) -> Result<(), RemoteFailure> {
        let soft_task = instance
            .get("task_state")
            .as_str()
            .is_some_and(|task| state::SOFT_REBOOT_STATES.contains(&task));
        if hard && soft_task {
            let uuid = uuid_of(&instance);
            let expected = expected_as_read(&instance);
            instance.set("task_state", json!(state::REBOOT_PENDING_HARD));
            let _lock = self.locks.lock(&uuid).await;
            if let Err(error) = self.save(ctx, &mut instance, &expected).await {
                if matches!(error, ObjectCallError::UnexpectedTaskState(_))
                    || error.instance_disappeared()
                {
                    tracing::info!(instance = %uuid, %error, "Instance changed meanwhile; not retrying its reboot");
                    return Ok(());
                }
                return Err(error.to_failure());
            }
        }
        self.reboot_instance(ctx, instance, if hard { "HARD" } else { "SOFT" })
            .await
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

    /// `init_instance_action` for an instance of host `h1`, seen by the compute of `h1`.
    fn decide(vm: Option<&str>, task: Option<&str>, power: PowerState) -> InitAction {
        init_instance_action("h1", Some("h1"), vm, task, power)
    }

    const NO_GUEST: PowerState = PowerState::NoState;
    const RUNNING: PowerState = PowerState::Running;

    #[test]
    fn init_builds_interrupted_go_to_error() {
        for task in [
            None,
            Some("scheduling"),
            Some("networking"),
            Some("block_device_mapping"),
            Some("spawning"),
        ] {
            for power in [NO_GUEST, RUNNING] {
                assert_eq!(
                    decide(Some("building"), task, power),
                    InitAction::FailBuild,
                    "{task:?}"
                );
            }
        }
        // A build task state under another vm_state is a failed build too (Nova).
        assert_eq!(
            decide(Some("active"), Some("spawning"), RUNNING),
            InitAction::FailBuild
        );
    }

    #[test]
    fn init_deletes_interrupted_are_finished() {
        for vm in ["active", "stopped", "error", "building"] {
            assert_eq!(
                decide(Some(vm), Some("deleting"), NO_GUEST),
                InitAction::FinishDelete,
                "{vm}: the delete wins, also over a build"
            );
        }
        for task in [None, Some("deleting")] {
            assert_eq!(
                decide(Some("deleted"), task, NO_GUEST),
                InitAction::CompletePartialDeletion
            );
        }
    }

    #[test]
    fn init_reboots_interrupted_are_retried_hard_without_a_running_guest() {
        for task in [
            "rebooting",
            "reboot_pending",
            "reboot_started",
            "rebooting_hard",
            "reboot_pending_hard",
            "reboot_started_hard",
        ] {
            assert_eq!(
                decide(Some("active"), Some(task), NO_GUEST),
                InitAction::RetryReboot { hard: true },
                "{task}"
            );
        }
        // A hard reboot of a stopped instance is allowed, so it is retried.
        assert_eq!(
            decide(Some("stopped"), Some("reboot_pending_hard"), NO_GUEST),
            InitAction::RetryReboot { hard: true }
        );
    }

    #[test]
    fn init_reboots_not_started_keep_their_type_with_a_running_guest() {
        for (task, hard) in [
            ("rebooting", false),
            ("reboot_pending", false),
            ("rebooting_hard", true),
            ("reboot_pending_hard", true),
        ] {
            assert_eq!(
                decide(Some("active"), Some(task), RUNNING),
                InitAction::RetryReboot { hard },
                "{task}"
            );
        }
    }

    #[test]
    fn init_reboots_started_with_a_running_guest_are_finished() {
        for task in ["reboot_started", "reboot_started_hard"] {
            assert_eq!(
                decide(Some("active"), Some(task), RUNNING),
                InitAction::FinishReboot,
                "{task}"
            );
        }
    }

    #[test]
    fn init_reboot_states_no_retry_applies_to_are_cleared() {
        // A soft reboot is only for ACTIVE instances.
        assert_eq!(
            decide(Some("stopped"), Some("reboot_pending"), RUNNING),
            InitAction::ClearTask
        );
        assert_eq!(
            decide(Some("stopped"), Some("rebooting"), NO_GUEST),
            InitAction::ClearTask
        );
    }

    #[test]
    fn init_power_operations_interrupted_are_retried() {
        for power in [NO_GUEST, RUNNING, PowerState::Shutdown] {
            assert_eq!(
                decide(Some("active"), Some("powering-off"), power),
                InitAction::RetryStop
            );
            assert_eq!(
                decide(Some("stopped"), Some("powering-on"), power),
                InitAction::RetryStart
            );
        }
    }

    #[test]
    fn init_leaves_idle_error_soft_deleted_and_foreign_instances() {
        for (vm, task, power) in [
            ("active", None, RUNNING),
            // The guest the fake driver lost with the process: left ACTIVE (see init_host).
            ("active", None, NO_GUEST),
            ("stopped", None, PowerState::Shutdown),
            // Nova does not recover error instances, whatever their task state.
            ("error", None, NO_GUEST),
            ("error", Some("spawning"), NO_GUEST),
            ("error", Some("powering-off"), RUNNING),
            ("error", Some("reboot_pending_hard"), NO_GUEST),
            ("soft-delete", Some("deleting"), NO_GUEST),
            ("active", Some("some-future-task"), RUNNING),
        ] {
            assert_eq!(
                decide(Some(vm), task, power),
                InitAction::Leave,
                "{vm}/{task:?}"
            );
        }
        for host in [Some("h2"), None] {
            assert_eq!(
                init_instance_action("h1", host, Some("building"), Some("spawning"), NO_GUEST),
                InitAction::Leave,
                "{host:?}"
            );
        }
    }

    #[test]
    fn saves_expect_the_task_state_as_read() {
        let mut instance = NovaObject::new("Instance", "2.8", Map::new());
        assert_eq!(expected_as_read(&instance), Expected::task(None));
        instance.set("task_state", json!("spawning"));
        assert_eq!(
            expected_as_read(&instance),
            Expected::task(Some("spawning"))
        );
        instance.set("task_state", json!("unheard-of"));
        assert_eq!(expected_as_read(&instance), Expected::Anything);
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
