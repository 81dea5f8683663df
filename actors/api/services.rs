//! Admin resources: `/os-services` (Nova: `api/openstack/compute/services.py`, list and
//! the 2.53 `PUT /os-services/{uuid}` plus the legacy `PUT /os-services/{action}`),
//! `/os-hypervisors` (`hypervisors.py`: list, detail, show, uptime) and an empty
//! `/os-aggregates`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::api_fault::ApiFault;
use super::auth::Ctx;
use super::server::{json_body, ok, page, param, query, ApiState};
use crate::db::{service_is_up, ComputeNodeRow, ServiceChanges, ServiceKey, ServiceRow};

fn is_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

fn service_view(ctx: &Ctx, row: &ServiceRow, up: bool) -> Value {
    let mut v = json!({
        "id": if ctx.version.at_least(53) { json!(row.uuid) } else { json!(row.id) },
        "binary": row.binary, "host": row.host,
        "zone": if row.binary == "nova-compute" { "nova" } else { "internal" },
        "status": if row.disabled { "disabled" } else { "enabled" },
        "state": if up { "up" } else { "down" },
        "updated_at": row.updated_at.or(row.created_at).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        "disabled_reason": row.disabled_reason,
    });
    if ctx.version.at_least(11) {
        v["forced_down"] = json!(row.forced_down);
    }
    v
}

/// `GET /os-services[?host=&binary=]`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.require_admin("os_compute_api:os-services:list")?;
    let pairs = query(&req)?;
    let host = param(&pairs, "host").map(str::to_owned);
    let binary = param(&pairs, "binary").map(str::to_owned);
    let (rows, down_time) = state
        .run(move |b| async move {
            let rows = b
                .deps
                .db
                .service_list(host.as_deref(), binary.as_deref())
                .await
                .map_err(ApiFault::db)?;
            Ok((rows, b.deps.service_down_time))
        })
        .await?;
    let now = Utc::now();
    let services: Vec<Value> = rows
        .iter()
        .map(|r| service_view(&ctx, r, service_is_up(r, down_time, now)))
        .collect();
    Ok(ok(json!({"services": services})))
}

/// `PUT /os-services/{id}`: at 2.53+ `id` is the service uuid; below, `id` is one of the
/// legacy actions (`enable`, `disable`, `disable-log-reason`, `force-down`).
pub async fn update(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.require_admin("os_compute_api:os-services:update")?;
    let id = id.into_inner();
    let body = json_body(&body)?;
    if !ctx.version.at_least(53) {
        return legacy_update(&ctx, &id, &body, &state).await;
    }
    if let Some(extra) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "disabled_reason" | "forced_down"))
    {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let status = match body.get("status") {
        None => None,
        Some(Value::String(s)) if s == "enabled" || s == "disabled" => Some(s.clone()),
        Some(v) => return Err(ApiFault::bad_request(format!("Invalid input for field/attribute status. Value: {v}. {v} is not one of ['enabled', 'disabled']"))),
    };
    let reason = match body.get("disabled_reason") {
        None => None,
        Some(Value::String(r)) if !r.is_empty() && r.chars().count() <= 255 => Some(r.clone()),
        Some(v) => return Err(ApiFault::bad_request(format!("Invalid input for field/attribute disabled_reason. Value: {v}. It must be a string of 1 to 255 characters"))),
    };
    let forced_down = match body.get("forced_down") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => return Err(ApiFault::bad_request(format!("Invalid input for field/attribute forced_down. Value: {v}. {v} is not of type 'boolean'"))),
    };
    if !is_uuid(&id) {
        return Err(ApiFault::bad_request(format!("Invalid uuid {id}")));
    }
    let wanted = id.clone();
    let service = state
        .run(move |b| async move {
            let rows = b
                .deps
                .db
                .service_list(None, None)
                .await
                .map_err(ApiFault::db)?;
            Ok(rows.into_iter().find(|r| r.uuid == wanted))
        })
        .await?
        .ok_or_else(|| ApiFault::not_found(format!("Service {id} could not be found.")))?;
    if service.binary != "nova-compute" {
        return Err(ApiFault::bad_request(format!(
            "Updating a {} service is not supported. Only nova-compute services can be updated.",
            service.binary
        )));
    }
    if status.as_deref() == Some("enabled") && reason.is_some() {
        return Err(ApiFault::bad_request(
            "Specifying 'disabled_reason' with status 'enabled' is invalid.",
        ));
    }
    if status.is_none() && forced_down.is_none() {
        return Err(ApiFault::bad_request(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
        ));
    }
    let changes = ServiceChanges {
        disabled: status.as_deref().map(|s| s == "disabled"),
        disabled_reason: match status.as_deref() {
            Some("disabled") => Some(reason),
            Some(_) => Some(None),
            None => None,
        },
        forced_down,
    };
    let (row, down_time) = state
        .run(move |b| async move {
            let row = b
                .deps
                .db
                .service_set(ServiceKey::Id(service.id), &changes)
                .await
                .map_err(ApiFault::db)?;
            Ok((row, b.deps.service_down_time))
        })
        .await?;
    let up = service_is_up(&row, down_time, Utc::now());
    Ok(ok(json!({"service": service_view(&ctx, &row, up)})))
}

