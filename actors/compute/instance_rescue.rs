//! Rescue and unrescue (Nova: `ComputeManager.rescue_instance`, `unrescue_instance`):
//! rescue powers the guest off and boots it from the rescue image (RESCUED, a new
//! `launched_at`); unrescue boots it from its own disk again (ACTIVE).
//!
//! A driver failure in rescue puts the instance in ERROR and answers
//! `InstanceNotRescuable` (with the task state reverted and a fault, Nova's decorators);
//! in unrescue it puts the instance in ERROR (`_error_out_instance_on_exception`).

use chrono::Utc;
use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::flows::{utc_text, uuid_of, ComputeFlows};
use super::instance_pause::{unchanged, OnDriverFailure, Transition};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::exception::NovaException;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Nova `rescue_instance`. The rescue password is the guest's business (the fake
    /// driver has no guest to give it to); the rescue image is logged.
    pub(super) async fn rescue_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        rescue_image_ref: Option<&str>,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let image = rescue_image_ref
            .map(str::to_owned)
            .or_else(|| instance.get("image_ref").as_str().map(str::to_owned))
            .unwrap_or_default();
        tracing::info!(instance = %uuid, rescue_image = %image, "Rescuing");
        let mut working = instance.clone();
        let driver = self
            .driver
            .power_off(&uuid)
            .and_then(|()| self.driver.rescue(&uuid));
        if let Err(error) = driver {
            tracing::error!(instance = %uuid, %error, "Error trying to Rescue Instance");
            self.set_error_state(ctx, &mut working, false).await;
            let refused = NovaException::InstanceNotRescuable.failure(format!(
                "Instance {uuid} cannot be rescued: Driver Error: {error}"
            ));
            return self
                .after_failure(ctx, &working, OperationError::Refused(refused))
                .await;
        }
        working.set("vm_state", json!(vm_states::RESCUED));
        working.set("task_state", Value::Null);
        working.set("power_state", json!(self.driver.power_state(&uuid).code()));
        working.set("launched_at", json!(utc_text(Utc::now())));
        let saved = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::RESCUING)),
            )
            .await;
        match saved {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error.into()).await,
        }
    }

    /// Nova `unrescue_instance`: ACTIVE.
    pub(super) async fn unrescue_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Unrescuing");
        let transition = Transition {
            driver: &|uuid| self.driver.unrescue(uuid),
            vm_state: vm_states::ACTIVE,
            expected: task_states::UNRESCUING,
            on_failure: OnDriverFailure::ErrorOut,
        };
        self.transition(ctx, instance, transition, unchanged).await
    }
}
