//! Shelving (Nova: `ComputeManager.shelve_instance` → `_shelve_instance`,
//! `shelve_offload_instance` → `_shelve_offload_instance`, `unshelve_instance` →
//! `_unshelve_instance`, `_poll_shelved_instances`), each under the instance's lock:
//!
//! - shelve: the guest powered off, the snapshot step (task states `shelving` →
//!   `shelving_image_pending_upload` → `shelving_image_uploading`), system metadata
//!   `shelved_at` / `shelved_image_id` / `shelved_host`, SHELVED — and, with
//!   `shelved_offload_time` 0, `shelving_offloading` and the offload at once;
//! - offload: the guest destroyed, the placement allocations and the node's usage given
//!   back, SHELVED_OFFLOADED, `host` / `node` / `compute_id` / `launched_on` cleared, the
//!   schedulers told. The lab network port stays (Nova keeps the ports, unbound, and binds
//!   them again at unshelve; a lab port is bound to no host), so `addresses` stay;
//! - unshelve: `spawning`, the claim on the host the scheduler chose (which places the
//!   instance here), the guest spawned from the shelve image, ACTIVE with the shelve keys
//!   removed from the system metadata.
//!
//! The shelve snapshot ([`ComputeFlows::snapshot_for_shelve`]) is createImage's upload
//! ([`ComputeFlows::snapshot_into_image`]) into the `queued` `<name>-shelved` image the api
//! made, through the shelving task states; its removal
//! ([`ComputeFlows::delete_shelve_snapshot`]) follows an unshelve, offloaded or in place
//! (`start_instance`). A shelve that fails before the server is SHELVED deletes its image
//! (it would never be used), as createImage's `@delete_image_on_error` does.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::fake_driver::{guest_size, PowerState};
use super::flows::{text_of, utc_text, uuid_of, ComputeFlows};
use super::instance_pause::system_metadata;
use super::instance_snapshot::UploadTaskStates;
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use super::periodic_tasks::parse_time;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// Nova `compute_utils.remove_shelved_keys_from_system_metadata`'s keys.
pub(super) const SHELVED_KEYS: [&str; 3] = ["shelved_at", "shelved_image_id", "shelved_host"];

/// Nova `_shelve_instance`'s `shelving_state_map`: the snapshot's task states as the
/// shelve names them.
const SHELVE_UPLOAD_STATES: UploadTaskStates = UploadTaskStates {
    expected: task_states::SHELVING,
    pending_upload: task_states::SHELVING_IMAGE_PENDING_UPLOAD,
    uploading: task_states::SHELVING_IMAGE_UPLOADING,
};

/// What `unshelve_instance` got besides the instance.
#[derive(Debug, Clone, Default)]
pub(super) struct UnshelveRequest {
    /// The shelve image's id (`image['id']`); `None` for a volume-backed server.
    pub(super) image_id: Option<String>,
    /// `filter_properties['limits']`, re-checked by the claim.
    pub(super) limits: Map<String, Value>,
}

/// The system metadata without the shelve keys (Nova's
/// `remove_shelved_keys_from_system_metadata`); `None` when it had none of them.
pub(super) fn without_shelved_keys(instance: &NovaObject) -> Option<Map<String, Value>> {
    let mut meta = system_metadata(instance);
    let before = meta.len();
    meta.retain(|key, _| !SHELVED_KEYS.contains(&key.as_str()));
    (meta.len() != before).then_some(meta)
}

/// Nova `_poll_shelved_instances`' test: shelved longer than `offload_time` seconds ago
/// (an unreadable or missing `shelved_at` is never old enough: Nova's would raise).
pub(super) fn shelved_long_enough(
    shelved_at: Option<&str>,
    now: DateTime<Utc>,
    offload_time: i64,
) -> bool {
    shelved_at
        .and_then(parse_time)
        .is_some_and(|at| now - at > chrono::Duration::seconds(offload_time))
}

