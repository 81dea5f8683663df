//! `GET /servers` and `GET /servers/detail` (Nova: `servers.py` `index`, `detail`): the
//! caller's instances, filtered by the query as Nova's `_get_servers` does, paged.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::lookup::extras;
use super::views::{brief_view, detail_view};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api;
use crate::api::http::{ok, page, param, query};
use crate::api::policy::defaults as policy;
use crate::db::InstanceRow;

/// Live instances, newest first (Nova's default sort `created_at desc`).
async fn all_instances(state: &ApiState) -> Result<Vec<InstanceRow>, ApiFault> {
    // NOTE: NovaDb has no "list instances" function yet; this is Nova's instance_get_all
    // without filters, read through the runtime database (filters apply in memory).
    state
        .run(|b| async move {
            b.deps
                .db
                .database()
                .fetch_all::<InstanceRow>(
                    "SELECT * FROM instances WHERE deleted = 0 ORDER BY created_at DESC, id DESC",
                    &[],
                )
                .await
                .map_err(|e| ApiFault::db(e.into()))
        })
        .await
}

const STATUSES: &[&str] = &[
    "ACTIVE",
    "BUILD",
    "REBOOT",
    "HARD_REBOOT",
    "SHUTOFF",
    "ERROR",
    "DELETED",
    "PAUSED",
    "SUSPENDED",
    "UNKNOWN",
];

/// The rows a list request selects: own project unless `all_tenants` is asked (and allowed),
/// then `name` (regex), `status`, `host`, `image`, `flavor`, `reservation_id`.
async fn selected(
    ctx: &Ctx,
    req: &HttpRequest,
    state: &ApiState,
    detail: bool,
) -> Result<Vec<InstanceRow>, ApiFault> {
    let (rule, all_tenants_rule) = if detail {
        (policy::SERVERS_DETAIL, policy::SERVERS_DETAIL_ALL_TENANTS)
    } else {
        (policy::SERVERS_INDEX, policy::SERVERS_INDEX_ALL_TENANTS)
    };
    ctx.authorize_own(rule)?;
    let pairs = query(req)?;
    let all_tenants = param(&pairs, "all_tenants").is_some_and(|v| {
        !matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "f" | "no" | "off"
        )
    });
    // Nova: asking for every project's servers without the right is a 403, not a quiet
    // narrowing to one's own.
    if all_tenants {
        ctx.authorize_own(all_tenants_rule)?;
    }
    let name = param(&pairs, "name")
        .map(|n| {
            regex::Regex::new(n)
                .map_err(|e| ApiFault::bad_request(format!("Invalid name filter: {e}")))
        })
        .transpose()?;
    let status = param(&pairs, "status").map(str::to_ascii_uppercase);
    if let Some(status) = &status {
        if !STATUSES.contains(&status.as_str()) && ctx.version.at_least(38) {
            return Err(ApiFault::bad_request(format!(
                "Invalid status value: {status}"
            )));
        }
    }
    let host = param(&pairs, "host")
        .filter(|_| ctx.can(policy::SERVERS_ALLOW_ALL_FILTERS, &ctx.project_id));
    let image = param(&pairs, "image");
    let reservation = param(&pairs, "reservation_id");
    let flavor = param(&pairs, "flavor");
    let rows = all_instances(state).await?;
    let rows = rows
        .into_iter()
        .filter(|r| all_tenants || r.project_id.as_deref() == Some(ctx.project_id.as_str()))
        .filter(|r| {
            name.as_ref()
                .is_none_or(|re| re.is_match(r.display_name.as_deref().unwrap_or("")))
        })
        .filter(|r| {
            status.as_deref().is_none_or(|s| {
                compute_api::status(r.vm_state.as_deref(), r.task_state.as_deref()) == s
            })
        })
        .filter(|r| host.is_none_or(|h| r.host.as_deref() == Some(h)))
        .filter(|r| image.is_none_or(|i| r.image_ref.as_deref() == Some(i)))
        .filter(|r| reservation.is_none_or(|i| r.reservation_id.as_deref() == Some(i)))
        .filter(|r| {
            flavor.is_none_or(|f| {
                r.flavor_json()
                    .ok()
                    .and_then(|v| v.get("flavorid").and_then(Value::as_str).map(|id| id == f))
                    .unwrap_or(false)
            })
        })
        .collect();
    page(rows, &pairs, |r| r.uuid.as_str())
}

/// `GET /servers`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let rows = selected(&ctx, &req, &state, false).await?;
    let servers: Vec<Value> = rows.iter().map(|r| brief_view(&ctx, r)).collect();
    Ok(ok(json!({"servers": servers})))
}

/// `GET /servers/detail`.
pub async fn detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let rows = selected(&ctx, &req, &state, true).await?;
    let extras = extras(&state, &rows).await?;
    let servers: Vec<Value> = rows
        .iter()
        .zip(&extras)
        .map(|(r, e)| detail_view(&ctx, r, e))
        .collect();
    Ok(ok(json!({"servers": servers})))
}
