//! `/v2.1/servers` (Nova: `api/openstack/compute/servers.py`, `views/servers.py`,
//! `schemas/servers.py`): create, list, detail, show, delete, and the stop / start /
//! reboot actions, on top of [`compute_api`](super::compute_api).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha224};

use super::api_fault::ApiFault;
use super::auth::Ctx;
use super::compute_api::{self, BootRequest};
use super::images;
use super::server::{json_body, ok, page, param, query, ApiState};
use crate::db::{service_is_up, InstanceFaultRow, InstanceRow, ServiceRow};

/// Everything the detail view needs about one instance besides the row.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// The newest fault (ERROR / DELETED only).
    pub fault: Option<InstanceFaultRow>,
    /// The host's compute service, for `host_status`.
    pub service: Option<ServiceRow>,
    /// `service_down_time`.
    pub service_down_time: std::time::Duration,
    /// The flavor's (name, flavorid) by `instance_type_id`, when the snapshot lacks them.
    pub flavor: Option<(String, String)>,
}

fn links(ctx: &Ctx, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{}/v2.1/servers/{id}", ctx.base)},
        {"rel": "bookmark", "href": format!("{}/servers/{id}", ctx.base)},
    ])
}

fn iso(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    })
}

fn micro(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
    })
}

/// Nova `hostId`: sha224(project_id + host), `""` without a host.
pub fn host_id(project_id: &str, host: Option<&str>) -> String {
    match host {
        Some(host) if !host.is_empty() => {
            let digest = Sha224::digest(format!("{project_id}{host}").as_bytes());
            digest.iter().map(|b| format!("{b:02x}")).collect()
        }
        _ => String::new(),
    }
}

/// Nova `get_instance_host_status`.
fn host_status(row: &InstanceRow, extra: &Extra) -> &'static str {
    if row.host.is_none() {
        return "";
    }
    match &extra.service {
        None => "UNKNOWN",
        Some(s) if s.forced_down => "DOWN",
        Some(s) if s.disabled => "MAINTENANCE",
        Some(s) if service_is_up(s, extra.service_down_time, Utc::now()) => "UP",
        Some(_) => "UNKNOWN",
    }
}

fn flavor_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    // The snapshot is the API's plain flavor, or a Nova primitive (possibly `{"cur": …}`)
    // once the compute saved the instance.
    let mut flavor = row.flavor_json().unwrap_or(Value::Null);
    for key in ["cur", "nova_object.data"] {
        if let Some(inner) = flavor.get(key).cloned() {
            flavor = inner;
        }
    }
    let num = |key: &str, fallback: Option<i64>| {
        flavor
            .get(key)
            .and_then(Value::as_i64)
            .or(fallback)
            .unwrap_or(0)
    };
    if ctx.version.at_least(47) {
        json!({
            "vcpus": num("vcpus", row.vcpus), "ram": num("memory_mb", row.memory_mb), "disk": num("root_gb", row.root_gb),
            "ephemeral": num("ephemeral_gb", row.ephemeral_gb), "swap": num("swap", row.swap),
            "original_name": flavor.get("name").and_then(Value::as_str).map(str::to_owned)
                .or_else(|| extra.flavor.as_ref().map(|f| f.0.clone())).unwrap_or_default(),
            "extra_specs": flavor.get("extra_specs").cloned().unwrap_or(json!({})),
        })
    } else {
        let id = flavor
            .get("flavorid")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| extra.flavor.as_ref().map(|f| f.1.clone()))
            .unwrap_or_default();
        json!({"id": id, "links": [{"rel": "bookmark", "href": format!("{}/flavors/{id}", ctx.base)}]})
    }
}

