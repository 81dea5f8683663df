//! The server views (Nova: `api/openstack/compute/views/servers.py`): the brief view of a
//! list, the detail view at the request's microversion and role, and the pieces they share
//! (links, `hostId`, `host_status`, the flavor as each microversion shows it).

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha224};

use crate::api::auth::Ctx;
use crate::api::compute_api;
use crate::api::policy::defaults as policy;
use crate::db::{service_is_up, InstanceFaultRow, InstanceRow, ServiceRow};
use crate::objects::instance::flavor_fields;

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
    /// What the server's scheduling request asked (none for a server without a spec).
    pub scheduling: Option<Scheduling>,
    /// The server's tags (`tags`, 2.26+), sorted.
    pub tags: Vec<String>,
    /// `addresses`: the lab network ports' addresses (`addresses.rs`, extended).
    pub addresses: Map<String, Value>,
    /// The uuids of the server groups it is a member of (read for the show view only).
    pub server_groups: Vec<String>,
}

/// What a server's `RequestSpec` asked of the scheduler, as the 2.96 and 2.100 views show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scheduling {
    /// `availability_zone` the request pinned (`pinned_availability_zone`, 2.96).
    pub pinned_availability_zone: Option<String>,
    /// `scheduler_hints` (2.100).
    pub scheduler_hints: Map<String, Value>,
}

impl Scheduling {
    /// Read from a `RequestSpec` primitive (or its plain data).
    pub fn of_spec(spec: &Value) -> Self {
        let data = spec.get("nova_object.data").unwrap_or(spec);
        Self {
            pinned_availability_zone: data
                .get("availability_zone")
                .and_then(Value::as_str)
                .map(str::to_owned),
            scheduler_hints: data
                .get("scheduler_hints")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        }
    }
}

/// A server's `self` and `bookmark` links.
pub fn links(ctx: &Ctx, id: &str) -> Value {
    json!([
        {"rel": "self", "href": ctx.href(&format!("servers/{id}"))},
        {"rel": "bookmark", "href": ctx.bookmark(&format!("servers/{id}"))},
    ])
}

/// The brief view of `GET /servers`: id, name, links.
pub fn brief_view(ctx: &Ctx, row: &InstanceRow) -> Value {
    json!({"id": row.uuid, "name": row.display_name, "links": links(ctx, &row.uuid)})
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

fn flavor_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra, project: &str) -> Value {
    let flavor = flavor_fields(row.flavor_json().unwrap_or(Value::Null));
    let num = |key: &str, fallback: Option<i64>| {
        flavor
            .get(key)
            .and_then(Value::as_i64)
            .or(fallback)
            .unwrap_or(0)
    };
    if ctx.version.at_least(47) {
        let mut view = json!({
            "vcpus": num("vcpus", row.vcpus), "ram": num("memory_mb", row.memory_mb), "disk": num("root_gb", row.root_gb),
            "ephemeral": num("ephemeral_gb", row.ephemeral_gb), "swap": num("swap", row.swap),
            "original_name": flavor.get("name").and_then(Value::as_str).map(str::to_owned)
                .or_else(|| extra.flavor.as_ref().map(|f| f.0.clone())).unwrap_or_default(),
        });
        if ctx.can(policy::SERVERS_SHOW_FLAVOR_EXTRA_SPECS, project) {
            view["extra_specs"] = flavor.get("extra_specs").cloned().unwrap_or(json!({}));
        }
        view
    } else {
        let id = flavor
            .get("flavorid")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| extra.flavor.as_ref().map(|f| f.1.clone()))
            .unwrap_or_default();
        json!({"id": id, "links": [{"rel": "bookmark", "href": ctx.bookmark(&format!("flavors/{id}"))}]})
    }
}

