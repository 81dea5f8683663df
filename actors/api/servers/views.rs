//! The server views (Nova: `api/openstack/compute/views/servers.py`): the brief view of a
//! list, the detail view at the request's microversion and role, and the pieces they share
//! (links, `hostId`, `host_status`, the flavor as each microversion shows it).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
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

fn flavor_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    let flavor = flavor_fields(row.flavor_json().unwrap_or(Value::Null));
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
        json!({"id": id, "links": [{"rel": "bookmark", "href": ctx.bookmark(&format!("flavors/{id}"))}]})
    }
}

/// The server detail view (§5.3) at the request's version and role.
pub fn detail_view(ctx: &Ctx, row: &InstanceRow, extra: &Extra) -> Value {
    let status = compute_api::status(row.vm_state.as_deref(), row.task_state.as_deref());
    let project = row.project_id.clone().unwrap_or_default();
    let image = match row.image_ref.as_deref() {
        None | Some("") => json!(""),
        Some(id) => {
            json!({"id": id, "links": [{"rel": "bookmark", "href": ctx.bookmark(&format!("images/{id}"))}]})
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
    if ctx.can(policy::EXTENDED_SERVER_ATTRIBUTES, &project) {
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
    if ctx.version.at_least(19) {
        obj.insert("description".into(), json!(row.display_description));
    }
    if ctx.version.at_least(26) {
        obj.insert("tags".into(), json!([]));
    }
    s
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