/// The server detail view (§5.3) at the request's version and role.
pub fn detail_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    let status = compute_api::status(row.vm_state.as_deref(), row.task_state.as_deref());
    let project = row.project_id.clone().unwrap_or_default();
    let image = match row.image_ref.as_deref() {
        None | Some("") => json!(""),
        Some(id) => {
            json!({"id": id, "links": [{"rel": "bookmark", "href": format!("{}/images/{id}", ctx.base)}]})
        }
    };
    let mut s = json!({
        "id": row.uuid, "name": row.display_name, "status": status,
        "tenant_id": project, "user_id": row.user_id,
        "metadata": row.metadata_json().ok().filter(Value::is_object).unwrap_or(json!({})),
        "hostId": host_id(&project, row.host.as_deref()),
        "image": image, "flavor": flavor_view(ctx, row, extra),
        "created": iso(row.created_at), "updated": iso(row.updated_at.or(row.created_at)),
        "addresses": {}, "accessIPv4": "", "accessIPv6": "",
        "links": links(ctx, &row.uuid),
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": row.availability_zone.clone().unwrap_or_else(|| "nova".into()),
        "config_drive": row.config_drive.clone().unwrap_or_default(),
        "key_name": row.key_name,
        "OS-SRV-USG:launched_at": micro(row.launched_at), "OS-SRV-USG:terminated_at": micro(row.terminated_at),
        "security_groups": [{"name": "default"}],
        "OS-EXT-STS:task_state": row.task_state, "OS-EXT-STS:vm_state": row.vm_state,
        "OS-EXT-STS:power_state": row.power_state.unwrap_or(0),
        "os-extended-volumes:volumes_attached": [],
    });
    let obj = s.as_object_mut().expect("a JSON object literal");
    if matches!(
        status,
        "ACTIVE" | "BUILD" | "REBUILD" | "RESIZE" | "VERIFY_RESIZE" | "MIGRATING"
    ) {
        obj.insert("progress".into(), json!(row.progress.unwrap_or(0)));
    }
    if matches!(status, "ERROR" | "DELETED") {
        if let Some(fault) = &extra.fault {
            let mut f = json!({"code": fault.code, "created": iso(fault.created_at), "message": fault.message.clone().unwrap_or_default()});
            if ctx.is_admin || fault.code != 500 {
                f["details"] = json!(fault.details.clone().unwrap_or_default());
            }
            obj.insert("fault".into(), f);
        }
    }
    if ctx.is_admin {
        obj.insert("OS-EXT-SRV-ATTR:host".into(), json!(row.host));
        obj.insert(
            "OS-EXT-SRV-ATTR:instance_name".into(),
            json!(format!("instance-{:08x}", row.id)),
        );
        obj.insert(
            "OS-EXT-SRV-ATTR:hypervisor_hostname".into(),
            json!(row.node),
        );
        if ctx.version.at_least(3) {
            obj.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(row.hostname));
            obj.insert("OS-EXT-SRV-ATTR:kernel_id".into(), json!(""));
            obj.insert(
                "OS-EXT-SRV-ATTR:launch_index".into(),
                json!(row.launch_index.unwrap_or(0)),
            );
            obj.insert("OS-EXT-SRV-ATTR:ramdisk_id".into(), json!(""));
            obj.insert(
                "OS-EXT-SRV-ATTR:reservation_id".into(),
                json!(row.reservation_id),
            );
            obj.insert("OS-EXT-SRV-ATTR:root_device_name".into(), Value::Null);
            obj.insert("OS-EXT-SRV-ATTR:user_data".into(), json!(row.user_data));
        }
        if ctx.version.at_least(16) {
            obj.insert("host_status".into(), json!(host_status(row, extra)));
        }
    }
    if ctx.version.at_least(9) {
        obj.insert("locked".into(), json!(row.locked_by.is_some()));
    }
    if ctx.version.at_least(19) {
        obj.insert("description".into(), json!(row.display_description));
    }
    if ctx.version.at_least(26) {
        obj.insert("tags".into(), json!([]));
    }
    s
}

