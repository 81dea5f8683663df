//! Pause and suspend (Nova: `ComputeManager.pause_instance`, `unpause_instance`,
//! `suspend_instance`, `resume_instance`): under the instance's lock, the driver, then one
//! save of the new power and vm state guarded by the task state the API set.
//!
//! Failures as Nova's decorators leave them: pause and unpause revert the task state and
//! leave a fault (`@reverts_task_state`, `@wrap_instance_fault`: `after_failure`); a
//! suspend or resume the driver fails puts the instance in ERROR
//! (`_error_out_instance_on_exception`) with a fault.

use serde_json::{json, Map, Value};

use super::conductor_objects::Expected;
use super::fake_driver::DriverError;
use super::flows::{uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// Nova keeps the vm state a suspend left in `system_metadata['old_vm_state']`.
const OLD_VM_STATE: &str = "old_vm_state";

/// What a failed driver call does to the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnDriverFailure {
    /// Revert the task state, keep the vm state (`@reverts_task_state`).
    RevertTask,
    /// Set vm state ERROR and clear the task (`_error_out_instance_on_exception`).
    ErrorOut,
}

/// One state transition a driver call makes: what it calls, the state it ends in and the
/// task state the API set.
pub(super) struct Transition<'a> {
    /// The driver operation on the instance's uuid.
    pub(super) driver: &'a dyn Fn(&str) -> Result<(), DriverError>,
    /// The vm state after it.
    pub(super) vm_state: &'a str,
    /// The task state the API set (the save expects it).
    pub(super) expected: &'static str,
    /// What a driver failure does.
    pub(super) on_failure: OnDriverFailure,
}

/// The instance's `system_metadata` dict (empty when absent).
pub(super) fn system_metadata(instance: &NovaObject) -> Map<String, Value> {
    instance
        .get("system_metadata")
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// A transition's `prepare` that edits nothing.
pub(super) fn unchanged(_instance: &mut NovaObject) {}

impl ComputeFlows {
    /// Run `transition` on `instance` under its lock; `prepare` edits the instance first
    /// (the suspend's `old_vm_state`).
    pub(super) async fn transition(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        transition: Transition<'_>,
        prepare: impl FnOnce(&mut NovaObject),
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        prepare(&mut working);
        if let Err(error) = (transition.driver)(&uuid) {
            if transition.on_failure == OnDriverFailure::ErrorOut {
                self.set_error_state(ctx, &mut working, true).await;
                self.add_fault(ctx, &uuid, &error.to_string(), "").await;
                tracing::warn!(instance = %uuid, %error, "instance operation failed");
                return Err(error.into());
            }
            return self.after_failure(ctx, &instance, error.into()).await;
        }
        working.set("power_state", json!(self.driver.power_state(&uuid).code()));
        working.set("vm_state", json!(transition.vm_state));
        working.set("task_state", Value::Null);
        let saved = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(transition.expected)),
            )
            .await;
        match saved {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error.into()).await,
        }
    }

    /// Nova `pause_instance`: PAUSED.
    pub(super) async fn pause_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Pausing");
        let transition = Transition {
            driver: &|uuid| self.driver.pause(uuid),
            vm_state: vm_states::PAUSED,
            expected: task_states::PAUSING,
            on_failure: OnDriverFailure::RevertTask,
        };
        self.transition(ctx, instance, transition, unchanged).await
    }

    /// Nova `unpause_instance`: ACTIVE.
    pub(super) async fn unpause_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Unpausing");
        let transition = Transition {
            driver: &|uuid| self.driver.unpause(uuid),
            vm_state: vm_states::ACTIVE,
            expected: task_states::UNPAUSING,
            on_failure: OnDriverFailure::RevertTask,
        };
        self.transition(ctx, instance, transition, unchanged).await
    }

    /// Nova `suspend_instance`: SUSPENDED, the vm state it left kept as `old_vm_state`.
    pub(super) async fn suspend_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Suspending");
        let transition = Transition {
            driver: &|uuid| self.driver.suspend(uuid),
            vm_state: vm_states::SUSPENDED,
            expected: task_states::SUSPENDING,
            on_failure: OnDriverFailure::ErrorOut,
        };
        self.transition(ctx, instance, transition, |working| {
            let mut meta = system_metadata(working);
            let old = working.get("vm_state").clone();
            meta.insert(OLD_VM_STATE.into(), old);
            working.set("system_metadata", Value::Object(meta));
        })
        .await
    }

    /// Nova `resume_instance`: back to `old_vm_state` (ACTIVE when none is kept).
    pub(super) async fn resume_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Resuming");
        let mut meta = system_metadata(&instance);
        let back_to = match meta.remove(OLD_VM_STATE) {
            Some(Value::String(state)) => state,
            _ => vm_states::ACTIVE.to_owned(),
        };
        let transition = Transition {
            driver: &|uuid| self.driver.resume(uuid),
            vm_state: &back_to,
            expected: task_states::RESUMING,
            on_failure: OnDriverFailure::ErrorOut,
        };
        self.transition(ctx, instance, transition, |working| {
            working.set("system_metadata", Value::Object(meta));
        })
        .await
    }
}
