//! `resize`, `confirmResize`, `revertResize` (Nova: `servers.py` `_action_resize`,
//! `_action_confirm_resize`, `_action_revert_resize`) and `migrate` (`migrate_server.py`
//! `_migrate`): the bodies as Nova's schemas read them, the policies, and the flow layer
//! (`compute_api_resize.rs`). Replies: 202 (`confirmResize` 204), no body.
//!
//! `migrate`'s `host` is read from 2.56 (`os_compute_api:os-migrate-server:migrate:host`);
//! before, Nova's schema accepts it and its controller ignores it, and so does novactor.

use actix_web::HttpResponse;
use serde_json::Value;

use super::body::{invalid, nullable_members, object_members};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_resize::{self, MoveFields};
use crate::api::policy::defaults as policy;
use crate::api::servers::create_details::disk_config;
use crate::api::servers::lookup::visible;

/// `parameter_types.flavor_ref`: a non-empty string or an integer.
fn flavor_ref(value: &Value) -> Result<String, ApiFault> {
    match value {
        Value::String(text) if !text.is_empty() => Ok(text.clone()),
        Value::String(_) => Err(invalid("flavorRef", value, "'' is too short")),
        Value::Number(number) if number.is_i64() || number.is_u64() => Ok(number.to_string()),
        other => Err(invalid(
            "flavorRef",
            other,
            &format!("{other} is not of type 'string', 'integer'"),
        )),
    }
}

/// `migrate_server.host`: a `fqdn` (`^[a-zA-Z0-9-._]*$`, 1–255) or null.
fn migrate_host(value: &Value) -> Result<Option<String>, ApiFault> {
    match value {
        Value::Null => Ok(None),
        Value::String(host)
            if !host.is_empty()
                && host.chars().count() <= 255
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) =>
        {
            Ok(Some(host.clone()))
        }
        Value::String(_) => Err(invalid(
            "host",
            value,
            &format!("{value} does not match '^[a-zA-Z0-9-._]*$'"),
        )),
        other => Err(invalid(
            "host",
            other,
            &format!("{other} is not of type 'string', 'null'"),
        )),
    }
}

/// `resize` on server `id` → 202.
pub(super) async fn resize(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let members = object_members("resize", value, &["flavorRef", "OS-DCF:diskConfig"])?;
    let flavor_id = match members.get("flavorRef") {
        Some(flavor) => flavor_ref(flavor)?,
        None => {
            return Err(invalid(
                "resize",
                value,
                "'flavorRef' is a required property",
            ))
        }
    };
    let auto_disk_config = disk_config(members.get("OS-DCF:diskConfig"))?;
    let row = visible(&ctx, state, id, policy::SERVERS_RESIZE).await?;
    let fields = MoveFields {
        flavor_id: Some(flavor_id),
        auto_disk_config,
        host: None,
    };
    run_move(ctx, row.uuid, fields, state).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `migrate` on server `id` → 202.
pub(super) async fn migrate(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let members = nullable_members("migrate", value, &["host"])?;
    let host = match members.and_then(|m| m.get("host")) {
        Some(host) => migrate_host(host)?,
        None => None,
    };
    let host = host.filter(|_| ctx.version.at_least(56));
    let rule = if host.is_some() {
        policy::MIGRATE_SERVER_MIGRATE_HOST
    } else {
        policy::MIGRATE_SERVER_MIGRATE
    };
    let row = visible(&ctx, state, id, rule).await?;
    let fields = MoveFields {
        flavor_id: None,
        auto_disk_config: None,
        host,
    };
    run_move(ctx, row.uuid, fields, state).await?;
    Ok(HttpResponse::Accepted().finish())
}

async fn run_move(
    ctx: Ctx,
    uuid: String,
    fields: MoveFields,
    state: &ApiState,
) -> Result<(), ApiFault> {
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_resize::resize(&b.deps, &rpc, &uuid, fields)
                .await
                .map_err(ApiFault::from)
        })
        .await
}

/// `confirmResize` (→ 204) or `revertResize` (→ 202) on server `id`; their schemas take
/// any value (`'confirmResize': {}`), as Nova's do.
pub(super) async fn finish(
    ctx: Ctx,
    id: &str,
    name: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let confirm = name == "confirmResize";
    let rule = if confirm {
        policy::SERVERS_CONFIRM_RESIZE
    } else {
        policy::SERVERS_REVERT_RESIZE
    };
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            if confirm {
                compute_api_resize::confirm_resize(&b.deps, &rpc, &row.uuid).await
            } else {
                compute_api_resize::revert_resize(&b.deps, &rpc, &row.uuid).await
            }
            .map_err(ApiFault::from)
        })
        .await?;
    Ok(if confirm {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::Accepted().finish()
    })
}