/// The faults and services the detail view of `rows` needs.
async fn extras(state: &ApiState, rows: &[InstanceRow]) -> Result<Vec<Extra>, ApiFault> {
    let wanted: Vec<(String, Option<String>, bool, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.uuid.clone(),
                r.host.clone(),
                matches!(r.vm_state.as_deref(), Some("error" | "deleted")),
                r.instance_type_id,
            )
        })
        .collect();
    state
        .run(move |b| async move {
            let mut services: HashMap<String, Option<ServiceRow>> = HashMap::new();
            let flavors = b.deps.db.flavor_list(None).await.map_err(ApiFault::db)?;
            let mut out = Vec::new();
            for (uuid, host, faulty, type_id) in wanted {
                let flavor = flavors
                    .iter()
                    .find(|f| Some(f.id) == type_id)
                    .map(|f| (f.name.clone(), f.flavorid.clone()));
                let fault = if faulty {
                    b.deps
                        .db
                        .instance_fault_get_by_instance_uuid(&uuid)
                        .await
                        .map_err(ApiFault::db)?
                        .into_iter()
                        .next()
                } else {
                    None
                };
                let service = match host {
                    Some(host) => {
                        if !services.contains_key(&host) {
                            let row = b
                                .deps
                                .db
                                .service_get_by_host_and_binary(&host, "nova-compute")
                                .await
                                .map_err(ApiFault::db)?;
                            services.insert(host.clone(), row);
                        }
                        services.get(&host).cloned().flatten()
                    }
                    None => None,
                };
                out.push(Extra {
                    fault,
                    service,
                    service_down_time: b.deps.service_down_time,
                    flavor,
                });
            }
            Ok(out)
        })
        .await
}

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

/// The rows a list request selects: own project unless an admin asks for `all_tenants`,
/// then `name` (regex), `status`, `host`, `image`, `flavor`, `reservation_id`.
async fn selected(
    ctx: &Ctx,
    req: &HttpRequest,
    state: &ApiState,
) -> Result<Vec<InstanceRow>, ApiFault> {
    let pairs = query(req)?;
    let all_tenants = ctx.is_admin
        && param(&pairs, "all_tenants").is_some_and(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "f" | "no" | "off"
            )
        });
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
    let host = param(&pairs, "host").filter(|_| ctx.is_admin);
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
    let rows = selected(&ctx, &req, &state).await?;
    let servers: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.uuid, "name": r.display_name, "links": links(&ctx, &r.uuid)}))
        .collect();
    Ok(ok(json!({"servers": servers})))
}

/// `GET /servers/detail`.
pub async fn detail(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let rows = selected(&ctx, &req, &state).await?;
    let extras = extras(&state, &rows).await?;
    let servers: Vec<Value> = rows
        .iter()
        .zip(&extras)
        .map(|(r, e)| detail_view(&ctx, r, e))
        .collect();
    Ok(ok(json!({"servers": servers})))
}

/// The instance `id` as this caller may see it (another project's is 404, as in Nova).
async fn visible(ctx: &Ctx, state: &ApiState, id: &str) -> Result<InstanceRow, ApiFault> {
    let uuid = id.to_owned();
    let not_found = || ApiFault::not_found(format!("Instance {id} could not be found."));
    let row = state
        .run(move |b| async move {
            match b.deps.db.instance_get_by_uuid(&uuid).await {
                Ok(row) => Ok(Some(row)),
                Err(e) if e.nova_class() == Some("InstanceNotFound") => Ok(None),
                Err(e) => Err(ApiFault::db(e)),
            }
        })
        .await?
        .ok_or_else(not_found)?;
    if ctx.is_admin || row.project_id.as_deref() == Some(ctx.project_id.as_str()) {
        Ok(row)
    } else {
        Err(not_found())
    }
}

/// `GET /servers/{id}`.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id).await?;
    let extra = extras(&state, std::slice::from_ref(&row))
        .await?
        .pop()
        .unwrap_or_default();
    Ok(ok(json!({"server": detail_view(&ctx, &row, &extra)})))
}

