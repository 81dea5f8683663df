//! The power flows (Nova: `ComputeManager.stop_instance` → `do_stop_instance`, and
//! `start_instance` → `_power_on`, spec §2.3; a start also ends a shelve in place): under the instance's lock, the driver first,
//! then one guarded save; a failure goes through `after_failure` (`operation_failure.rs`).

use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::fake_driver::PowerState;
use super::flows::{text_of, uuid_of, ComputeFlows};
use super::instance_pause::system_metadata;
use super::instance_shelve::without_shelved_keys;
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Nova `stop_instance` (`do_stop_instance` under the lock).
    pub(super) async fn stop_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
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
        let mut expected = vec![Some(task_states::POWERING_OFF)];
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
        instance.set("vm_state", json!(vm_states::STOPPED));
        instance.set("task_state", Value::Null);
        self.save(ctx, instance, &Expected::TaskState(expected))
            .await?;
        Ok(())
    }

    /// Nova `start_instance` → `_power_on`.
    pub(super) async fn start_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
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
            working.set("vm_state", json!(vm_states::ACTIVE));
            working.set("task_state", Value::Null);
            // A SHELVED server unshelved in place: its shelve image and keys go.
            let shelve_image = system_metadata(&working)
                .get("shelved_image_id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(image) = shelve_image {
                self.delete_shelve_snapshot(ctx, &working, &image).await;
            }
            if let Some(meta) = without_shelved_keys(&working) {
                working.set("system_metadata", Value::Object(meta));
            }
            self.save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::POWERING_ON)),
            )
            .await?;
            Ok::<_, OperationError>(())
        }
        .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }
}
