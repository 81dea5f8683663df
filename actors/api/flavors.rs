//! `/v2.1/flavors` (Nova: `api/openstack/compute/flavors.py`, `views/flavors.py`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{ok, page, param, query};
use super::policy::defaults as policy;
use crate::db::FlavorRow;

fn links(ctx: &Ctx, id: &str) -> Value {
    json!([
        {"rel": "self", "href": ctx.href(&format!("flavors/{id}"))},
        {"rel": "bookmark", "href": ctx.bookmark(&format!("flavors/{id}"))},
    ])
}

fn brief(ctx: &Ctx, f: &FlavorRow) -> Value {
    let mut view = json!({"id": f.flavorid, "name": f.name, "links": links(ctx, &f.flavorid)});
    if ctx.version.at_least(55) {
        view["description"] = json!(f.description);
    }
    view
}

/// The detail view at the request's version (Nova `views/flavors.py` `show`): `description`
/// from 2.55, `extra_specs` from 2.61 (as policy allows; novactor's flavors have none),
/// `swap` 0 rather than `""` from 2.75, no `disabled`/`rxtx_factor` from 2.102.
pub fn detail_view(ctx: &Ctx, f: &FlavorRow) -> Value {
    let swap = if f.swap == 0 && !ctx.version.at_least(75) {
        json!("")
    } else {
        json!(f.swap)
    };
    let mut view = json!({
        "id": f.flavorid, "name": f.name, "ram": f.memory_mb, "disk": f.root_gb.unwrap_or(0),
        "swap": swap, "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "vcpus": f.vcpus, "os-flavor-access:is_public": f.is_public,
        "links": links(ctx, &f.flavorid),
    });
    if !ctx.version.at_least(102) {
        view["OS-FLV-DISABLED:disabled"] = json!(f.disabled);
        view["rxtx_factor"] = json!(f.rxtx_factor);
    }
    if ctx.version.at_least(55) {
        view["description"] = json!(f.description);
    }
    if ctx.version.at_least(61) && ctx.can(policy::FLAVOR_EXTRA_SPECS_INDEX, &ctx.project_id) {
        view["extra_specs"] = json!({});
    }
    view
}

/// oslo `strutils.bool_from_string(strict=True)`.
fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "on" | "y" | "yes" => Some(true),
        "0" | "f" | "false" | "off" | "n" | "no" => Some(false),
        _ => None,
    }
}

async fn filtered(
    ctx: &Ctx,
    req: &HttpRequest,
    state: &ApiState,
) -> Result<Vec<FlavorRow>, ApiFault> {
    let pairs = query(req)?;
    // Nova `_get_flavors`: admins choose (absent ⇒ public, none ⇒ all); others see public, enabled.
    let is_public =
        if ctx.is_admin {
            match param(&pairs, "is_public") {
                None => Some(true),
                Some(v) if v.eq_ignore_ascii_case("none") => None,
                Some(v) => Some(parse_bool(v).ok_or_else(|| {
                    ApiFault::bad_request(format!("Invalid is_public filter [{v}]"))
                })?),
            }
        } else {
            Some(true)
        };
    let min = |key: &str| -> Result<Option<i64>, ApiFault> {
        param(&pairs, key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiFault::bad_request(format!("Invalid {key} filter [{v}]")))
            })
            .transpose()
    };
    let (min_ram, min_disk) = (min("minRam")?, min("minDisk")?);
    let admin = ctx.is_admin;
    let rows = state
        .run(move |b| async move { b.deps.db.flavor_list(is_public).await.map_err(ApiFault::db) })
        .await?;
    let rows = rows
        .into_iter()
        .filter(|f| admin || !f.disabled)
        .filter(|f| min_ram.is_none_or(|m| f.memory_mb >= m))
        .filter(|f| min_disk.is_none_or(|m| f.root_gb.unwrap_or(0) >= m))
        .collect();
    page(rows, &pairs, |f| f.flavorid.as_str())
}

/// `GET /flavors`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let rows = filtered(&ctx, &req, &state).await?;
    Ok(ok(
        json!({"flavors": rows.iter().map(|f| brief(&ctx, f)).collect::<Vec<_>>()}),
    ))
}

/// `GET /flavors/detail`.
pub async fn detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let rows = filtered(&ctx, &req, &state).await?;
    Ok(ok(
        json!({"flavors": rows.iter().map(|f| detail_view(&ctx, f)).collect::<Vec<_>>()}),
    ))
}

/// `GET /flavors/{id}`: by flavorid, then (a [novactor] convenience) by name.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let id = id.into_inner();
    let wanted = id.clone();
    let row = state
        .run(move |b| async move {
            match b.deps.db.flavor_get_by_flavor_id(&wanted).await {
                Ok(row) => Ok(Some(row)),
                Err(e) if e.nova_class() == Some("FlavorNotFound") => {
                    match b.deps.db.flavor_get_by_name(&wanted).await {
                        Ok(row) => Ok(Some(row)),
                        Err(e) if e.nova_class() == Some("FlavorNotFoundByName") => Ok(None),
                        Err(e) => Err(ApiFault::db(e)),
                    }
                }
                Err(e) => Err(ApiFault::db(e)),
            }
        })
        .await?
        .ok_or_else(|| ApiFault::not_found(format!("Flavor {id} could not be found.")))?;
    Ok(ok(json!({"flavor": detail_view(&ctx, &row)})))
}
