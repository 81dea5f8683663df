//! The api side of rebuild (Nova: `nova/compute/api.py` `API.rebuild`, in place): behind
//! `check_instance_lock` and `check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR])`,
//! the image must be one of the catalog's (400 "Cannot find image for rebuild"); the new
//! image, name, metadata, the key pair (2.54 `key_name`: the requester's, else 400 "Invalid
//! key_name provided."; null unsets it) and the other fields are saved with task state `rebuilding`
//! (expecting none), the `rebuild` action is recorded, and the conductor's
//! `rebuild_instance` takes it to the instance's host with the personality files (before
//! 2.57; their quota checked with the image, a 403 as Nova's).

use serde_json::{json, Map, Value};

use super::compute_api::{check_instance_lock, db_error, host_of, instance, record_action};
use super::compute_api::{ApiError, ComputeApiDeps};
use super::compute_api_actions::check_instance_state;
use super::image_catalog::bootable_image;
use super::injected_file_quota;
use super::instance_state_checks::AllowedStates;
use super::keypair_api::instance_key_columns;
use crate::db::InstanceRow;
use crate::objects::injected_files::InjectedFile;
use crate::objects::instance::instance_primitive;
use crate::rpcapi::compute_rebuild::RebuildRequest;
use novactor::rpc::RequestContext;

/// Nova's action name (and the action a 409 names).
const REBUILD: &str = "rebuild";

/// Nova `API.rebuild`'s `@check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR])`.
const REBUILD_ALLOWED: AllowedStates = AllowedStates::vm(&["active", "stopped", "error"]);

/// What a valid rebuild body asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebuildFields {
    /// The image id (the last path segment of `imageRef`).
    pub image: String,
    /// The guest's new admin password.
    pub password: String,
    /// Nova's `preserve_ephemeral`.
    pub preserve_ephemeral: bool,
    /// The instance columns to set (`display_name`, `metadata`, `user_data`, …).
    pub columns: Map<String, Value>,
    /// 2.54 `key_name`: `Some(Some(name))` the caller's key pair to boot with from now on,
    /// `Some(None)` none (null), `None` unchanged.
    pub key_name: Option<Option<String>>,
    /// `personality` (before 2.57): the files the rebuilt guest gets (base64).
    pub injected_files: Vec<InjectedFile>,
}

/// Nova `API.rebuild` in place.
pub async fn rebuild(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    fields: RebuildFields,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, REBUILD, REBUILD_ALLOWED)?;
    bootable_image(
        &deps.db,
        ctx,
        &fields.image,
        "Cannot find image for rebuild",
    )
    .await?;
    // Nova `_checks_for_create_and_rebuild`, after the image.
    injected_file_quota::check(&deps.injected_file_quota, &fields.injected_files)?;
    let host = host_of(&row)?;
    let orig_image_ref = row.image_ref.clone().unwrap_or_default();
    let mut columns = fields.columns;
    // Nova: the key pair is the requester's (users own keys, projects own instances).
    match &fields.key_name {
        None => {}
        Some(None) => columns.extend(instance_key_columns(None)),
        Some(Some(name)) => {
            let user_id = ctx
                .values()
                .get("user_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match deps
                .db
                .key_pair_get(user_id, name)
                .await
                .map_err(db_error)?
            {
                Some(key_pair) => columns.extend(instance_key_columns(Some(&key_pair))),
                None => return Err(ApiError::BadRequest("Invalid key_name provided.".into())),
            }
        }
    }
    columns.insert("image_ref".into(), json!(fields.image));
    columns.insert("task_state".into(), json!("rebuilding"));
    columns.insert("progress".into(), json!(0));
    let row = save_claimed(deps, &row, &columns).await?;
    record_action(deps, ctx, &row, REBUILD).await?;
    let request = RebuildRequest {
        instance: instance_primitive(&row),
        new_pass: Some(fields.password),
        injected_files: fields.injected_files,
        image_ref: fields.image,
        orig_image_ref,
        preserve_ephemeral: fields.preserve_ephemeral,
    };
    deps.compute_task
        .rebuild_instance(ctx, request)
        .await
        .map_err(|e| {
            ApiError::Unavailable(format!("could not reach the conductor for {host}: {e}"))
        })
}

/// Save `columns` with the task state, expecting none (a task that started meanwhile is
/// Nova's 409 naming the action).
async fn save_claimed(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    columns: &Map<String, Value>,
) -> Result<InstanceRow, ApiError> {
    let no_task: [Option<String>; 1] = [None];
    deps.db
        .instance_update_and_get(&row.uuid, columns, Some(&no_task), None)
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                ApiError::Conflict(format!(
                    "Cannot '{REBUILD}' instance {} while it is in task_state {}",
                    row.uuid,
                    row.task_state.as_deref().unwrap_or("unknown")
                ))
            }
            _ => db_error(error),
        })
}
