//! Snapshot, backup and network-info injection (Nova: `ComputeManager.snapshot_instance`,
//! `backup_instance`, `_snapshot_instance`, `_rotate_backups`, `inject_network_info`).
//!
//! A snapshot goes `image_snapshot_pending` (the API's) → `image_snapshot` →
//! `image_pending_upload` → `image_uploading` → none; a backup starts from the API's
//! `image_backup`. The image's data is "uploaded" through the conductor's `ImageCatalog`
//! (`image_service.rs`), which makes the `queued` image `active` with its size. Failures
//! as Nova's decorators leave them: an instance that disappeared stops the flow quietly
//! and its image, unless already active, is deleted; an image deleted meanwhile clears
//! the task; anything else deletes the image (`@delete_image_on_error`), clears the task
//! (`@reverts_task_state`) and leaves a fault (`@wrap_instance_fault`).
//!
//! [`ComputeFlows::snapshot_into_image`] is the part shelve reuses: the driver's
//! snapshot of an instance into a `queued` image, through the task states it is given.

use serde_json::{json, Map, Value};

use super::conductor_objects::{Expected, ObjectCallError};
use super::flows::{uuid_of, ComputeFlows};
use super::image_service::UploadedImage;
use super::instance_states::task_states;
use super::operation_failure::OperationError;
use crate::compute::fake_driver::PowerState;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// The task states one upload goes through: from `expected` (the state the instance is
/// in when the driver starts) to `pending_upload`, then `uploading`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UploadTaskStates {
    /// The task state the driver's snapshot starts from.
    pub(super) expected: &'static str,
    /// Nova `IMAGE_PENDING_UPLOAD` (shelve: `SHELVING_IMAGE_PENDING_UPLOAD`).
    pub(super) pending_upload: &'static str,
    /// Nova `IMAGE_UPLOADING` (shelve: `SHELVING_IMAGE_UPLOADING`).
    pub(super) uploading: &'static str,
}

/// createImage's states after the compute's `image_snapshot`.
pub(super) const SNAPSHOT_STATES: UploadTaskStates = UploadTaskStates {
    expected: task_states::IMAGE_SNAPSHOT,
    pending_upload: task_states::IMAGE_PENDING_UPLOAD,
    uploading: task_states::IMAGE_UPLOADING,
};

/// createBackup's states after the API's `image_backup`.
pub(super) const BACKUP_STATES: UploadTaskStates = UploadTaskStates {
    expected: task_states::IMAGE_BACKUP,
    pending_upload: task_states::IMAGE_PENDING_UPLOAD,
    uploading: task_states::IMAGE_UPLOADING,
};

/// The instance went away (or is being deleted) under the flow.
fn disappeared(error: &OperationError) -> bool {
    matches!(error, OperationError::Object(e) if e.instance_disappeared())
}

