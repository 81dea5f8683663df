//! Deferred delete, the api side (Nova: `nova/compute/api.py` `soft_delete`, `restore`,
//! `force_delete`, `_do_soft_delete`, and `servers.py` `_delete`): with
//! `reclaim_instance_interval` set, `DELETE /servers/{id}` soft-deletes (task state
//! `soft-deleting`, `deleted_at` stamped, `soft_delete_instance` cast; the compute's
//! periodic reclaim deletes it later); `restore` brings a SOFT_DELETED server back;
//! `forceDelete` deletes at once whatever the vm state.

use chrono::Utc;
use serde_json::json;

use super::compute_api::{
    self, check_instance_lock, db_error, instance, record_action, values, ApiError, ComputeApiDeps,
};
use super::instance_state_checks::{invalid_state, AllowedStates};
use crate::db::{service_is_up, InstanceRow};
use crate::objects::instance::instance_primitive;
use novactor::rpc::RequestContext;

/// Nova `restore`: `check_instance_state(vm_state=[SOFT_DELETED])`.
const RESTORE: AllowedStates = AllowedStates::vm(&["soft-delete"]);
/// Nova `force_delete`: `check_instance_state(task_state=None, must_have_launched=False)`
/// (Nova's `task_state=None` there means "any vm state, no task").
const FORCE_DELETE: AllowedStates = AllowedStates {
    vm: None,
    task: Some(&[None]),
    must_have_launched: false,
};

fn check_state(row: &InstanceRow, action: &str, allowed: AllowedStates) -> Result<(), ApiError> {
    invalid_state(row, action, allowed).map_or(Ok(()), |text| Err(ApiError::Conflict(text)))
}

/// Whether `host`'s compute service is up (Nova's `servicegroup_api.service_is_up`).
async fn compute_is_up(deps: &ComputeApiDeps, host: &str) -> bool {
    match deps
        .db
        .service_get_by_host_and_binary(host, "nova-compute")
        .await
    {
        Ok(Some(service)) => service_is_up(&service, deps.service_down_time, Utc::now()),
        _ => false,
    }
}

/// Nova `servers.py` `_delete`: a soft delete when `reclaim_instance_interval` is set,
/// else (or for a server never launched, which Nova's `soft_delete` refuses) a delete.
pub async fn delete_server(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    if deps.reclaim_instance_interval.is_zero() {
        return compute_api::delete(deps, ctx, uuid).await;
    }
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    match row.host.clone() {
        Some(host) if row.launched_at.is_some() => soft_delete(deps, ctx, &row, &host).await,
        _ => compute_api::delete(deps, ctx, uuid).await,
    }
}

/// Nova `API.soft_delete` → `_delete(…, 'soft_delete', _do_soft_delete,
/// task_state=SOFT_DELETING, deleted_at=now)`.
async fn soft_delete(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
    host: &str,
) -> Result<(), ApiError> {
    if matches!(
        row.task_state.as_deref(),
        Some("deleting" | "soft-deleting")
    ) {
        tracing::info!(instance = %row.uuid, "Instance is already in deleting state, ignoring this request");
        return Ok(());
    }
    compute_api::delete_shelved_snapshot(deps, row).await;
    let now = Utc::now();
    let row = deps
        .db
        .instance_update_and_get(
            &row.uuid,
            &values(json!({"task_state": "soft-deleting", "deleted_at": now, "progress": 0})),
            None,
            None,
        )
        .await
        .map_err(db_error)?;
    record_action(deps, ctx, &row, "delete").await?;
    if !compute_is_up(deps, host).await {
        // Nova's local soft delete: the compute cannot power the guest off.
        deps.db
            .instance_update_and_get(
                &row.uuid,
                &values(
                    json!({"vm_state": "soft-delete", "task_state": null, "terminated_at": now}),
                ),
                None,
                None,
            )
            .await
            .map_err(db_error)?;
        return Ok(());
    }
    deps.compute
        .soft_delete_instance(ctx, host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}

/// Nova `API.restore`: SOFT_DELETED and no task; with a host `restoring` and a
/// `restore_instance` cast, without one ACTIVE at once. `deleted_at` is cleared either way.
pub async fn restore(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_state(&row, "restore", RESTORE)?;
    record_action(deps, ctx, &row, "restore").await?;
    let change = match &row.host {
        Some(_) => json!({"task_state": "restoring", "deleted_at": null}),
        None => json!({"vm_state": "active", "task_state": null, "deleted_at": null}),
    };
    let saved = deps
        .db
        .instance_update_and_get(uuid, &values(change), Some(&[None]), None)
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                ApiError::Conflict(format!(
                    "Cannot 'restore' instance {uuid} while it is in task_state {}",
                    row.task_state.as_deref().unwrap_or("None")
                ))
            }
            _ => db_error(error),
        })?;
    let Some(host) = saved.host.clone() else {
        return Ok(());
    };
    deps.compute
        .restore_instance(ctx, &host, instance_primitive(&saved))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}

/// Nova `API.force_delete`: any vm state (SOFT_DELETED included), no task; then the
/// delete a plain `DELETE` makes without soft delete.
pub async fn force_delete(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_state(&row, "forceDelete", FORCE_DELETE)?;
    compute_api::delete(deps, ctx, uuid).await
}
