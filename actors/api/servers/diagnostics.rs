//! `GET /servers/{id}/diagnostics` (Nova: `server_diagnostics.py`,
//! `views/server_diagnostics.py`, policy `os_compute_api:os-server-diagnostics`, admin
//! only) and `GET /servers/{id}/topology` (2.78+, `server_topology.py`). Diagnostics come
//! from the server's compute (`get_diagnostics` before 2.48: the driver's free-form dict;
//! `get_instance_diagnostics` from 2.48: the standard shape); a server without a host, or
//! whose guest is not running, is 409.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::instance_checks::{invalid_state, refuse_query};
use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::ok;
use crate::api::policy::defaults as policy;
use crate::exception::NovaException;
use crate::objects::instance::instance_primitive;
use novactor::rpc::CallError;

/// `INSTANCE_DIAGNOSTICS_PRIMITIVE_FIELDS`.
const FIELDS: &[&str] = &[
    "state",
    "driver",
    "hypervisor",
    "hypervisor_os",
    "uptime",
    "config_drive",
    "num_cpus",
    "num_nics",
    "num_disks",
];

/// `INSTANCE_DIAGNOSTICS_LIST_FIELDS`.
const LISTS: &[(&str, &[&str])] = &[
    (
        "disk_details",
        &[
            "read_bytes",
            "read_requests",
            "write_bytes",
            "write_requests",
            "errors_count",
        ],
    ),
    ("cpu_details", &["id", "time", "utilisation"]),
    (
        "nic_details",
        &[
            "mac_address",
            "rx_octets",
            "rx_errors",
            "rx_drop",
            "rx_packets",
            "rx_rate",
            "tx_octets",
            "tx_errors",
            "tx_drop",
            "tx_packets",
            "tx_rate",
        ],
    ),
];

/// An object primitive's data (`{}` for anything else).
fn data(primitive: &Value) -> Map<String, Value> {
    primitive
        .get("nova_object.data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn pick(data: &Map<String, Value>, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| {
            (
                (*f).to_owned(),
                data.get(*f).cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Nova `ViewBuilder.instance_diagnostics`: a `Diagnostics` primitive as 2.48 shows it
/// (fields the object lacks are null).
pub fn instance_diagnostics_view(primitive: &Value) -> Value {
    let diagnostics = data(primitive);
    let mut view = pick(&diagnostics, FIELDS);
    for (list, fields) in LISTS {
        let items: Vec<Value> = diagnostics
            .get(*list)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| Value::Object(pick(&data(item), fields)))
                    .collect()
            })
            .unwrap_or_default();
        view.insert((*list).to_owned(), json!(items));
    }
    let memory = diagnostics
        .get("memory_details")
        .map(data)
        .unwrap_or_default();
    view.insert(
        "memory_details".into(),
        Value::Object(pick(&memory, &["maximum", "used"])),
    );
    Value::Object(view)
}

/// `GET /servers/{id}/diagnostics`.
pub async fn diagnostics(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    refuse_query(&ctx, &req)?;
    let row = visible(&ctx, &state, &id, policy::SERVER_DIAGNOSTICS).await?;
    let Some(host) = row.host.clone() else {
        return Err(ApiFault::conflict(format!(
            "Instance {} is not ready",
            row.uuid
        )));
    };
    let standard = ctx.version.at_least(48);
    let rpc = ctx.rpc_context();
    let instance = instance_primitive(&row);
    let answer = state
        .run(move |b| async move {
            let compute = &b.deps.compute;
            Ok(if standard {
                compute
                    .get_instance_diagnostics(&rpc, &host, instance)
                    .await
            } else {
                compute.get_diagnostics(&rpc, &host, instance).await
            })
        })
        .await?;
    match answer {
        Ok(primitive) if standard => Ok(ok(instance_diagnostics_view(&primitive))),
        Ok(legacy) => Ok(ok(legacy)),
        Err(CallError::Remote(failure))
            if NovaException::of(&failure) == Some(NovaException::InstanceInvalidState) =>
        {
            let attr = failure.kwargs.get("attr").and_then(Value::as_str);
            let power = failure.kwargs.get("state").and_then(Value::as_str);
            Err(match (attr, power) {
                (Some(attr), Some(power)) => {
                    invalid_state("get_diagnostics", &id, attr, Some(power))
                }
                _ => ApiFault::conflict(format!(
                    "Instance {id} is in an invalid state for 'get_diagnostics'"
                )),
            })
        }
        Err(e) => Err(ApiFault {
            detail: Some(e.to_string()),
            ..ApiFault::unavailable("The compute service is unavailable; try again later.")
        }),
    }
}

/// `GET /servers/{id}/topology` (2.78+): the fake driver gives no guest a NUMA topology,
/// so Nova's answer for an instance without `numa_topology`.
pub async fn topology(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(78) {
        return Err(ApiFault::not_found("The resource could not be found."));
    }
    refuse_query(&ctx, &req)?;
    visible(&ctx, &state, &id, policy::SERVER_TOPOLOGY_INDEX).await?;
    Ok(ok(json!({"nodes": [], "pagesize_kb": null})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2_48_view_picks_novas_fields_and_nulls_the_missing() {
        let primitive = json!({"nova_object.name": "Diagnostics", "nova_object.data": {
            "state": "running", "num_cpus": 1,
            "cpu_details": [{"nova_object.data": {"id": 0, "time": 5}}],
            "memory_details": {"nova_object.data": {"maximum": 512}},
        }});
        let view = instance_diagnostics_view(&primitive);
        assert_eq!(view["state"], "running");
        assert_eq!(view["driver"], Value::Null);
        assert_eq!(
            view["cpu_details"],
            json!([{"id": 0, "time": 5, "utilisation": null}])
        );
        assert_eq!(view["nic_details"], json!([]));
        assert_eq!(
            view["memory_details"],
            json!({"maximum": 512, "used": null})
        );
    }
}
