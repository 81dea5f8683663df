//! The api side of the instance flows (Nova: `nova/compute/api.py`): create
//! (`compute_api_create.rs`), delete, stop, start and reboot with Nova's
//! state checks (`instance_state_checks.rs`), `check_instance_lock` and casts. The other
//! server actions: `compute_api_actions.rs` (to the compute), `compute_api_local.rs` (the
//! API's own), `compute_api_resize.rs` (resize, cold migration, confirm, revert). The REST layer turns [`ApiError`]s into HTTP statuses.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::instance_state_checks::{invalid_state, AllowedStates};
use super::server_group_api;
use crate::conf::{InjectedFileQuota, LabNetworkConf, ServiceZones};
use crate::db::{service_is_up, InstanceRow, NovaDb, NovaDbError};
use crate::objects::instance::instance_primitive;
use crate::rpcapi::{ComputeApi, ComputeTaskApi};
use novactor::rpc::RequestContext;

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The flavor, instance, … does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The instance is in a state that does not allow this (409).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Over a quota (403, as Nova answers `OverQuota` on create).
    #[error("{0}")]
    Forbidden(String),
    /// The database or the bus failed (503 / 500).
    #[error("{0}")]
    Unavailable(String),
}

impl From<server_group_api::GroupRefusal> for ApiError {
    fn from(refusal: server_group_api::GroupRefusal) -> Self {
        use server_group_api::GroupRefusal;
        match refusal {
            GroupRefusal::NotFound(_) => ApiError::BadRequest(refusal.to_string()),
            GroupRefusal::OverQuota => ApiError::Forbidden(refusal.to_string()),
            GroupRefusal::Db(error) => ApiError::Unavailable(error.to_string()),
        }
    }
}

/// A database error as the API's: not found, conflict or unavailable.
pub(crate) fn db_error(error: NovaDbError) -> ApiError {
    match error.nova_class() {
        Some("InstanceNotFound" | "FlavorNotFound" | "FlavorNotFoundByName") => {
            ApiError::NotFound(error.to_string())
        }
        Some(
            "UnexpectedTaskStateError"
            | "UnexpectedDeletingTaskStateError"
            | "UnexpectedVMStateError",
        ) => ApiError::Conflict(error.to_string()),
        _ => ApiError::Unavailable(error.to_string()),
    }
}

/// Nova's API `status` of an instance (`nova/api/openstack/common.py` `_STATE_MAP`).
pub fn status(vm_state: Option<&str>, task_state: Option<&str>) -> &'static str {
    match (vm_state.unwrap_or(""), task_state.unwrap_or("")) {
        ("building", _) => "BUILD",
        ("active", "rebooting" | "reboot_pending" | "reboot_started") => "REBOOT",
        ("active", "rebooting_hard" | "reboot_pending_hard" | "reboot_started_hard") => {
            "HARD_REBOOT"
        }
        ("active", "updating_password") => "PASSWORD",
        (
            "active" | "stopped",
            "resize_prep" | "resize_migrating" | "resize_migrated" | "resize_finish",
        ) => "RESIZE",
        ("resized", "resize_reverting") => "REVERT_RESIZE",
        ("resized", _) => "VERIFY_RESIZE",
        ("active" | "paused", "migrating") => "MIGRATING",
        ("active", _) => "ACTIVE",
        ("stopped", "powering-on") => "SHUTOFF",
        ("stopped", _) => "SHUTOFF",
        ("error", _) => "ERROR",
        ("deleted", _) => "DELETED",
        ("paused", _) => "PAUSED",
        ("suspended", _) => "SUSPENDED",
        ("rescued", _) => "RESCUE",
        ("soft-delete", _) => "SOFT_DELETED",
        ("shelved", _) => "SHELVED",
        ("shelved_offloaded", _) => "SHELVED_OFFLOADED",
        _ => "UNKNOWN",
    }
}

/// The clients and settings the operations use.
#[derive(Debug, Clone)]
pub struct ComputeApiDeps {
    /// The database (the api has direct access).
    pub db: NovaDb,
    /// The conductor's `compute_task` client.
    pub compute_task: ComputeTaskApi,
    /// The computes' client.
    pub compute: ComputeApi,
    /// `service_down_time` (local delete when the instance's compute is down).
    pub service_down_time: Duration,
    /// The zones services are shown in.
    pub service_zones: ServiceZones,
    /// `[lab_network]`: where the servers' ports are allocated.
    pub lab_network: LabNetworkConf,
    /// `reclaim_instance_interval`: non-zero ⇒ `DELETE` soft-deletes
    /// (`compute_api_deferred_delete.rs`).
    pub reclaim_instance_interval: Duration,
    /// `[quota] key_pairs`: key pairs per user (`None`: unlimited).
    pub key_pairs_quota: Option<i64>,
    /// `[quota] injected_file*`: the personality a create or rebuild may carry.
    pub injected_file_quota: InjectedFileQuota,
    /// `allow_resize_to_same_host`: a resize may stay on its host
    /// (`compute_api_resize.rs`).
    pub allow_resize_to_same_host: bool,
}

