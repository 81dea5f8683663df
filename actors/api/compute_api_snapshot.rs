//! The api side of createImage, createBackup and injectNetworkInfo (Nova:
//! `nova/compute/api.py` `API.snapshot`, `API.backup`, `API.inject_network_info`).
//!
//! Snapshot and backup are not lock-checked (Nova: a lock guards against changes, and an
//! image changes nothing); both need `vm_state` active, stopped, paused or suspended with
//! no task. The `queued` image is made first (`image_catalog.rs`), then the task state
//! (`image_snapshot_pending`, `image_backup`) is claimed expecting none — an instance
//! deleted or being deleted meanwhile takes its image back and is Nova's 409 — then the
//! action is recorded and the compute's cast sent.

use serde_json::{Map, Value};

use super::compute_api::{
    check_instance_lock, claim_task, host_of, instance, record_action, ApiError, ComputeApiDeps,
};
use super::compute_api_actions::check_instance_state;
use super::image_catalog::{create_instance_image, delete_quietly, InstanceImageType};
use super::instance_state_checks::AllowedStates;
use crate::db::{ImageRow, InstanceRow};
use crate::objects::instance::instance_primitive;
use novactor::rpc::{CallError, RequestContext};

/// Nova `@check_instance_state(vm_state=[ACTIVE, STOPPED, PAUSED, SUSPENDED])` of
/// `snapshot` and `backup` (task state none, the decorator's default).
const IMAGE_ALLOWED: AllowedStates =
    AllowedStates::vm(&["active", "stopped", "paused", "suspended"]);

/// Nova's instance action names (and the action a 409 names).
const CREATE_IMAGE: &str = "createImage";
const CREATE_BACKUP: &str = "createBackup";

fn unreachable_compute(host: &str, error: &CallError) -> ApiError {
    ApiError::Unavailable(format!("could not reach {host}: {error}"))
}

/// The image made, the task state claimed (else the image is deleted again), the action
/// recorded: the instance as saved, its host and the image.
async fn prepare(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
    action: &str,
    task_state: &str,
    image: ImageRow,
) -> Result<(InstanceRow, String, ImageRow), ApiError> {
    let host = match host_of(row) {
        Ok(host) => host,
        Err(error) => {
            delete_quietly(&deps.db, &image.id).await;
            return Err(error);
        }
    };
    let row = match claim_task(deps, row, action, task_state, &[None]).await {
        Ok(row) => row,
        Err(error) => {
            delete_quietly(&deps.db, &image.id).await;
            return Err(error);
        }
    };
    record_action(deps, ctx, &row, action).await?;
    Ok((row, host, image))
}

/// Nova `API.snapshot`: a `queued` snapshot image named `name` with `metadata` among its
/// properties, task `image_snapshot_pending`, action `createImage`, `snapshot_instance`
/// to the host. Returns the image.
pub async fn snapshot(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    name: &str,
    metadata: &Map<String, Value>,
) -> Result<ImageRow, ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_state(&row, CREATE_IMAGE, IMAGE_ALLOWED)?;
    let image = create_instance_image(
        &deps.db,
        ctx,
        &row,
        name,
        InstanceImageType::Snapshot,
        metadata,
    )
    .await?;
    let (row, host, image) = prepare(
        deps,
        ctx,
        &row,
        CREATE_IMAGE,
        "image_snapshot_pending",
        image,
    )
    .await?;
    deps.compute
        .snapshot_instance(ctx, &host, instance_primitive(&row), &image.id)
        .await
        .map_err(|e| unreachable_compute(&host, &e))?;
    Ok(image)
}

/// What a valid createBackup body asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRequest {
    /// The image's name.
    pub name: String,
    /// `daily`, `weekly`, … (any text).
    pub backup_type: String,
    /// How many backups of this type to keep.
    pub rotation: u64,
    /// Extra image properties.
    pub metadata: Map<String, Value>,
}

/// Nova `API.backup`: a `queued` backup image (properties `backup_type` and the
/// metadata), task `image_backup`, action `createBackup`, `backup_instance` to the host.
pub async fn backup(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    request: BackupRequest,
) -> Result<ImageRow, ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_state(&row, CREATE_BACKUP, IMAGE_ALLOWED)?;
    let mut properties = request.metadata;
    properties.insert(
        "backup_type".into(),
        Value::String(request.backup_type.clone()),
    );
    let image = create_instance_image(
        &deps.db,
        ctx,
        &row,
        &request.name,
        InstanceImageType::Backup,
        &properties,
    )
    .await?;
    let (row, host, image) = prepare(deps, ctx, &row, CREATE_BACKUP, "image_backup", image).await?;
    deps.compute
        .backup_instance(
            ctx,
            &host,
            instance_primitive(&row),
            &image.id,
            &request.backup_type,
            request.rotation,
        )
        .await
        .map_err(|e| unreachable_compute(&host, &e))?;
    Ok(image)
}

/// Nova `API.inject_network_info` (`@check_instance_lock` only; no action recorded, as in
/// Nova): the cast to the instance's host.
pub async fn inject_network_info(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    let host = host_of(&row)?;
    deps.compute
        .inject_network_info(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| unreachable_compute(&host, &e))
}