impl ComputeFlows {
    /// Snapshot `instance` into the `queued` image `image_id` (Nova `_snapshot_instance`
    /// up to the driver's return): the power state saved, the driver's snapshot, the task
    /// states `states.pending_upload` then `states.uploading`, and the upload that makes
    /// the image `active` with its size. Returns the instance as saved at
    /// `states.uploading`: the caller makes the last save (task none for a snapshot,
    /// SHELVED for a shelve). The caller holds the instance's lock.
    pub(super) async fn snapshot_into_image(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_id: &str,
        states: UploadTaskStates,
    ) -> Result<NovaObject, OperationError> {
        let uuid = uuid_of(&instance);
        let mut working = instance;
        let power = self.driver.power_state(&uuid);
        working.set("power_state", json!(power.code()));
        self.save(ctx, &mut working, &Expected::Anything).await?;
        tracing::info!(instance = %uuid, image = %image_id, "instance snapshotting");
        // Nova `_snapshot_instance`'s warning; a shelve snapshots the guest it has just
        // powered off (Nova's `_shelve_instance` calls the driver directly, unwarned).
        if power != PowerState::Running && states.expected != task_states::SHELVING {
            tracing::warn!(instance = %uuid, state = power.code(), "trying to snapshot a non-running instance");
        }
        let data = self.driver.snapshot(&uuid)?;
        working.set("task_state", json!(states.pending_upload));
        self.save(ctx, &mut working, &Expected::task(Some(states.expected)))
            .await?;
        working.set("task_state", json!(states.uploading));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(states.pending_upload)),
        )
        .await?;
        let upload = UploadedImage {
            size: data.size,
            disk_format: data.disk_format.to_owned(),
            container_format: data.container_format.to_owned(),
        };
        self.objects.image_upload(ctx, image_id, &upload).await?;
        Ok(working)
    }

    /// Nova `snapshot_instance`: `image_snapshot` (expecting the API's
    /// `image_snapshot_pending`), then the upload and task none.
    pub(super) async fn snapshot_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_id: &str,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut working = instance.clone();
        working.set("task_state", json!(task_states::IMAGE_SNAPSHOT));
        let pending = Expected::task(Some(task_states::IMAGE_SNAPSHOT_PENDING));
        match self.save(ctx, &mut working, &pending).await {
            Ok(()) => {}
            Err(error) if error.instance_disappeared() => {
                tracing::debug!(instance = %uuid, %error, "snapshot cannot continue");
                return Ok(());
            }
            Err(error) => {
                self.delete_image_quietly(ctx, image_id).await;
                return self.after_failure(ctx, &instance, error.into()).await;
            }
        }
        self.upload_then_idle(ctx, working, image_id, SNAPSHOT_STATES)
            .await
    }

    /// Nova `backup_instance`: the upload from `image_backup`, task none, then the
    /// backups of `backup_type` beyond `rotation` deleted, oldest first.
    pub(super) async fn backup_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_id: &str,
        backup_type: &str,
        rotation: u64,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        self.upload_then_idle(ctx, instance, image_id, BACKUP_STATES)
            .await?;
        self.rotate_backups(ctx, &uuid, backup_type, rotation).await
    }

    /// The upload, then task none expecting `states.uploading`, with Nova's handling of
    /// each failure (module doc).
    async fn upload_then_idle(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        image_id: &str,
        states: UploadTaskStates,
    ) -> Result<(), OperationError> {
        let uploaded = async {
            let mut working = self
                .snapshot_into_image(ctx, instance.clone(), image_id, states)
                .await?;
            working.set("task_state", Value::Null);
            self.save(ctx, &mut working, &Expected::task(Some(states.uploading)))
                .await?;
            Ok::<(), OperationError>(())
        }
        .await;
        let uuid = uuid_of(&instance);
        match uploaded {
            Ok(()) => Ok(()),
            Err(error) if disappeared(&error) => {
                tracing::debug!(instance = %uuid, %error, "Instance disappeared during snapshot");
                let active = self
                    .objects
                    .image_get(ctx, image_id)
                    .await
                    .is_ok_and(|image| image.get("status") == Some(&json!("active")));
                if !active {
                    self.delete_image_quietly(ctx, image_id).await;
                }
                Ok(())
            }
            Err(OperationError::Object(ObjectCallError::ImageNotFound(_))) => {
                tracing::warn!(instance = %uuid, image = %image_id, "Image not found during snapshot");
                let mut cleared = instance.clone();
                cleared.changes.clear();
                cleared.set("task_state", Value::Null);
                self.save(ctx, &mut cleared, &Expected::Anything).await?;
                Ok(())
            }
            Err(error) => {
                self.delete_image_quietly(ctx, image_id).await;
                self.after_failure(ctx, &instance, error).await
            }
        }
    }

    /// Nova `delete_image_on_error` / `compute_utils.delete_image`: one already gone is
    /// fine, any other failure is logged.
    pub(super) async fn delete_image_quietly(&self, ctx: &RequestContext, image_id: &str) {
        match self.objects.image_delete(ctx, image_id).await {
            Ok(()) | Err(ObjectCallError::ImageNotFound(_)) => {}
            Err(error) => {
                tracing::warn!(image = %image_id, %error, "Error while trying to clean up image");
            }
        }
    }

    /// Nova `_rotate_backups`: the instance's backups of `backup_type`, newest first;
    /// those beyond `rotation` deleted oldest first, each failure logged and skipped. A
    /// failed listing leaves a fault (`@wrap_instance_fault`).
    async fn rotate_backups(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        backup_type: &str,
        rotation: u64,
    ) -> Result<(), OperationError> {
        let mut filters = Map::new();
        filters.insert("image_type".into(), json!("backup"));
        filters.insert("backup_type".into(), json!(backup_type));
        filters.insert("instance_uuid".into(), json!(uuid));
        let images = match self.objects.image_ids_newest_first(ctx, filters).await {
            Ok(images) => images,
            Err(error) => {
                self.add_fault(ctx, uuid, &error.to_string(), "").await;
                return Err(error.into());
            }
        };
        let keep = usize::try_from(rotation).unwrap_or(usize::MAX);
        tracing::debug!(instance = %uuid, found = images.len(), rotation, "rotating backups");
        for image_id in images.iter().skip(keep).rev() {
            tracing::debug!(instance = %uuid, image = %image_id, "Deleting image");
            match self.objects.image_delete(ctx, image_id).await {
                Ok(()) => {}
                Err(ObjectCallError::ImageNotFound(_)) => {
                    tracing::info!(instance = %uuid, image = %image_id, "Failed to find image to delete");
                }
                Err(error) => {
                    tracing::info!(instance = %uuid, image = %image_id, %error, "Failed to delete image during deleting excess backups; continuing");
                }
            }
        }
        Ok(())
    }

    /// Nova `inject_network_info` (`@wrap_instance_fault` only): the instance's network
    /// info handed to the driver.
    pub(super) async fn inject_network_info(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        tracing::debug!(instance = %uuid, network_info = %instance.get("info_cache"), "Inject network info");
        if let Err(error) = self.driver.inject_network_info(&uuid) {
            self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            return Err(error.into());
        }
        Ok(())
    }
}
