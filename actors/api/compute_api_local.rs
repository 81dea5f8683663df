//! The server actions the API carries out itself, with no compute involved (Nova:
//! `nova/compute/api.py` `lock`, `unlock`, `is_expected_locked_by`; `admin_actions.py`
//! `_reset_state`; `server_password.py` with `nova/api/metadata/password.py`).
//!
//! The lock reason and the server password live in `instances.system_metadata`, under
//! Nova's keys: `locked_reason`, and the password as `password_0` … `password_3` (chunks of
//! 255 characters, joined in key order when read).

use serde_json::{json, Map, Value};

use super::compute_api::{db_error, instance, record_action, values, ApiError, ComputeApiDeps};
use crate::db::InstanceRow;
use novactor::rpc::RequestContext;

/// Nova `system_metadata['locked_reason']`.
const LOCKED_REASON: &str = "locked_reason";
/// Nova `nova/api/metadata/password.py` `CHUNKS`: the password keys a clear writes.
const PASSWORD_CHUNKS: usize = 4;

fn text<'a>(ctx: &'a RequestContext, key: &str) -> Option<&'a str> {
    ctx.values().get(key).and_then(Value::as_str)
}

/// The system metadata of `row` as a map (empty when unset or not an object).
pub(crate) fn system_metadata(row: &InstanceRow) -> Map<String, Value> {
    match row.system_metadata_json() {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The row after a write the API makes itself (`os-resetState`, lock, password clear).
async fn update(
    deps: &ComputeApiDeps,
    uuid: &str,
    values: Map<String, Value>,
) -> Result<InstanceRow, ApiError> {
    deps.db
        .instance_update_and_get(uuid, &values, None, None)
        .await
        .map_err(db_error)
}

/// Nova's lock reason of `row`, if it has one.
pub fn locked_reason(row: &InstanceRow) -> Option<String> {
    system_metadata(row)
        .get(LOCKED_REASON)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Nova `wrap_instance_event(prefix='api')`: the API's own work recorded as event
/// `api_<name>` of the request's action. A record that fails is logged, not raised.
async fn api_event(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    event: &str,
    work: impl std::future::Future<Output = Result<InstanceRow, ApiError>>,
) -> Result<InstanceRow, ApiError> {
    let request_id = ctx.request_id().unwrap_or("-");
    if let Err(error) = deps
        .db
        .action_event_start(uuid, request_id, event, None)
        .await
    {
        tracing::warn!(instance = %uuid, event, %error, "could not record the instance action event");
    }
    let outcome = work.await;
    let (result, failure) = match &outcome {
        Ok(_) => ("Success", None),
        Err(error) => ("Error", Some(error.to_string())),
    };
    if let Err(error) = deps
        .db
        .action_event_finish(uuid, request_id, event, result, failure.as_deref(), None)
        .await
    {
        tracing::warn!(instance = %uuid, event, %error, "could not record the instance action event");
    }
    outcome
}

/// Nova `API.lock`: `locked_by` is `owner` when the caller's project owns the instance,
/// else `admin`; an owner's lock of a locked instance changes nothing (an admin's
/// re-lock takes the lock over). `reason` (2.73) is kept as `locked_reason`.
pub async fn lock(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let is_owner = row.project_id.as_deref() == text(ctx, "project_id");
    if row.locked_by.is_some() && is_owner {
        return Ok(());
    }
    record_action(deps, ctx, &row, "lock").await?;
    let mut changes = values(json!({"locked_by": if is_owner { "owner" } else { "admin" }}));
    if let Some(reason) = reason.filter(|r| !r.is_empty()) {
        let mut meta = system_metadata(&row);
        meta.insert(LOCKED_REASON.into(), json!(reason));
        changes.insert("system_metadata".into(), Value::Object(meta));
    }
    tracing::debug!(instance = %uuid, "Locking");
    api_event(deps, ctx, uuid, "api_lock", update(deps, uuid, changes))
        .await
        .map(drop)
}

/// Nova `API.is_expected_locked_by`: false when the lock is the other side's (an owner
/// meeting an admin's lock, or an admin of another project meeting the owner's).
pub fn is_expected_locked_by(ctx: &RequestContext, row: &InstanceRow) -> bool {
    let is_owner = row.project_id.as_deref() == text(ctx, "project_id");
    let expected = if is_owner { "owner" } else { "admin" };
    match row.locked_by.as_deref() {
        Some(locked_by) => locked_by == expected,
        None => true,
    }
}

/// Nova `API.unlock`: no lock, no reason.
pub async fn unlock(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    record_action(deps, ctx, &row, "unlock").await?;
    let mut changes = values(json!({"locked_by": null}));
    let mut meta = system_metadata(&row);
    if meta.remove(LOCKED_REASON).is_some() {
        changes.insert("system_metadata".into(), Value::Object(meta));
    }
    tracing::debug!(instance = %uuid, "Unlocking");
    api_event(deps, ctx, uuid, "api_unlock", update(deps, uuid, changes))
        .await
        .map(drop)
}

/// Nova `_reset_state` (`os-resetState`): action `resetState`, then `vm_state` as asked
/// and no task, whatever the instance was doing (`admin_state_reset=True`).
pub async fn reset_state(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    vm_state: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    record_action(deps, ctx, &row, "resetState").await?;
    update(
        deps,
        uuid,
        values(json!({"vm_state": vm_state, "task_state": null})),
    )
    .await
    .map(drop)
}

/// Nova `password.extract_password`: the `password_<n>` keys joined in key order, empty
/// when none are set.
pub fn server_password(row: &InstanceRow) -> String {
    let meta = system_metadata(row);
    let mut keys: Vec<&String> = meta.keys().filter(|k| k.starts_with("password_")).collect();
    keys.sort();
    keys.into_iter()
        .filter_map(|k| meta.get(k).and_then(Value::as_str))
        .collect()
}

/// Nova `ServerPasswordController.clear`: `password_0` … `password_3` set to `""`
/// (`convert_password(context, None)`); the guest's own password is not changed.
pub async fn clear_server_password(deps: &ComputeApiDeps, uuid: &str) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let mut meta = system_metadata(&row);
    for chunk in 0..PASSWORD_CHUNKS {
        meta.insert(format!("password_{chunk}"), json!(""));
    }
    update(
        deps,
        uuid,
        values(json!({"system_metadata": Value::Object(meta)})),
    )
    .await
    .map(drop)
}