/// `DELETE /servers/{id}` → 204.
pub async fn delete(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api::delete(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /servers/{id}/action`: `os-stop`, `os-start`, `reboot` → 202.
pub async fn action(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let (name, value) = match body.iter().next() {
        Some((name, value)) if body.len() == 1 => (name.clone(), value.clone()),
        _ => {
            return Err(ApiFault::bad_request(
                "The action body must name exactly one action, e.g. {\"os-stop\": null}.",
            ))
        }
    };
    enum Act {
        Stop,
        Start,
        Reboot(bool),
    }
    let act = match name.as_str() {
        "os-stop" => Act::Stop,
        "os-start" => Act::Start,
        "reboot" => {
            let kind = value
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            match kind.as_deref() {
                Some("SOFT") => Act::Reboot(false),
                Some("HARD") => Act::Reboot(true),
                _ => {
                    return Err(ApiFault::bad_request(format!(
                        "Invalid input for field/attribute reboot. Value: {value}. 'type' must be one of 'SOFT', 'HARD' (case-insensitive)"
                    )))
                }
            }
        }
        other => {
            return Err(ApiFault::bad_request(format!(
                "There is no such action: {other}"
            )))
        }
    };
    let row = visible(&ctx, &state, &id).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            let uuid = row.uuid.as_str();
            match act {
                Act::Stop => compute_api::stop(&b.deps, &rpc, uuid).await,
                Act::Start => compute_api::start(&b.deps, &rpc, uuid).await,
                Act::Reboot(hard) => compute_api::reboot(&b.deps, &rpc, uuid, hard).await,
            }
            .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Top-level keys `server` may hold (`schemas/servers.py` base_create at ≤ 2.53).
const CREATE_KEYS: &[&str] = &[
    "name",
    "imageRef",
    "flavorRef",
    "networks",
    "min_count",
    "max_count",
    "block_device_mapping_v2",
    "availability_zone",
    "metadata",
    "key_name",
    "user_data",
    "security_groups",
    "description",
    "tags",
    "config_drive",
    "accessIPv4",
    "accessIPv6",
    "OS-DCF:diskConfig",
    "adminPass",
    "return_reservation_id",
    "personality",
];

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// What a valid create body asks for.
#[derive(Debug)]
struct CreateRequest {
    name: String,
    flavor: String,
    image: String,
    count: u32,
    description: Option<String>,
}

fn count(server: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiFault> {
    match server.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n >= 1) {
                Some(n) => Ok(Some(n)),
                None => Err(invalid(
                    key,
                    v,
                    &format!("{v} is not a valid {key} (an integer of at least 1)"),
                )),
            }
        }
    }
}

/// Validates a create body as Nova's schema does, at `ctx.version`.
fn parse_create(ctx: &Ctx, body: &Map<String, Value>) -> Result<CreateRequest, ApiFault> {
    let server = match body.get("server") {
        Some(Value::Object(server)) => server,
        Some(other) => {
            return Err(invalid(
                "server",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
        None => {
            return Err(ApiFault::bad_request(
                "Invalid input for field/attribute server. 'server' is a required property",
            ))
        }
    };
    if let Some(extra) = body.keys().find(|k| {
        !matches!(
            k.as_str(),
            "server" | "os:scheduler_hints" | "OS-SCH-HNT:scheduler_hints"
        )
    }) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    if let Some(extra) = server.keys().find(|k| !CREATE_KEYS.contains(&k.as_str())) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let whole = Value::Object(server.clone());
    let required =
        |key: &str| invalid("server", &whole, &format!("'{key}' is a required property"));
    let name = match server.get("name") {
        None => return Err(required("name")),
        Some(Value::String(n))
            if !n.trim().is_empty() && n.chars().count() <= 255 && n.trim() == n =>
        {
            n.clone()
        }
        Some(v) => {
            return Err(invalid(
                "name",
                v,
                "the name must be 1 to 255 characters without leading or trailing whitespace",
            ))
        }
    };
    let flavor = match server.get("flavorRef") {
        None => return Err(required("flavorRef")),
        // A flavor href counts by its last segment, as Nova's `get_id_from_href` reads it
        // (found by tests/fuzz_api_bodies.rs replaying an API-reference body).
        Some(Value::String(f)) if !f.is_empty() => f.rsplit('/').next().unwrap_or(f).to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(v) => {
            return Err(invalid(
                "flavorRef",
                v,
                "flavorRef must be a non-empty string or an integer",
            ))
        }
    };
    if ctx.version.at_least(37) {
        match server.get("networks") {
            None => return Err(required("networks")),
            Some(Value::String(s)) if s == "auto" || s == "none" => {}
            Some(Value::Array(list)) if list.iter().all(Value::is_object) => {}
            Some(v) => return Err(invalid("networks", v, &format!("{v} is not valid under any of the given schemas ('auto', 'none' or a list of networks)"))),
        }
    }
    let bdm_image = server
        .get("block_device_mapping_v2")
        .and_then(Value::as_array)
        .and_then(|bdms| {
            bdms.iter().find(|b| {
                b.get("boot_index").and_then(|i| {
                    i.as_i64()
                        .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
                }) == Some(0)
                    && b.get("source_type").and_then(Value::as_str) == Some("image")
            })
        })
        .and_then(|b| b.get("uuid").and_then(Value::as_str))
        .map(str::to_owned);
    let image = match (server.get("imageRef"), bdm_image) {
        (Some(Value::String(i)), _) if !i.is_empty() => {
            i.rsplit('/').next().unwrap_or(i).to_owned()
        }
        (None | Some(Value::String(_)), Some(bdm)) => bdm,
        (None, None) | (Some(Value::String(_)), None) => {
            return Err(ApiFault::bad_request("Missing imageRef attribute"))
        }
        (Some(v), _) => {
            return Err(invalid(
                "imageRef",
                v,
                &format!("{v} is not of type 'string'"),
            ))
        }
    };
    let min = count(server, "min_count")?;
    let max = count(server, "max_count")?;
    let count = match (min, max) {
        (Some(min), Some(max)) if min > max => {
            return Err(ApiFault::bad_request("min_count must be <= max_count"))
        }
        (_, Some(max)) => max,
        (Some(min), None) => min,
        (None, None) => 1,
    };
    let description = match server.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if ctx.version.at_least(19) && d.chars().count() <= 255 => {
            Some(d.clone())
        }
        Some(v) => {
            return Err(invalid(
                "description",
                v,
                "description needs version 2.19 or later and at most 255 characters",
            ))
        }
    };
    Ok(CreateRequest {
        name,
        flavor,
        image,
        count,
        description,
    })
}

/// `POST /servers` → 202 with `Location`.
pub async fn create(
    ctx: Ctx,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let request = parse_create(&ctx, &json_body(&body)?)?;
    if images::by_id(&request.image).is_none() {
        return Err(ApiFault::bad_request("Can not find requested image"));
    }
    let boot = BootRequest {
        name: request.name,
        flavor: request.flavor.clone(),
        image_ref: request.image,
        count: request.count,
        user_id: ctx.user_id.clone(),
        project_id: ctx.project_id.clone(),
    };
    let rpc = ctx.rpc_context();
    let description = request.description;
    let flavor = request.flavor;
    let uuids = state
        .run(move |b| async move {
            // Nova resolves flavorRef by flavorid only; an unknown one is a 400.
            if let Err(e) = b.deps.db.flavor_get_by_flavor_id(&boot.flavor).await {
                return Err(match e.nova_class() {
                    Some("FlavorNotFound") => ApiFault::bad_request("Invalid flavorRef provided."),
                    _ => ApiFault::db(e),
                });
            }
            let uuids = compute_api::create(&b.deps, &rpc, &boot)
                .await
                .map_err(|e| match e {
                    compute_api::ApiError::NotFound(_) => {
                        ApiFault::bad_request(format!("Flavor {flavor} could not be found."))
                    }
                    other => other.into(),
                })?;
            if let Some(description) = description {
                for uuid in &uuids {
                    let values = json!({"display_description": description});
                    // Best effort: the instance may already be gone again.
                    let _ = b
                        .deps
                        .db
                        .instance_update_and_get(
                            uuid,
                            values.as_object().unwrap_or(&Map::new()),
                            None,
                            None,
                        )
                        .await;
                }
            }
            Ok(uuids)
        })
        .await?;
    let uuid = uuids
        .into_iter()
        .next()
        .ok_or_else(|| ApiFault::internal("create returned no instance"))?;
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    let location = format!("{}/v2.1/servers/{uuid}", ctx.base);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .json(json!({"server": {
            "id": uuid, "links": links(&ctx, &uuid), "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}], "adminPass": password,
        }})))
}

#[cfg(test)]
mod tests {
    use super::host_id;

    #[test]
    fn host_id_is_sha224_of_project_and_host() {
        assert_eq!(host_id("p", None), "");
        assert_eq!(host_id("admin", Some("compute1")).len(), 56);
        assert_ne!(host_id("a", Some("h")), host_id("b", Some("h")));
    }
}