async fn legacy_update(
    ctx: &Ctx,
    action: &str,
    body: &serde_json::Map<String, Value>,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(host), Some(binary)) = (text("host"), text("binary")) else {
        return Err(ApiFault::bad_request(
            "Invalid input: 'host' and 'binary' are required properties",
        ));
    };
    let (changes, mut view) = match action {
        "enable" => (
            ServiceChanges {
                disabled: Some(false),
                disabled_reason: Some(None),
                forced_down: None,
            },
            json!({"status": "enabled"}),
        ),
        "disable" => (
            ServiceChanges {
                disabled: Some(true),
                disabled_reason: None,
                forced_down: None,
            },
            json!({"status": "disabled"}),
        ),
        "disable-log-reason" => {
            let reason = text("disabled_reason")
                .ok_or_else(|| ApiFault::bad_request("Missing disabled reason field"))?;
            (
                ServiceChanges {
                    disabled: Some(true),
                    disabled_reason: Some(Some(reason.clone())),
                    forced_down: None,
                },
                json!({"status": "disabled", "disabled_reason": reason}),
            )
        }
        "force-down" if ctx.version.at_least(11) => {
            let down = body
                .get("forced_down")
                .and_then(Value::as_bool)
                .ok_or_else(|| ApiFault::bad_request("forced_down must be a boolean"))?;
            (
                ServiceChanges {
                    disabled: None,
                    disabled_reason: None,
                    forced_down: Some(down),
                },
                json!({"forced_down": down}),
            )
        }
        _ => return Err(ApiFault::not_found(format!("Unknown action: {action}"))),
    };
    let (h, bin) = (host.clone(), binary.clone());
    state
        .run(move |b| async move {
            b.deps
                .db
                .service_set(
                    ServiceKey::HostBinary {
                        host: &h,
                        binary: &bin,
                    },
                    &changes,
                )
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    view["host"] = json!(host);
    view["binary"] = json!(binary);
    Ok(ok(json!({"service": view})))
}

/// A compute node with its service and whether that is up.
type Hypervisor = (ComputeNodeRow, Option<ServiceRow>, bool);

async fn hypervisors(state: &ApiState) -> Result<Vec<Hypervisor>, ApiFault> {
    state
        .run(|b| async move {
            let nodes = b
                .deps
                .db
                .compute_node_get_all()
                .await
                .map_err(ApiFault::db)?;
            let mut out = Vec::new();
            let now = Utc::now();
            for node in nodes {
                let service = match &node.host {
                    Some(host) => b
                        .deps
                        .db
                        .service_get_by_host_and_binary(host, "nova-compute")
                        .await
                        .map_err(ApiFault::db)?,
                    None => None,
                };
                let up = service
                    .as_ref()
                    .is_some_and(|s| service_is_up(s, b.deps.service_down_time, now));
                out.push((node, service, up));
            }
            Ok(out)
        })
        .await
}

fn hypervisor_brief(ctx: &Ctx, (node, service, up): &Hypervisor) -> Value {
    json!({
        "id": if ctx.version.at_least(53) { json!(node.uuid) } else { json!(node.id) },
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": if *up { "up" } else { "down" },
        "status": if service.as_ref().is_some_and(|s| s.disabled) { "disabled" } else { "enabled" },
    })
}

fn hypervisor_detail_view(ctx: &Ctx, h: &Hypervisor) -> Value {
    let (node, service, _) = h;
    let mut v = hypervisor_brief(ctx, h);
    let cpu_info: Value = if ctx.version.at_least(28) {
        serde_json::from_str(&node.cpu_info).unwrap_or(json!({}))
    } else {
        json!(node.cpu_info)
    };
    let extra = json!({
        "hypervisor_type": node.hypervisor_type, "hypervisor_version": node.hypervisor_version, "host_ip": node.host_ip,
        "service": {
            "host": node.host,
            "id": service.as_ref().map(|s| if ctx.version.at_least(53) { json!(s.uuid) } else { json!(s.id) }),
            "disabled_reason": service.as_ref().and_then(|s| s.disabled_reason.clone()),
        },
        "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
        "vcpus_used": node.vcpus_used, "memory_mb_used": node.memory_mb_used, "local_gb_used": node.local_gb_used,
        "free_ram_mb": node.free_ram_mb, "free_disk_gb": node.free_disk_gb, "current_workload": node.current_workload,
        "running_vms": node.running_vms, "disk_available_least": node.disk_available_least, "cpu_info": cpu_info,
    });
    if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
        v.extend(extra);
    }
    v
}