impl ComputeFlows {
    /// Nova `shelve_instance` (`_shelve_instance` under the lock).
    pub(super) async fn shelve_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_id: &str,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        tracing::info!(instance = %uuid, "Shelving");
        let mut working = instance.clone();
        match self.shelve(ctx, &mut working, image_id).await {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }

    async fn shelve(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        image_id: &str,
    ) -> Result<(), OperationError> {
        let offload = self.shelved_offload_time == 0;
        if let Err(error) = self.snapshot_and_shelve(ctx, instance, image_id).await {
            self.delete_image_quietly(ctx, image_id).await;
            return Err(error);
        }
        if offload {
            self.offload(ctx, instance).await?;
        }
        Ok(())
    }

    /// Up to SHELVED: the guest off, the snapshot into `image_id`, the shelve keys.
    async fn snapshot_and_shelve(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        image_id: &str,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        let offload = self.shelved_offload_time == 0;
        self.power_off_for_shelve(&uuid)?;
        self.snapshot_for_shelve(ctx, instance, image_id).await?;
        let mut meta = system_metadata(instance);
        meta.insert("shelved_at".into(), json!(utc_text(Utc::now())));
        meta.insert("shelved_image_id".into(), json!(image_id));
        meta.insert("shelved_host".into(), json!(self.host));
        instance.set("system_metadata", Value::Object(meta));
        instance.set("vm_state", json!(vm_states::SHELVED));
        instance.set(
            "task_state",
            if offload {
                json!(task_states::SHELVING_OFFLOADING)
            } else {
                Value::Null
            },
        );
        instance.set("power_state", json!(self.driver.power_state(&uuid).code()));
        let expected = Expected::TaskState(vec![
            Some(task_states::SHELVING),
            Some(task_states::SHELVING_IMAGE_UPLOADING),
        ]);
        self.save(ctx, instance, &expected).await?;
        Ok(())
    }

    /// Nova `_power_off_instance` before a shelve or an offload: a guest already off (or
    /// gone) stays so.
    fn power_off_for_shelve(&self, uuid: &str) -> Result<(), OperationError> {
        match self.driver.get_info(uuid) {
            Ok(PowerState::Shutdown | PowerState::NoState | PowerState::Crashed) | Err(_) => Ok(()),
            Ok(_) => Ok(self.driver.power_off(uuid)?),
        }
    }

    /// Nova `driver.snapshot(context, instance, image_id, update_task_state)` with the
    /// shelve's task-state map: `shelving_image_pending_upload`, then
    /// `shelving_image_uploading`, and the upload that makes the api's `queued` image
    /// active. `instance` becomes the instance as saved at `shelving_image_uploading`.
    pub(super) async fn snapshot_for_shelve(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        image_id: &str,
    ) -> Result<(), OperationError> {
        *instance = self
            .snapshot_into_image(ctx, instance.clone(), image_id, SHELVE_UPLOAD_STATES)
            .await?;
        Ok(())
    }

    /// Nova `_delete_snapshot_of_shelved_instance`: the shelve image goes once the server
    /// runs again; one already gone is fine, any other failure logged. An image that is
    /// the server's own (`shelved_image_id` of a server shelved before shelve made its
    /// own image) is its base image and is kept.
    pub(super) async fn delete_shelve_snapshot(
        &self,
        ctx: &RequestContext,
        instance: &NovaObject,
        image_id: &str,
    ) {
        let own = text_of(instance, "image_ref");
        if own.as_deref() == Some(image_id) {
            tracing::info!(instance = %uuid_of(instance), image = %image_id, "the shelve image is the server's own image; kept");
            return;
        }
        tracing::debug!(instance = %uuid_of(instance), image = %image_id, "deleting the shelve snapshot");
        self.delete_image_quietly(ctx, image_id).await;
    }

