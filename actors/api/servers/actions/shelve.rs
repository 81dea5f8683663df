//! `shelve`, `shelveOffload`, `unshelve` (Nova: `shelve.py`, `schemas/shelve.py`) → 202.
//! `shelve` and `shelveOffload` take any value; `unshelve` takes any value before 2.77,
//! null or `{"availability_zone": <name>}` from 2.77, and null or an object with
//! `availability_zone` (a name or null) and/or `host` from 2.91.

use actix_web::HttpResponse;
use serde_json::Value;

use super::body::{invalid, nullable_members};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_shelve::{self, UnshelveRequest};
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// `shelve` on server `id`.
pub(super) async fn shelve(ctx: Ctx, id: &str, state: &ApiState) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, state, id, policy::SHELVE_SHELVE).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_shelve::shelve(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `shelveOffload` on server `id`.
pub(super) async fn shelve_offload(
    ctx: Ctx,
    id: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, state, id, policy::SHELVE_OFFLOAD).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_shelve::shelve_offload(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Nova `parameter_types.name`: 1 to 255 characters, no leading or trailing whitespace.
fn zone_name(value: &Value) -> Result<String, ApiFault> {
    let field = "availability_zone";
    let Value::String(text) = value else {
        return Err(invalid(
            field,
            value,
            &format!("{value} is not of type 'string'"),
        ));
    };
    let length = text.chars().count();
    if length == 0 {
        return Err(invalid(field, value, &format!("{value} is too short")));
    }
    if length > 255 {
        return Err(invalid(field, value, &format!("{value} is too long")));
    }
    if text.trim() != text || text.chars().any(char::is_control) {
        return Err(invalid(
            field,
            value,
            &format!("{value} does not match '^(?! )[\\x20-\\x7e\\u00a0-\\uffff]*(?<! )$'"),
        ));
    }
    Ok(text.clone())
}

/// An `unshelve` value as Nova's schema of `ctx.version` reads it: the zone (absent,
/// or a zone / 2.91's null) and the host.
fn parse_unshelve(ctx: &Ctx, value: &Value) -> Result<UnshelveRequest, ApiFault> {
    let mut request = UnshelveRequest::default();
    if !ctx.version.at_least(77) {
        // `schema.unshelve`: any value, nothing read.
        return Ok(request);
    }
    if !ctx.version.at_least(91) {
        let Some(members) = nullable_members("unshelve", value, &["availability_zone"])? else {
            return Ok(request);
        };
        let zone = members.get("availability_zone").ok_or_else(|| {
            invalid(
                "unshelve",
                value,
                "'availability_zone' is a required property",
            )
        })?;
        request.new_az = Some(Some(zone_name(zone)?));
        return Ok(request);
    }
    let Some(members) = nullable_members("unshelve", value, &["availability_zone", "host"])? else {
        return Ok(request);
    };
    match members.get("availability_zone") {
        None => {}
        Some(Value::Null) => request.new_az = Some(None),
        Some(Value::String(zone)) => request.new_az = Some(Some(zone.clone())),
        Some(other) => {
            return Err(invalid(
                "availability_zone",
                other,
                &format!("{other} is not of type 'string', 'null'"),
            ))
        }
    }
    match members.get("host") {
        None => {}
        Some(Value::String(host)) => request.host = Some(host.clone()),
        Some(other) => {
            return Err(invalid(
                "host",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    }
    // Nova reads `{"unshelve": {}}` as no body at all (`if unshelve_dict:`).
    Ok(request)
}

/// `unshelve` on server `id`.
pub(super) async fn unshelve(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let mut request = parse_unshelve(&ctx, value)?;
    let row = visible(&ctx, state, id, policy::SHELVE_UNSHELVE).await?;
    if request.host.is_some() {
        let project = row.project_id.clone().unwrap_or_default();
        request.to_host_refusal = ctx
            .authorize(policy::SHELVE_UNSHELVE_TO_HOST, &project)
            .err()
            .map(|fault| fault.message);
    }
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_shelve::unshelve(&b.deps, &rpc, &row.uuid, request)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
