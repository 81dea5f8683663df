//! Rebuild in place (Nova: `ComputeManager.rebuild_instance` → `_do_rebuild_instance` →
//! `_rebuild_default_impl`), whose steps an evacuation shares (`instance_evacuate.rs`,
//! [`ComputeFlows::do_rebuild`]): under the instance's lock, the task states Nova walks
//! (`rebuilding` → `rebuild_block_device_mapping` → `rebuild_spawning`), the guest
//! destroyed and spawned again from the new image with the rebuild's personality files
//! (only those: the old guest's are gone with it), then ACTIVE with a new `launched_at`.
//! A server that was STOPPED is powered off again (Nova's "bringing vm to original
//! state"). The api already saved the new image, name and metadata.
//!
//! A driver failure leaves the instance in ERROR with a fault: the old guest is gone. A
//! file that is not base64 (Nova's `_decode_files`, before the guest is touched) leaves it
//! as it was, without a task, with the `Base64Exception` as its fault.

use chrono::Utc;
use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::fake_driver::{guest_size, GuestFile, PowerState};
use super::flows::{utc_text, uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::exception::NovaException;
use crate::objects::injected_files::{decode_files, InjectedFile};
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

/// Where a rebuilt guest now runs when it moved here (an evacuation): Nova's
/// `finish_evacuation` fields, saved with the rebuild's last save.
#[derive(Debug, Clone)]
pub(super) struct MovedHere {
    /// This host's node.
    pub(super) node: String,
    /// The node's `compute_nodes.id`.
    pub(super) compute_id: Value,
}

impl ComputeFlows {
    /// Nova `rebuild_instance` with `recreate` false, the guest getting `files`.
    pub(super) async fn rebuild_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_ref: &str,
        files: &[InjectedFile],
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        tracing::info!(instance = %uuid, image = %image_ref, "Rebuilding instance");
        let was_stopped = instance.get("vm_state").as_str() == Some(vm_states::STOPPED);
        self.do_rebuild(ctx, &instance, was_stopped, None, files)
            .await
    }

    /// A rebuild whose arguments could not be read (`failure`): under the instance's lock,
    /// as a failed rebuild ends — no task, a fault — the guest untouched.
    pub(super) async fn refuse_rebuild(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        failure: RemoteFailure,
    ) -> Result<(), OperationError> {
        let _lock = self.locks.lock(&uuid_of(&instance)).await;
        self.after_failure(ctx, &instance, OperationError::Refused(failure))
            .await
    }

    /// Nova `_do_rebuild_instance` from its `rebuilding` save on, under the instance's lock
    /// (the caller's): the task states, the guest destroyed and spawned, ACTIVE — or
    /// STOPPED when `end_stopped` — and, for an evacuation, the instance moved to this
    /// host's node in the same last save. The spawned guest gets the personality `files`.
    pub(super) async fn do_rebuild(
        &self,
        ctx: &RequestContext,
        instance: &NovaObject,
        end_stopped: bool,
        moved_here: Option<MovedHere>,
        files: &[InjectedFile],
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        let mut working = instance.clone();
        working.set("power_state", json!(self.driver.power_state(&uuid).code()));
        working.set("task_state", json!(task_states::REBUILDING));
        if let Err(error) = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::REBUILDING)),
            )
            .await
        {
            return self.after_failure(ctx, instance, error.into()).await;
        }
        // Nova `_do_rebuild_instance`: the files are decoded before the guest is touched.
        let files: Vec<GuestFile> = match decode_files(files) {
            Ok(decoded) => decoded.iter().map(GuestFile::of).collect(),
            Err(error) => {
                let failure = NovaException::Base64Exception.failure(error.to_string());
                return self
                    .after_failure(ctx, instance, OperationError::Refused(failure))
                    .await;
            }
        };
        for (next, expected) in [
            (
                task_states::REBUILD_BLOCK_DEVICE_MAPPING,
                task_states::REBUILDING,
            ),
            (
                task_states::REBUILD_SPAWNING,
                task_states::REBUILD_BLOCK_DEVICE_MAPPING,
            ),
        ] {
            working.set("task_state", json!(next));
            if let Err(error) = self
                .save(ctx, &mut working, &Expected::task(Some(expected)))
                .await
            {
                return self.after_failure(ctx, instance, error.into()).await;
            }
        }
        // `_rebuild_default_impl`: destroy (not for an evacuation: the guest is on the
        // failed host), then spawn from the image.
        if moved_here.is_none() {
            self.driver.destroy(&uuid);
        }
        let name = working
            .get("display_name")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Err(error) = self
            .driver
            .spawn(&uuid, &name, guest_size(&working.data), files)
            .await
        {
            tracing::error!(instance = %uuid, %error, "Rebuild failed");
            self.set_error_state(ctx, &mut working, true).await;
            self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            return Err(error.into());
        }
        // `_update_instance_after_spawn`.
        working.set("power_state", json!(PowerState::Running.code()));
        working.set("vm_state", json!(vm_states::ACTIVE));
        working.set("task_state", Value::Null);
        working.set("launched_at", json!(utc_text(Utc::now())));
        if let Some(moved) = moved_here {
            // Nova `finish_evacuation`: the instance is this host's now.
            working.set("host", json!(self.host));
            working.set("node", json!(moved.node));
            working.set("compute_id", moved.compute_id);
        }
        if end_stopped {
            // Nova saves ACTIVE/powering-off and calls `stop_instance`; the fake's power
            // off cannot fail for a guest just spawned, so one save says the same.
            if let Err(error) = self.driver.power_off(&uuid) {
                tracing::warn!(instance = %uuid, %error, "could not stop the rebuilt guest");
            } else {
                working.set("power_state", json!(PowerState::Shutdown.code()));
                working.set("vm_state", json!(vm_states::STOPPED));
            }
        }
        let saved = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::REBUILD_SPAWNING)),
            )
            .await;
        match saved {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, instance, error.into()).await,
        }
    }
}
