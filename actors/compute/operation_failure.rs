//! What a failed instance operation leaves behind: [`OperationError`] (why it failed, and
//! the failure an RPC caller gets), Nova's fault record (`add_instance_fault_from_exc`), the
//! ERROR state (`_set_instance_obj_error_state`) and the `@reverts_task_state` +
//! `@wrap_instance_fault` pair around stop, start and reboot.

use serde_json::{json, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::DriverError;
use super::flows::{uuid_of, ComputeFlows};
use super::instance_states::vm_states;
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

/// Nova's fault code for unexpected errors (`exception_to_dict`).
const FAULT_CODE: i64 = 500;

/// Why an instance operation other than build failed (the fault and the RPC failure).
#[derive(Debug, thiserror::Error)]
pub(super) enum OperationError {
    /// An object call through the conductor failed.
    #[error(transparent)]
    Object(#[from] ObjectCallError),
    /// The driver failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The operation ended in a `nova.exception` its caller is told of as it is
    /// (`InstancePasswordSetFailed`, `InstanceNotRescuable`).
    #[error("{}", .0.message)]
    Refused(RemoteFailure),
}

impl OperationError {
    /// As the failure an RPC caller sees.
    pub(super) fn to_failure(&self) -> RemoteFailure {
        match self {
            Self::Object(e) => e.to_failure(),
            Self::Driver(e) => RemoteFailure::runtime_error(e.to_string()),
            Self::Refused(failure) => failure.clone(),
        }
    }

    /// The instance is gone (`InstanceNotFound`).
    pub(super) fn instance_not_found(&self) -> bool {
        matches!(self, Self::Object(ObjectCallError::InstanceNotFound(_)))
    }

    /// Someone else changed the task state (a delete, or a lost race).
    fn unexpected_task_state(&self) -> bool {
        matches!(
            self,
            Self::Object(ObjectCallError::UnexpectedTaskState(_) | ObjectCallError::Deleting(_))
        )
    }
}

impl ComputeFlows {
    /// Nova `add_instance_fault_from_exc`; a fault that cannot be written is logged only.
    pub(super) async fn add_fault(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        message: &str,
        details: &str,
    ) {
        if let Err(error) = self
            .objects
            .fault_create(ctx, uuid, FAULT_CODE, message, details, &self.host)
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not record instance fault");
        }
    }

    /// Nova `_set_instance_obj_error_state`: `vm_state=error` (and no task if `clean_task`).
    pub(super) async fn set_error_state(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        clean_task: bool,
    ) {
        instance.set("vm_state", json!(vm_states::ERROR));
        if clean_task {
            instance.set("task_state", Value::Null);
        }
        if let Err(error) = self.save(ctx, instance, &Expected::Anything).await {
            tracing::warn!(instance = %uuid_of(instance), %error, "could not set the instance to error");
        }
    }

    /// Nova's `@reverts_task_state` + `@wrap_instance_fault` around stop/start/reboot: an
    /// unexpected error clears the task state and leaves a fault; a lost race
    /// (`UnexpectedTaskStateError`) and a vanished instance leave both alone. Hands the
    /// error back for the caller's reply.
    pub(super) async fn after_failure(
        &self,
        ctx: &RequestContext,
        original: &NovaObject,
        error: OperationError,
    ) -> Result<(), OperationError> {
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
        Err(error)
    }
}
