//! The reboot flow (Nova: `ComputeManager.reboot_instance` → `_reboot_instance`, spec
//! §2.4): `reboot_pending[_hard]`, `reboot_started[_hard]`, the driver's reboot, then
//! ACTIVE (or RESCUED, which a reboot does not leave).

use serde_json::{json, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::PowerState;
use super::flows::{text_of, uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Nova `reboot_instance` → `_reboot_instance` (spec §2.4): pending, started, the
    /// driver's reboot, then active. A failed reboot with the guest still running leaves
    /// only a fault; otherwise the instance goes to error.
    pub(super) async fn reboot_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        reboot_type: &str,
    ) -> Result<(), OperationError> {
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
                task_states::REBOOT_PENDING,
                task_states::REBOOT_STARTED,
                [
                    task_states::REBOOTING,
                    task_states::REBOOT_PENDING,
                    task_states::REBOOT_STARTED,
                ],
            )
        } else {
            (
                task_states::REBOOT_PENDING_HARD,
                task_states::REBOOT_STARTED_HARD,
                [
                    task_states::REBOOTING_HARD,
                    task_states::REBOOT_PENDING_HARD,
                    task_states::REBOOT_STARTED_HARD,
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
        let new_vm_state = if instance.get("vm_state").as_str() == Some(vm_states::RESCUED) {
            vm_states::RESCUED
        } else {
            vm_states::ACTIVE
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
}