/// The instance row, or 404.
pub(crate) async fn instance(deps: &ComputeApiDeps, uuid: &str) -> Result<InstanceRow, ApiError> {
    deps.db.instance_get_by_uuid(uuid).await.map_err(db_error)
}

/// A JSON object literal as a column map.
pub(crate) fn values(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Nova `_delete`: a SHELVED or SHELVED_OFFLOADED server's shelve snapshot
/// (`shelved_image_id`) goes with it; one already gone is only logged.
pub(crate) async fn delete_shelved_snapshot(deps: &ComputeApiDeps, row: &InstanceRow) {
    if !matches!(
        row.vm_state.as_deref(),
        Some("shelved" | "shelved_offloaded")
    ) {
        return;
    }
    let meta = row.system_metadata_json().unwrap_or(Value::Null);
    let Some(snapshot) = meta.get("shelved_image_id").and_then(Value::as_str) else {
        return;
    };
    tracing::info!(instance = %row.uuid, image = %snapshot, "Working on deleting snapshot from shelved instance");
    match deps.db.image_delete(snapshot).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(instance = %row.uuid, image = %snapshot, "Failed to delete snapshot from shelved instance: not found");
        }
        Err(error) => {
            tracing::warn!(instance = %row.uuid, image = %snapshot, %error, "Failed to delete snapshot from shelved instance");
        }
    }
}

/// Nova `API.delete`: always allowed. No host yet ⇒ the api destroys the row itself; the
/// host's compute down ⇒ local delete; else `task_state=deleting` and a
/// `terminate_instance` cast. A delete already in progress is ignored. A shelved
/// server's snapshot is deleted first.
pub async fn delete(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    // Nova `_delete`: a delete or soft delete already under way is not repeated.
    if matches!(
        row.task_state.as_deref(),
        Some("deleting" | "soft-deleting")
    ) {
        return Ok(());
    }
    delete_shelved_snapshot(deps, &row).await;
    let Some(host) = row.host.clone() else {
        // Still scheduling: the conductor re-reads the row before casting and drops it.
        deps.db
            .instance_update_and_get(uuid, &values(json!({"task_state": "deleting"})), None, None)
            .await
            .map_err(db_error)?;
        deps.db.instance_destroy(uuid).await.map_err(db_error)?;
        return Ok(());
    };
    let row = deps
        .db
        .instance_update_and_get(
            uuid,
            &values(json!({"task_state": "deleting", "progress": 0})),
            None,
            None,
        )
        .await
        .map_err(db_error)?;
    record_action(deps, ctx, &row, "delete").await?;
    let compute_up = match deps
        .db
        .service_get_by_host_and_binary(&host, "nova-compute")
        .await
    {
        Ok(Some(service)) => service_is_up(&service, deps.service_down_time, Utc::now()),
        _ => false,
    };
    if !compute_up {
        // Nova's local delete: the compute cannot do it, so the api finishes the job.
        deps.db
            .instance_update_and_get(
                uuid,
                &values(
                    json!({"vm_state": "deleted", "task_state": null, "terminated_at": Utc::now()}),
                ),
                None,
                None,
            )
            .await
            .map_err(db_error)?;
        deps.db.instance_destroy(uuid).await.map_err(db_error)?;
        return Ok(());
    }
    deps.compute
        .terminate_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}

/// Nova `check_instance_lock`: a locked instance refuses everyone but an admin (409
/// `InstanceIsLocked`).
pub(crate) fn check_instance_lock(ctx: &RequestContext, row: &InstanceRow) -> Result<(), ApiError> {
    let is_admin = ctx
        .values()
        .get("is_admin")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if row.locked_by.is_some() && !is_admin {
        return Err(ApiError::Conflict(format!(
            "Instance {} is locked",
            row.uuid
        )));
    }
    Ok(())
}

/// Nova `check_instance_state` (`instance_state_checks.rs`): 409 with Nova's text.
fn check_state(row: &InstanceRow, action: &str, allowed: AllowedStates) -> Result<(), ApiError> {
    invalid_state(row, action, allowed).map_or(Ok(()), |text| Err(ApiError::Conflict(text)))
}

fn cannot(action: &str, row: &InstanceRow) -> ApiError {
    ApiError::Conflict(format!(
        "Cannot '{action}' instance {} while it is in vm_state {}",
        row.uuid,
        row.vm_state.as_deref().unwrap_or("unknown")
    ))
}

