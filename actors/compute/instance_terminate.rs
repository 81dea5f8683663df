//! The delete flow (Nova: `ComputeManager.terminate_instance` → `_delete_instance` →
//! `_complete_deletion`): destroy the guest, mark the row deleted, give the usage back,
//! tell the schedulers, soft-delete the row. `init_host` reuses the last steps to finish a
//! deletion a killed compute left half done.

use chrono::Utc;
use serde_json::{json, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::PowerState;
use super::flows::{utc_text, uuid_of, ComputeFlows};
use super::instance_states::vm_states;
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Nova `terminate_instance` → `_delete_instance`: destroy the guest, mark the row
    /// deleted, give the usage back, tell the schedulers, soft-delete the row.
    pub(super) async fn terminate_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<(), OperationError> {
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
                Err(error.into())
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
        instance.set("vm_state", json!(vm_states::DELETED));
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
    pub(super) async fn complete_deletion(&self, ctx: &RequestContext, uuid: &str) {
        self.tracker.release(ctx, uuid).await;
        self.tracker.instance_deleted(uuid).await;
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
}
