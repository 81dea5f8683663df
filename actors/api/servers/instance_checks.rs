//! The checks Nova makes on one instance before a sub-resource call, beside
//! [`lookup::visible`](super::lookup::visible): the instance even when deleted (instance
//! actions from 2.21), the instance as its mapping shows it (tags: another project's server
//! is a policy 403, not a 404), and `compute/api.py`'s `check_instance_lock` and
//! `check_instance_state` with the 409 text of `common.raise_http_conflict_for_instance_invalid_state`.

use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::db::InstanceRow;

async fn fetch(state: &ApiState, id: &str, read_deleted: bool) -> Result<InstanceRow, ApiFault> {
    let uuid = id.to_owned();
    state
        .run(move |b| async move {
            let row = if read_deleted {
                b.deps.db.instance_get_by_uuid_read_deleted(&uuid).await
            } else {
                b.deps.db.instance_get_by_uuid(&uuid).await
            };
            match row {
                Ok(row) => Ok(Some(row)),
                Err(e) if e.nova_class() == Some("InstanceNotFound") => Ok(None),
                Err(e) => Err(ApiFault::db(e)),
            }
        })
        .await?
        .ok_or_else(|| ApiFault::not_found(format!("Instance {id} could not be found.")))
}

/// The instance `id`, deleted ones included when `read_deleted` (Nova's
/// `temporary_mutation(context, read_deleted='yes')`), if this caller may see it (another
/// project's is 404) and `rule` allows them on it (else 403).
pub async fn visible_maybe_deleted(
    ctx: &Ctx,
    state: &ApiState,
    id: &str,
    rule: &str,
    read_deleted: bool,
) -> Result<InstanceRow, ApiFault> {
    let row = fetch(state, id, read_deleted).await?;
    let project = row.project_id.clone().unwrap_or_default();
    if !ctx.is_admin && (ctx.project_id.is_empty() || project != ctx.project_id) {
        return Err(ApiFault::not_found(format!(
            "Instance {id} could not be found."
        )));
    }
    ctx.authorize(rule, &project)?;
    Ok(row)
}

/// The live instance `id` checked as Nova's tag controller checks it: policy `rule` on the
/// instance mapping's project (so another project's server is 403), then the instance.
pub async fn mapped(
    ctx: &Ctx,
    state: &ApiState,
    id: &str,
    rule: &str,
) -> Result<InstanceRow, ApiFault> {
    let row = fetch(state, id, true).await.map_err(|fault| {
        if fault.status.as_u16() == 404 {
            ApiFault::not_found(format!("Instance {id} has no mapping to a cell."))
        } else {
            fault
        }
    })?;
    ctx.authorize(rule, row.project_id.as_deref().unwrap_or_default())?;
    if row.deleted != 0 {
        return Err(ApiFault::not_found(format!(
            "Instance {id} could not be found."
        )));
    }
    Ok(row)
}

/// The vm states Nova lets metadata and tags change in.
pub const EDITABLE_VM_STATES: &[&str] = &["active", "paused", "suspended", "stopped"];

/// Nova's 409 for an instance in the wrong state for `action`.
pub fn invalid_state(action: &str, id: &str, attr: &str, state: Option<&str>) -> ApiFault {
    ApiFault::conflict(format!(
        "Cannot '{action}' instance {id} while it is in {attr} {}",
        state.unwrap_or("None")
    ))
}

/// Nova `check_instance_lock` + `check_instance_state(vm_state=EDITABLE_VM_STATES,
/// task_state=None)` (must have launched), as `update_instance_metadata` and
/// `delete_instance_metadata` carry them; `action` names the call in the 409.
pub fn editable(ctx: &Ctx, row: &InstanceRow, action: &str) -> Result<(), ApiFault> {
    if row.locked_by.is_some() && !ctx.is_admin {
        return Err(ApiFault::conflict(format!(
            "Instance {} is locked",
            row.uuid
        )));
    }
    let vm_state = row.vm_state.as_deref();
    if !vm_state.is_some_and(|s| EDITABLE_VM_STATES.contains(&s)) {
        return Err(invalid_state(action, &row.uuid, "vm_state", vm_state));
    }
    if row.task_state.is_some() {
        return Err(invalid_state(
            action,
            &row.uuid,
            "task_state",
            row.task_state.as_deref(),
        ));
    }
    if row.launched_at.is_none() {
        return Err(invalid_state(action, &row.uuid, "launched_at", None));
    }
    Ok(())
}

/// From 2.102 Nova's query schemas of these reads allow no parameter at all.
pub fn refuse_query(ctx: &Ctx, req: &actix_web::HttpRequest) -> Result<(), ApiFault> {
    if ctx.version.at_least(102) {
        if let Some((name, _)) = crate::api::http::query(req)?.first() {
            return Err(ApiFault::bad_request(format!(
                "Additional properties are not allowed ('{name}' was unexpected)"
            )));
        }
    }
    Ok(())
}

/// A body `{"<key>": …}` with only `key`, as a schema with `required: [key]` and no
/// additional properties reads it.
pub fn only_key<'a>(
    body: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<&'a serde_json::Value, ApiFault> {
    if let Some(extra) = body.keys().find(|k| k.as_str() != key) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    body.get(key)
        .ok_or_else(|| ApiFault::bad_request(format!("'{key}' is a required property")))
}