/// The server detail view (§5.3) at the request's version and role.
pub fn detail_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    let status = compute_api::status(row.vm_state.as_deref(), row.task_state.as_deref());
    let project = row.project_id.clone().unwrap_or_default();
    let system_metadata = row
        .system_metadata_json()
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let image = match row.image_ref.as_deref() {
        None | Some("") => json!(""),
        Some(id) => {
            let mut image = json!({"id": id, "links": [{"rel": "bookmark", "href": ctx.bookmark(&format!("images/{id}"))}]});
            if ctx.version.at_least(98) {
                image["properties"] = Value::Object(image_properties(&system_metadata));
            }
            image
        }
    };
    let mut s = json!({
        "id": row.uuid, "name": row.display_name, "status": status,
        "tenant_id": project, "user_id": row.user_id,
        "metadata": row.metadata_json().ok().filter(Value::is_object).unwrap_or(json!({})),
        "hostId": host_id(&project, row.host.as_deref()),
        "image": image, "flavor": flavor_view(ctx, row, extra, &project),
        "created": iso(row.created_at), "updated": iso(row.updated_at.or(row.created_at)),
        "addresses": extra.addresses,
        "accessIPv4": row.access_ip_v4.clone().unwrap_or_default(),
        "accessIPv6": row.access_ip_v6.clone().unwrap_or_default(),
        "links": links(ctx, &row.uuid),
        "OS-DCF:diskConfig": if row.auto_disk_config == Some(true) { "AUTO" } else { "MANUAL" },
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
    let extended_attributes = ctx.can(policy::EXTENDED_SERVER_ATTRIBUTES, &project);
    if extended_attributes {
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
    }
    if ctx.version.at_least(16) && ctx.can(policy::SERVERS_SHOW_HOST_STATUS, &project) {
        obj.insert("host_status".into(), json!(host_status(row, extra)));
    }
    if ctx.version.at_least(9) {
        obj.insert("locked".into(), json!(row.locked_by.is_some()));
    }
    if ctx.version.at_least(73) {
        let reason = crate::api::compute_api_local::locked_reason(row);
        obj.insert("locked_reason".into(), json!(reason));
    }
    if ctx.version.at_least(19) {
        obj.insert("description".into(), json!(row.display_description));
    }
    if ctx.version.at_least(26) {
        obj.insert("tags".into(), json!(extra.tags));
    }
    if ctx.version.at_least(63) {
        // novactor has no image signature verification: no server ever carries trusted
        // certificates (create refuses `trusted_image_certificates`).
        obj.insert("trusted_image_certificates".into(), Value::Null);
    }
    if ctx.version.at_least(73) {
        obj.insert(
            "locked_reason".into(),
            system_metadata
                .get("locked_reason")
                .cloned()
                .unwrap_or(Value::Null),
        );
    }
    // 2.90 shows the hostname to everyone; the extended attributes already carry it.
    if ctx.version.at_least(90) && !extended_attributes {
        obj.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(row.hostname));
    }
    let scheduling = extra.scheduling.clone().unwrap_or_default();
    if ctx.version.at_least(96) {
        obj.insert(
            "pinned_availability_zone".into(),
            json!(scheduling.pinned_availability_zone),
        );
    }
    if ctx.version.at_least(100) {
        obj.insert(
            "scheduler_hints".into(),
            Value::Object(scheduling.scheduler_hints),
        );
    }
    s
}

/// The view of one server on its own (show, update, rebuild): the detail view and, from 2.71,
/// its `server_groups` (Nova leaves them out of the list view): `extra.server_groups`, which
/// the caller reads with `lookup::server_groups`.
pub fn show_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    let mut view = detail_view(ctx, row, extra);
    if ctx.version.at_least(71) {
        view["server_groups"] = json!(extra.server_groups);
    }
    view
}

/// Nova's `image.properties` (2.98): the image properties kept in system metadata as
/// `image_<name>`, without the prefix, the unset ones left out.
fn image_properties(system_metadata: &Map<String, Value>) -> Map<String, Value> {
    system_metadata
        .iter()
        .filter_map(|(key, value)| {
            let name = key.strip_prefix("image_")?;
            (!value.is_null()).then(|| (name.to_owned(), value.clone()))
        })
        .collect()
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