    /// Nova `shelve_offload_instance` (`_shelve_offload_instance` under the lock).
    pub(super) async fn shelve_offload_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        match self.offload(ctx, &mut working).await {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error).await,
        }
    }

    /// Nova `_shelve_offload_instance`.
    async fn offload(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        tracing::info!(instance = %uuid, "Shelve offloading");
        self.power_off_for_shelve(&uuid)?;
        let power_state = self.driver.power_state(&uuid);
        self.driver.destroy(&uuid);
        // `rt.delete_allocation_for_shelve_offloaded_instance` and the node's usage, before
        // the state changes, so a client that polls for SHELVED_OFFLOADED finds the
        // resources free. One save then sets the state and clears the placement
        // (`_nil_out_instance_obj_host_and_node`; Nova saves twice, with the tracker's
        // update between, which novactor's tracker, keyed by uuid, does not need), so no
        // reader sees SHELVED_OFFLOADED with a host.
        self.tracker.instance_deleted(&uuid).await;
        self.tracker.release(ctx, &uuid).await;
        instance.set("power_state", json!(power_state.code()));
        instance.set("vm_state", json!(vm_states::SHELVED_OFFLOADED));
        instance.set("task_state", Value::Null);
        for field in ["host", "node", "compute_id", "launched_on"] {
            instance.set(field, Value::Null);
        }
        let expected = Expected::TaskState(vec![
            Some(task_states::SHELVING),
            Some(task_states::SHELVING_OFFLOADING),
        ]);
        self.save(ctx, instance, &expected).await?;
        if self.track_instance_changes {
            if let Err(error) = self
                .scheduler
                .delete_instance_info(ctx, &self.host, &uuid)
                .await
            {
                tracing::warn!(instance = %uuid, %error, "delete_instance_info fanout failed");
            }
        }
        Ok(())
    }

    /// Nova `unshelve_instance` (`_unshelve_instance` under the lock).
    pub(super) async fn unshelve_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        request: UnshelveRequest,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        tracing::info!(instance = %uuid, "Unshelving");
        let mut working = instance.clone();
        working.set("task_state", json!(task_states::SPAWNING));
        // novactor expects `unshelving` (Nova saves unguarded), so a delete that came
        // meanwhile is not overwritten.
        if let Err(error) = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::UNSHELVING)),
            )
            .await
        {
            return self.after_failure(ctx, &instance, error.into()).await;
        }
        let shelved_image_ref = text_of(&working, "image_ref");
        if let Some(image) = &request.image_id {
            working.set("image_ref", json!(image));
        }
        if let Err(error) = self.claim_and_spawn(ctx, &mut working, &request).await {
            tracing::error!(instance = %uuid, %error, "Instance failed to spawn");
            // Nova: the image back, the allocations and the claim given back, no host.
            working.set("image_ref", json!(shelved_image_ref));
            self.tracker.instance_deleted(&uuid).await;
            self.tracker.release(ctx, &uuid).await;
            self.driver.destroy(&uuid);
            for field in ["host", "node", "compute_id", "launched_on"] {
                working.set(field, Value::Null);
            }
            working.set("task_state", Value::Null);
            if let Err(save_error) = self.save(ctx, &mut working, &Expected::Anything).await {
                tracing::warn!(instance = %uuid, error = %save_error, "could not revert the unshelve");
            }
            if !error.instance_not_found() {
                self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            }
            return Err(error);
        }
        if let Some(image) = &request.image_id {
            working.set("image_ref", json!(shelved_image_ref));
            self.delete_shelve_snapshot(ctx, &working, image).await;
        }
        // `_update_instance_after_spawn`, the shelve keys removed.
        working.set("power_state", json!(self.driver.power_state(&uuid).code()));
        working.set("vm_state", json!(vm_states::ACTIVE));
        working.set("task_state", Value::Null);
        working.set("launched_at", json!(utc_text(Utc::now())));
        if let Some(meta) = without_shelved_keys(&working) {
            working.set("system_metadata", Value::Object(meta));
        }
        if let Err(error) = self
            .save(
                ctx,
                &mut working,
                &Expected::task(Some(task_states::SPAWNING)),
            )
            .await
        {
            return self.after_failure(ctx, &instance, error.into()).await;
        }
        if self.track_instance_changes {
            if let Err(error) = self
                .scheduler
                .update_instance_info(ctx, &self.host, vec![working.to_primitive()])
                .await
            {
                tracing::warn!(instance = %uuid, %error, "update_instance_info fanout failed");
            }
        }
        Ok(())
    }

    /// The claim (which places the instance on this host) and the spawn.
    async fn claim_and_spawn(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        request: &UnshelveRequest,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        self.tracker
            .instance_claim(ctx, instance, &request.limits)
            .await
            .map_err(|error| match error {
                super::resource_tracker::ClaimError::Object(error) => OperationError::from(error),
                other => OperationError::Refused(novactor::rpc::RemoteFailure::new(
                    "nova.exception",
                    "ComputeResourcesUnavailable",
                    other.to_string(),
                )),
            })?;
        let name = text_of(instance, "display_name").unwrap_or_default();
        // Nova's unshelve spawns with no personality files.
        self.driver
            .spawn(&uuid, &name, guest_size(&instance.data), Vec::new())
            .await?;
        Ok(())
    }

    /// Nova `_poll_shelved_instances`: with a positive `shelved_offload_time`, this host's
    /// SHELVED instances without a task shelved longer ago than that are offloaded, each
    /// first claimed with `shelving_offloading` expecting no task (an unshelve that started
    /// since the list was read wins).
    pub(super) async fn poll_shelved_instances(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        if self.shelved_offload_time <= 0 {
            return Ok(());
        }
        let now = Utc::now();
        let listed = self
            .objects
            .instances_on_host_with(ctx, &self.host, &["system_metadata"])
            .await?;
        for mut instance in listed {
            let shelved = instance.get("vm_state").as_str() == Some(vm_states::SHELVED)
                && instance.get("task_state").is_null();
            let meta = system_metadata(&instance);
            let shelved_at = meta.get("shelved_at").and_then(Value::as_str);
            if !shelved || !shelved_long_enough(shelved_at, now, self.shelved_offload_time) {
                continue;
            }
            let uuid = uuid_of(&instance);
            instance.set("task_state", json!(task_states::SHELVING_OFFLOADING));
            if let Err(error) = self.save(ctx, &mut instance, &Expected::task(None)).await {
                tracing::info!(instance = %uuid, %error, "shelved offload lost a race; skip");
                continue;
            }
            let offload = self.shelve_offload_instance(ctx, instance);
            if let Err(error) = self
                .reported(ctx, &uuid, "compute_shelve_offload_instance", offload)
                .await
            {
                tracing::warn!(instance = %uuid, failure = %error.to_failure(), "Periodic task failed to offload instance.");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offload_waits_for_the_configured_time() {
        let now = parse_time("2026-05-01T12:00:00Z").unwrap();
        assert!(shelved_long_enough(
            Some("2026-05-01T11:58:00.000000"),
            now,
            60
        ));
        assert!(!shelved_long_enough(
            Some("2026-05-01T11:59:30.000000"),
            now,
            60
        ));
        assert!(!shelved_long_enough(None, now, 60));
    }

    #[test]
    fn the_shelve_keys_are_removed_and_the_rest_kept() {
        let mut instance = NovaObject::new("Instance", "2.8", Map::new());
        assert_eq!(without_shelved_keys(&instance), None);
        instance.set(
            "system_metadata",
            json!({"shelved_at": "t", "shelved_image_id": "i", "shelved_host": "h",
                "image_base_image_ref": "i"}),
        );
        let kept = without_shelved_keys(&instance).unwrap();
        assert_eq!(Value::Object(kept), json!({"image_base_image_ref": "i"}));
    }
}
