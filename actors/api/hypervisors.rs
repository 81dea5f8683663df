//! `/os-hypervisors` (Nova: `api/openstack/compute/hypervisors.py`): list, detail, show
//! and uptime; each compute node with its service and whether that is up.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures::StreamExt as _;
use serde_json::{json, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{is_uuid, ok, page, param, query};
use super::policy::defaults as policy;
use crate::db::{service_is_up, ComputeNodeRow, ServiceRow};

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

fn brief_view(ctx: &Ctx, (node, service, up): &Hypervisor) -> Value {
    json!({
        "id": if ctx.version.at_least(53) { json!(node.uuid) } else { json!(node.id) },
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": if *up { "up" } else { "down" },
        "status": if service.as_ref().is_some_and(|s| s.disabled) { "disabled" } else { "enabled" },
    })
}

/// The detail view (Nova `_view_hypervisor`): the statistics and `cpu_info` until 2.87;
/// from 2.88 none of them but the host's `uptime` (`uptime`, fetched by the caller).
fn detail_view(ctx: &Ctx, h: &Hypervisor, uptime: Option<&Value>) -> Value {
    let (node, service, _) = h;
    let mut v = brief_view(ctx, h);
    let mut extra = json!({
        "hypervisor_type": node.hypervisor_type, "hypervisor_version": node.hypervisor_version, "host_ip": node.host_ip,
        "service": {
            "host": node.host,
            "id": service.as_ref().map(|s| if ctx.version.at_least(53) { json!(s.uuid) } else { json!(s.id) }),
            "disabled_reason": service.as_ref().and_then(|s| s.disabled_reason.clone()),
        },
    });
    if ctx.version.at_least(88) {
        extra["uptime"] = uptime.cloned().unwrap_or(Value::Null);
    } else {
        let cpu_info: Value = if ctx.version.at_least(28) {
            serde_json::from_str(&node.cpu_info).unwrap_or(json!({}))
        } else {
            json!(node.cpu_info)
        };
        let stats = json!({
            "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
            "vcpus_used": node.vcpus_used, "memory_mb_used": node.memory_mb_used, "local_gb_used": node.local_gb_used,
            "free_ram_mb": node.free_ram_mb, "free_disk_gb": node.free_disk_gb, "current_workload": node.current_workload,
            "running_vms": node.running_vms, "disk_available_least": node.disk_available_least, "cpu_info": cpu_info,
        });
        if let (Some(extra), Value::Object(stats)) = (extra.as_object_mut(), stats) {
            extra.extend(stats);
        }
    }
    if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
        v.extend(extra);
    }
    v
}

/// The `uptime` line of each hypervisor's host, for the 2.88+ detail view: `None` below
/// 2.88, and for a host that is down or does not answer (Nova shows null then too).
async fn uptimes(ctx: &Ctx, state: &ApiState, all: &[Hypervisor]) -> Vec<Option<Value>> {
    if !ctx.version.at_least(88) {
        return vec![None; all.len()];
    }
    // A few calls in flight at once, in order: one host that does not answer costs the
    // page one RPC timeout, not one per silent host.
    futures::stream::iter(all.iter().map(|(node, _, up)| {
        let host = node.host.clone().unwrap_or_default();
        let up = *up;
        async move {
            if up {
                host_uptime(ctx, state, host).await.ok()
            } else {
                None
            }
        }
    }))
    .buffered(UPTIME_CALLS_IN_FLIGHT)
    .collect()
    .await
}

/// How many `get_host_uptime` calls one detail page keeps in flight.
const UPTIME_CALLS_IN_FLIGHT: usize = 16;

/// `get_host_uptime` (RPC call) to `host`, its answer as text.
async fn host_uptime(ctx: &Ctx, state: &ApiState, host: String) -> Result<Value, ApiFault> {
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
    Ok(match uptime {
        Value::String(s) => json!(s),
        other => json!(other.to_string()),
    })
}

async fn listed(
    ctx: &Ctx,
    req: &HttpRequest,
    state: &ApiState,
    rule: &str,
) -> Result<Vec<Hypervisor>, ApiFault> {
    ctx.authorize_own(rule)?;
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
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let all = listed(&ctx, &req, &state, policy::HYPERVISORS_LIST).await?;
    Ok(ok(
        json!({"hypervisors": all.iter().map(|h| brief_view(&ctx, h)).collect::<Vec<_>>()}),
    ))
}

/// `GET /os-hypervisors/detail`.
pub async fn detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let all = listed(&ctx, &req, &state, policy::HYPERVISORS_LIST_DETAIL).await?;
    let uptimes = uptimes(&ctx, &state, &all).await;
    let views: Vec<Value> = all
        .iter()
        .zip(&uptimes)
        .map(|(h, uptime)| detail_view(&ctx, h, uptime.as_ref()))
        .collect();
    Ok(ok(json!({ "hypervisors": views })))
}

async fn one(ctx: &Ctx, state: &ApiState, id: &str, rule: &str) -> Result<Hypervisor, ApiFault> {
    ctx.authorize_own(rule)?;
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
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let h = one(&ctx, &state, &id, policy::HYPERVISORS_SHOW).await?;
    let uptime = uptimes(&ctx, &state, std::slice::from_ref(&h))
        .await
        .pop()
        .flatten();
    Ok(ok(
        json!({"hypervisor": detail_view(&ctx, &h, uptime.as_ref())}),
    ))
}

/// `GET /os-hypervisors/{id}/uptime`: the RPC call `get_host_uptime` to the node's host.
/// Removed at 2.88 (the detail view carries `uptime`): 404 from then on, as Nova.
pub async fn uptime(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if ctx.version.at_least(88) {
        return Err(ApiFault::not_found("The resource could not be found."));
    }
    let h = one(&ctx, &state, &id, policy::HYPERVISORS_UPTIME).await?;
    let host = h.0.host.clone().unwrap_or_default();
    if !h.2 {
        return Err(ApiFault::bad_request(format!(
            "Compute service of {host} is unavailable at this time."
        )));
    }
    let mut v = brief_view(&ctx, &h);
    v["uptime"] = host_uptime(&ctx, &state, host).await?;
    Ok(ok(json!({"hypervisor": v})))
}
