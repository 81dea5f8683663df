//! `lock`, `unlock` (Nova: `lock_server.py`) → 202. From 2.73 `lock` takes
//! `{"locked_reason": <1–255 characters>}` or null (before, any value, ignored); an
//! `unlock` of a lock the other side holds (an admin's, for the owner) needs
//! `os_compute_api:os-lock-server:unlock:unlock_override`.

use actix_web::HttpResponse;
use serde_json::Value;

use super::body::{invalid, nullable_members};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_local;
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// Nova `lock_v273`'s `locked_reason`: a string of 1 to 255 characters.
const LOCKED_REASON_MAX: usize = 255;

/// The lock reason of a 2.73+ body.
fn locked_reason(value: &Value) -> Result<Option<String>, ApiFault> {
    let Some(map) = nullable_members("lock", value, &["locked_reason"])? else {
        return Ok(None);
    };
    match map.get("locked_reason") {
        None => Ok(None),
        Some(Value::String(reason)) => {
            let chars = reason.chars().count();
            if chars == 0 {
                Err(invalid("locked_reason", value, "'' is too short"))
            } else if chars > LOCKED_REASON_MAX {
                Err(invalid(
                    "locked_reason",
                    value,
                    &format!("'{reason}' is too long"),
                ))
            } else {
                Ok(Some(reason.clone()))
            }
        }
        Some(other) => Err(invalid(
            "locked_reason",
            value,
            &format!("{other} is not of type 'string'"),
        )),
    }
}

/// `lock` on server `id`.
pub(super) async fn lock(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let reason = if ctx.version.at_least(73) {
        locked_reason(value)?
    } else {
        None
    };
    let row = visible(&ctx, state, id, policy::LOCK_SERVER_LOCK).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_local::lock(&b.deps, &rpc, &row.uuid, reason.as_deref())
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `unlock` on server `id`.
pub(super) async fn unlock(ctx: Ctx, id: &str, state: &ApiState) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, state, id, policy::LOCK_SERVER_UNLOCK).await?;
    let rpc = ctx.rpc_context();
    if !compute_api_local::is_expected_locked_by(&rpc, &row) {
        let project = row.project_id.clone().unwrap_or_default();
        ctx.authorize(policy::LOCK_SERVER_UNLOCK_OVERRIDE, &project)?;
    }
    state
        .run(move |b| async move {
            compute_api_local::unlock(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