/// Move `row` into `task_state` expecting `expected`, or a 409 naming the action.
pub(crate) async fn claim_task(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    action: &str,
    task_state: &str,
    expected: &[Option<String>],
) -> Result<InstanceRow, ApiError> {
    deps.db
        .instance_update_and_get(
            &row.uuid,
            &values(json!({"task_state": task_state, "progress": 0})),
            Some(expected),
            None,
        )
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                cannot(action, row)
            }
            _ => db_error(error),
        })
}

/// Nova `_record_action_start`: the action the compute's events are recorded under (found
/// by the request id the cast carries).
pub(crate) async fn record_action(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
    action: &str,
) -> Result<(), ApiError> {
    let text = |key: &str| ctx.values().get(key).and_then(|v| v.as_str());
    let request_id = ctx.request_id().unwrap_or("-");
    deps.db
        .action_start(
            &row.uuid,
            action,
            request_id,
            text("user_id").or(row.user_id.as_deref()),
            text("project_id").or(row.project_id.as_deref()),
        )
        .await
        .map(drop)
        .map_err(db_error)
}

/// Nova `check_instance_host`: the instance's host, or 409 `InstanceNotReady`.
pub(crate) fn host_of(row: &InstanceRow) -> Result<String, ApiError> {
    row.host
        .clone()
        .ok_or_else(|| ApiError::Conflict(format!("Instance {} is not ready", row.uuid)))
}

/// Nova `API.stop`: active or error, no task, launched.
pub async fn stop(deps: &ComputeApiDeps, ctx: &RequestContext, uuid: &str) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    let host = host_of(&row)?;
    check_state(&row, "stop", AllowedStates::vm(&["active", "error"]))?;
    let row = claim_task(deps, &row, "stop", "powering-off", &[None]).await?;
    record_action(deps, ctx, &row, "stop").await?;
    deps.compute
        .stop_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Nova `API.start`: stopped, no task.
pub async fn start(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    let host = host_of(&row)?;
    check_state(&row, "start", AllowedStates::vm(&["stopped"]))?;
    let row = claim_task(deps, &row, "start", "powering-on", &[None]).await?;
    record_action(deps, ctx, &row, "start").await?;
    deps.compute
        .start_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Nova `vm_states.ALLOW_HARD_REBOOT`.
const ALLOW_HARD_REBOOT: [&str; 5] = ["active", "stopped", "paused", "suspended", "error"];
/// Nova `task_states.ALLOW_REBOOT`: the task states a hard reboot may interrupt.
const ALLOW_REBOOT: [Option<&str>; 9] = [
    None,
    Some("rebooting"),
    Some("reboot_pending"),
    Some("reboot_started"),
    Some("resuming"),
    Some("rebooting_hard"),
    Some("unpausing"),
    Some("pausing"),
    Some("suspending"),
];

/// Nova `API.reboot`: SOFT needs active and no task; HARD allows more states.
pub async fn reboot(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    hard: bool,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    let host = host_of(&row)?;
    let row = if hard {
        check_state(
            &row,
            "reboot",
            AllowedStates::vm_and_task(&ALLOW_HARD_REBOOT, &ALLOW_REBOOT),
        )?;
        let allow: Vec<Option<String>> =
            ALLOW_REBOOT.iter().map(|s| s.map(str::to_owned)).collect();
        claim_task(deps, &row, "reboot", "rebooting_hard", &allow).await?
    } else {
        check_state(&row, "reboot", AllowedStates::vm(&["active"]))?;
        claim_task(deps, &row, "reboot", "rebooting", &[None]).await?
    };
    record_action(deps, ctx, &row, "reboot").await?;
    deps.compute
        .reboot_instance(
            ctx,
            &host,
            instance_primitive(&row),
            if hard { "HARD" } else { "SOFT" },
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::status;

    #[test]
    fn status_follows_novas_state_map() {
        assert_eq!(status(Some("building"), Some("spawning")), "BUILD");
        assert_eq!(status(Some("active"), None), "ACTIVE");
        assert_eq!(status(Some("active"), Some("powering-off")), "ACTIVE");
        assert_eq!(status(Some("active"), Some("rebooting")), "REBOOT");
        assert_eq!(
            status(Some("active"), Some("reboot_started_hard")),
            "HARD_REBOOT"
        );
        assert_eq!(status(Some("stopped"), None), "SHUTOFF");
        assert_eq!(status(Some("error"), None), "ERROR");
        assert_eq!(
            status(Some("shelved"), Some("shelving_offloading")),
            "SHELVED"
        );
        assert_eq!(status(Some("shelved_offloaded"), None), "SHELVED_OFFLOADED");
        assert_eq!(status(Some("weird"), None), "UNKNOWN");
        assert_eq!(status(Some("active"), Some("resize_prep")), "RESIZE");
        assert_eq!(status(Some("stopped"), Some("resize_finish")), "RESIZE");
        assert_eq!(status(Some("resized"), None), "VERIFY_RESIZE");
        assert_eq!(
            status(Some("resized"), Some("resize_reverting")),
            "REVERT_RESIZE"
        );
    }
}