async fn listed(
    ctx: &Ctx,
    req: &HttpRequest,
    state: &ApiState,
) -> Result<Vec<Hypervisor>, ApiFault> {
    ctx.require_admin("os_compute_api:os-hypervisors:list")?;
    let pairs = query(req)?;
    let pattern = param(&pairs, "hypervisor_hostname_pattern").map(str::to_owned);
    let all = hypervisors(state).await?;
    let all: Vec<Hypervisor> = all
        .into_iter()
        .filter(|(n, _, _)| {
            pattern
                .as_deref()
                .is_none_or(|p| n.hypervisor_hostname.as_deref().unwrap_or("").contains(p))
        })
        .collect();
    page(all, &pairs, |(n, _, _)| n.uuid.as_str())
}

/// `GET /os-hypervisors`.
pub async fn hypervisor_list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let all = listed(&ctx, &req, &state).await?;
    Ok(ok(
        json!({"hypervisors": all.iter().map(|h| hypervisor_brief(&ctx, h)).collect::<Vec<_>>()}),
    ))
}

/// `GET /os-hypervisors/detail`.
pub async fn hypervisor_detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let all = listed(&ctx, &req, &state).await?;
    Ok(ok(
        json!({"hypervisors": all.iter().map(|h| hypervisor_detail_view(&ctx, h)).collect::<Vec<_>>()}),
    ))
}

async fn one(ctx: &Ctx, state: &ApiState, id: &str) -> Result<Hypervisor, ApiFault> {
    ctx.require_admin("os_compute_api:os-hypervisors:show")?;
    if ctx.version.at_least(53) && !is_uuid(id) {
        return Err(ApiFault::bad_request(format!("Invalid uuid {id}")));
    }
    hypervisors(state)
        .await?
        .into_iter()
        .find(|(n, _, _)| n.uuid == id || n.id.to_string() == id)
        .ok_or_else(|| {
            ApiFault::not_found(format!("Hypervisor with ID '{id}' could not be found."))
        })
}

/// `GET /os-hypervisors/{id}`.
pub async fn hypervisor_show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let h = one(&ctx, &state, &id).await?;
    Ok(ok(json!({"hypervisor": hypervisor_detail_view(&ctx, &h)})))
}

/// `GET /os-hypervisors/{id}/uptime`: the RPC call `get_host_uptime` to the node's host.
pub async fn hypervisor_uptime(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let h = one(&ctx, &state, &id).await?;
    let host = h.0.host.clone().unwrap_or_default();
    if !h.2 {
        return Err(ApiFault::bad_request(format!(
            "Compute service of {host} is unavailable at this time."
        )));
    }
    let rpc = ctx.rpc_context();
    let uptime = state
        .run(move |b| async move {
            b.deps
                .compute
                .get_host_uptime(&rpc, &host)
                .await
                .map_err(|e| ApiFault {
                    detail: Some(e.to_string()),
                    ..ApiFault::unavailable(format!(
                        "Compute service of {host} did not answer get_host_uptime."
                    ))
                })
        })
        .await?;
    let mut v = hypervisor_brief(&ctx, &h);
    v["uptime"] = match uptime {
        Value::String(s) => json!(s),
        other => json!(other.to_string()),
    };
    Ok(ok(json!({"hypervisor": v})))
}

/// `GET /os-aggregates`: none in this slice.
pub async fn aggregates(ctx: Ctx) -> Result<HttpResponse, ApiFault> {
    ctx.require_admin("os_compute_api:os-aggregates:index")?;
    Ok(ok(json!({"aggregates": []})))
}
