//! Nova `Instance` (2.8) fields of an `instances` row, as Nova's `Instance._from_db_object`
//! makes them (`nova/objects/instance.py`): every non-optional field, and the optional ones
//! (`INSTANCE_OPTIONAL_ATTRS`) only when the caller's `expected_attrs` name them — in Nova's
//! types, so Nova's own object classes take them: `flavor`/`old_flavor`/`new_flavor` are
//! `Flavor` objects (the column's snapshot, in any shape novactor ever wrote), `metadata` a
//! dict of strings, `info_cache` an `InstanceInfoCache`, lists their `…List` objects. Columns
//! that are no `Instance` field (`swap`) are left out.
//!
//! The slice's `instances` table keeps fewer columns than Nova's: the fields without one
//! carry what Nova stores for an instance its API created without them (null, `false`;
//! `locked` is "`locked_by` is set"), `info_cache` holds the lab network port's
//! `NetworkInfo` (`network_info.rs`) or none; `fault` is the conductor's to read, and
//! `services`, `ec2_ids` are left unset (docs/DEVIATIONS.md); `keypairs` is the
//! `KeyPairList` primitive kept in the `keypairs` column (Nova's `instance_extra`).

use serde_json::{json, Map, Value};

use super::datetime::wire_time;
use super::envelope::{NovaObject, DATA};
use super::versions::version_of;
use crate::db::InstanceRow;

/// Nova `Instance.get_by_uuid`'s `expected_attrs` when none are given.
pub const GET_DEFAULT_ATTRS: &[&str] = &["info_cache"];

/// Nova `_INSTANCE_OPTIONAL_JOINED_FIELDS`: what `Instance.save` reads back when set.
pub const JOINED_ATTRS: &[&str] = &[
    "metadata",
    "system_metadata",
    "info_cache",
    "security_groups",
    "pci_devices",
    "tags",
    "services",
    "fault",
];

/// The optional fields novactor sends with an instance it casts to a compute (Nova's
/// `build_and_run_instance` and `terminate_instance` carry these).
pub const CAST_ATTRS: &[&str] = &[
    "metadata",
    "system_metadata",
    "info_cache",
    "security_groups",
    "flavor",
    "numa_topology",
    "pci_requests",
    "tags",
];

/// The fields of Nova's `Instance` that are no column here, with the value a Nova row has
/// when its API created the instance without them.
const WITHOUT_COLUMN: &[(&str, bool)] = &[
    // (field, is a BooleanField: false; otherwise null)
    ("kernel_id", false),
    ("ramdisk_id", false),
    ("ephemeral_key_uuid", false),
    ("os_type", false),
    ("architecture", false),
    ("vm_mode", false),
    ("root_device_name", false),
    ("default_ephemeral_device", false),
    ("default_swap_device", false),
    ("cell_name", false),
    ("shutdown_terminate", true),
    ("disable_terminate", true),
    ("cleaned", true),
    ("hidden", true),
];

/// Every field name of Nova's `Instance` 2.8 (NovaPersistentObject's included).
pub fn is_instance_field(name: &str) -> bool {
    const COLUMNS: &[&str] = &[
        "id",
        "uuid",
        "user_id",
        "project_id",
        "image_ref",
        "hostname",
        "launch_index",
        "key_name",
        "key_data",
        "power_state",
        "vm_state",
        "task_state",
        "memory_mb",
        "vcpus",
        "root_gb",
        "ephemeral_gb",
        "host",
        "node",
        "compute_id",
        "instance_type_id",
        "user_data",
        "reservation_id",
        "launched_at",
        "terminated_at",
        "availability_zone",
        "access_ip_v4",
        "access_ip_v6",
        "auto_disk_config",
        "display_name",
        "display_description",
        "launched_on",
        "locked",
        "locked_by",
        "config_drive",
        "progress",
        "created_at",
        "updated_at",
        "deleted_at",
        "deleted",
    ];
    const OPTIONAL: &[&str] = &[
        "old_flavor",
        "new_flavor",
        "flavor",
        "ec2_ids",
        "numa_topology",
        "pci_requests",
        "vcpu_model",
        "migration_context",
        "keypairs",
        "device_metadata",
        "trusted_certs",
        "resources",
    ];
    COLUMNS.contains(&name)
        || OPTIONAL.contains(&name)
        || JOINED_ATTRS.contains(&name)
        || WITHOUT_COLUMN.iter().any(|(field, _)| *field == name)
}

/// A nested object at the version novactor speaks for its class.
fn nested(class: &str, data: Value) -> Value {
    let data = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    NovaObject::new(class, version_of(class).unwrap_or("1.0"), data).to_primitive()
}

/// An empty `ObjectListBase` (`SecurityGroupList`, `TagList`, `PciDeviceList`).
fn empty_list(class: &str) -> Value {
    nested(class, json!({"objects": []}))
}

/// A JSON column's value; text holding JSON text (the api once wrote its flavor snapshot
/// and metadata so) is read through.
fn decoded(text: Option<&str>) -> Value {
    let value = text
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    match value {
        Value::String(inner) => serde_json::from_str(&inner).unwrap_or(Value::Null),
        other => other,
    }
}

/// A value as a `StringField` holds it (Python's `str()` of a scalar); null is none.
fn string_of(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        other => Some(other.to_string()),
    }
}

/// A JSON object as Nova's `DictOfStringsField` (anything else is an empty dict).
fn dict_of_strings(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(key, value)| string_of(value).map(|text| (key, Value::String(text))))
            .collect(),
        _ => Map::new(),
    }
}

/// The `metadata` column as Nova's `Instance.metadata`.
pub fn metadata_dict(column: Option<&str>) -> Map<String, Value> {
    dict_of_strings(decoded(column))
}

/// The flavor fields of an instance's `flavor` snapshot: the api stores a plain flavor; once
/// a compute saved the instance it is a `Flavor` primitive, possibly inside Nova's
/// `{"cur": …}`.
pub fn flavor_fields(snapshot: Value) -> Value {
    let mut flavor = snapshot;
    for key in ["cur", DATA] {
        if let Some(inner) = flavor.get(key).cloned() {
            flavor = inner;
        }
    }
    flavor
}

/// A flavor (plain fields, a `Flavor` primitive, or JSON text of either) as the `Flavor`
/// 1.2 primitive Nova's `Instance.flavor` holds; `None` if it is no flavor at all.
pub fn flavor_primitive(flavor: &Value) -> Option<Value> {
    let flavor = match flavor {
        Value::String(text) => decoded(Some(text)),
        other => other.clone(),
    };
    let Value::Object(mut fields) = flavor_fields(flavor) else {
        return None;
    };
    let mut data = Map::new();
    for name in [
        "id",
        "name",
        "memory_mb",
        "vcpus",
        "root_gb",
        "ephemeral_gb",
        "flavorid",
        "swap",
    ] {
        match fields.remove(name) {
            Some(Value::Null) | None => {}
            Some(value) => {
                data.insert(name.into(), value);
            }
        }
    }
    let mut or = |name: &str, default: Value| {
        let value = fields
            .remove(name)
            .filter(|v| !v.is_null())
            .unwrap_or(default);
        data.insert(name.into(), value);
    };
    or("rxtx_factor", json!(1.0));
    or("vcpu_weight", Value::Null);
    or("disabled", json!(false));
    or("is_public", json!(true));
    or("description", Value::Null);
    let extra_specs = dict_of_strings(fields.remove("extra_specs").unwrap_or_default());
    data.insert("extra_specs".into(), Value::Object(extra_specs));
    for name in ["created_at", "updated_at", "deleted_at"] {
        let value = fields.remove(name).unwrap_or(Value::Null);
        data.insert(name.into(), value);
    }
    data.insert("deleted".into(), json!(false));
    Some(NovaObject::new("Flavor", version_of("Flavor").unwrap_or("1.2"), data).to_primitive())
}

/// The row's flavor snapshot as (`flavor`, `old_flavor`, `new_flavor`) primitives (the last
/// two may be null); `None` when the row has no readable snapshot (Nova then leaves the
/// fields unset).
fn flavors_of(row: &InstanceRow) -> Option<(Value, Value, Value)> {
    let snapshot = decoded(row.flavor.as_deref());
    let (current, old, new) = match snapshot.get("cur") {
        Some(current) => (
            current.clone(),
            snapshot.get("old").cloned().unwrap_or_default(),
            snapshot.get("new").cloned().unwrap_or_default(),
        ),
        None => (snapshot, Value::Null, Value::Null),
    };
    let current = flavor_primitive(&current)?;
    let old = flavor_primitive(&old).unwrap_or_default();
    let new = flavor_primitive(&new).unwrap_or_default();
    Some((current, old, new))
}

/// The `flavor` column Nova's `Instance._save_flavor` writes: `{"cur", "old", "new"}` of
/// `Flavor` primitives.
pub fn flavor_column(current: &Value, old: &Value, new: &Value) -> Value {
    let primitive = |value: &Value| flavor_primitive(value).unwrap_or_default();
    json!({"cur": primitive(current), "old": primitive(old), "new": primitive(new)})
}

/// The `Instance` fields of `row` with the optional fields of `expected_attrs` (Nova's
/// `_from_db_object(context, instance, db_inst, expected_attrs)`).
pub fn instance_fields(row: &InstanceRow, expected_attrs: &[&str]) -> Map<String, Value> {
    let mut data = Map::new();
    let mut put = |name: &str, value: Value| {
        data.insert(name.to_owned(), value);
    };
    put("id", row.id.into());
    put("uuid", row.uuid.clone().into());
    put("user_id", row.user_id.clone().into());
    put("project_id", row.project_id.clone().into());
    put("image_ref", row.image_ref.clone().into());
    put("hostname", row.hostname.clone().into());
    put("launch_index", row.launch_index.into());
    put("key_name", row.key_name.clone().into());
    put("key_data", row.key_data.clone().into());
    put("power_state", row.power_state.into());
    put("vm_state", row.vm_state.clone().into());
    put("task_state", row.task_state.clone().into());
    put("memory_mb", row.memory_mb.into());
    put("vcpus", row.vcpus.into());
    put("root_gb", row.root_gb.into());
    put("ephemeral_gb", row.ephemeral_gb.into());
    put("host", row.host.clone().into());
    put("node", row.node.clone().into());
    put("compute_id", row.compute_id.into());
    put("instance_type_id", row.instance_type_id.into());
    put("user_data", row.user_data.clone().into());
    put("reservation_id", row.reservation_id.clone().into());
    put("launched_at", wire_time(row.launched_at.as_ref()));
    put("terminated_at", wire_time(row.terminated_at.as_ref()));
    put("availability_zone", row.availability_zone.clone().into());
    put("access_ip_v4", row.access_ip_v4.clone().into());
    put("access_ip_v6", row.access_ip_v6.clone().into());
    put(
        "auto_disk_config",
        row.auto_disk_config.unwrap_or(false).into(),
    );
    put("display_name", row.display_name.clone().into());
    put(
        "display_description",
        row.display_description.clone().into(),
    );
    put("launched_on", row.launched_on.clone().into());
    put("locked", row.locked_by.is_some().into());
    put("locked_by", row.locked_by.clone().into());
    put("config_drive", row.config_drive.clone().into());
    put("progress", row.progress.into());
    for (field, boolean) in WITHOUT_COLUMN {
        put(field, if *boolean { false.into() } else { Value::Null });
    }
    put("created_at", wire_time(row.created_at.as_ref()));
    put("updated_at", wire_time(row.updated_at.as_ref()));
    put("deleted_at", wire_time(row.deleted_at.as_ref()));
    // Nova: `deleted = db_inst['deleted'] == db_inst['id']`.
    put(
        "deleted",
        (row.deleted != 0 && row.deleted == row.id).into(),
    );
    for attr in expected_attrs {
        match *attr {
            "metadata" => put(
                "metadata",
                Value::Object(metadata_dict(row.metadata.as_deref())),
            ),
            "system_metadata" => put(
                "system_metadata",
                Value::Object(metadata_dict(row.system_metadata.as_deref())),
            ),
            "info_cache" => put(
                "info_cache",
                nested(
                    "InstanceInfoCache",
                    json!({
                        "instance_uuid": row.uuid,
                        "network_info": row.network_info.as_deref().unwrap_or("[]"),
                        "created_at": wire_time(row.created_at.as_ref()),
                        "updated_at": null, "deleted_at": null, "deleted": false,
                    }),
                ),
            ),
            "security_groups" => put("security_groups", empty_list("SecurityGroupList")),
            "pci_devices" => put("pci_devices", empty_list("PciDeviceList")),
            // The tags are in the `tags` table, which the API's views read; the objects
            // sent over RPC carry none, no compute flow needs them (D-API-14).
            "tags" => put("tags", empty_list("TagList")),
            "flavor" | "old_flavor" | "new_flavor" => {
                if let Some((current, old, new)) = flavors_of(row) {
                    put("flavor", current);
                    put("old_flavor", old);
                    put("new_flavor", new);
                }
            }
            "pci_requests" => put(
                "pci_requests",
                nested(
                    "InstancePCIRequests",
                    json!({"instance_uuid": row.uuid, "requests": []}),
                ),
            ),
            "numa_topology" | "vcpu_model" | "migration_context" | "device_metadata"
            | "trusted_certs" | "resources" => put(attr, Value::Null),
            // Nova's instance_extra.keypairs: the KeyPairList of the booted key pair
            // (an empty list for an instance without one, as Nova makes it).
            "keypairs" => put(
                "keypairs",
                row.keypairs
                    .as_deref()
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or_else(|| empty_list("KeyPairList")),
            ),
            // fault: read by the conductor; services, ec2_ids: not kept.
            _ => {}
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> InstanceRow {
        let flavor = json!({"id": 1, "flavorid": "1", "name": "m1.tiny", "memory_mb": 512,
            "vcpus": 1, "root_gb": 1, "ephemeral_gb": 0, "swap": 0, "rxtx_factor": 1.0,
            "is_public": true, "disabled": false, "extra_specs": {"hw:cpu": 2}});
        InstanceRow {
            id: 7,
            uuid: "u".into(),
            display_name: None,
            display_description: None,
            hostname: None,
            user_id: None,
            project_id: None,
            image_ref: None,
            instance_type_id: Some(1),
            memory_mb: Some(512),
            vcpus: Some(1),
            root_gb: Some(1),
            ephemeral_gb: Some(0),
            swap: Some(0),
            // As the api writes it: JSON text inside a JSON string.
            flavor: Some(json!(flavor.to_string()).to_string()),
            vm_state: Some("building".into()),
            task_state: None,
            power_state: Some(0),
            host: Some("h".into()),
            node: Some("h".into()),
            compute_id: None,
            launched_on: None,
            launched_at: None,
            terminated_at: None,
            availability_zone: None,
            reservation_id: None,
            launch_index: Some(0),
            key_name: None,
            key_data: None,
            keypairs: None,
            user_data: None,
            config_drive: None,
            locked_by: Some("admin".into()),
            progress: Some(0),
            metadata: Some(json!("{\"a\": 1}").to_string()),
            system_metadata: None,
            access_ip_v4: None,
            access_ip_v6: None,
            auto_disk_config: None,
            network_info: None,
            created_at: None,
            updated_at: None,
            deleted_at: None,
            deleted: 0,
        }
    }

    #[test]
    fn the_base_fields_are_novas_and_no_column_leaks() {
        let fields = instance_fields(&row(), &[]);
        assert!(fields.keys().all(|k| is_instance_field(k)), "{fields:?}");
        assert!(!fields.contains_key("swap") && !fields.contains_key("flavor"));
        assert_eq!(fields["locked"], true);
        assert_eq!(fields["deleted"], false);
        assert_eq!(fields["cleaned"], false);
        assert_eq!(fields["kernel_id"], Value::Null);
    }

    #[test]
    fn optional_fields_are_objects_and_dicts() {
        let fields = instance_fields(&row(), &["flavor", "metadata", "info_cache", "tags"]);
        let flavor = &fields["flavor"];
        assert_eq!(flavor["nova_object.name"], "Flavor");
        assert_eq!(flavor["nova_object.data"]["name"], "m1.tiny");
        assert_eq!(flavor["nova_object.data"]["extra_specs"]["hw:cpu"], "2");
        assert_eq!(fields["old_flavor"], Value::Null);
        assert_eq!(fields["metadata"], json!({"a": "1"}));
        assert_eq!(
            fields["info_cache"]["nova_object.data"]["network_info"],
            "[]"
        );
        assert_eq!(fields["tags"]["nova_object.data"]["objects"], json!([]));
    }

    #[test]
    fn a_saved_flavor_column_reads_back() {
        let current = instance_fields(&row(), &["flavor"])["flavor"].clone();
        let column = flavor_column(&current, &Value::Null, &Value::Null);
        let mut saved = row();
        saved.flavor = Some(column.to_string());
        let again = instance_fields(&saved, &["flavor"]);
        assert_eq!(again["flavor"], current);
        assert!(flavor_primitive(&json!("not a flavor")).is_none());
    }

    #[test]
    fn flavor_fields_read_every_snapshot_shape() {
        let plain = json!({"flavorid": "1", "memory_mb": 512});
        let primitive = json!({"nova_object.name": "Flavor", "nova_object.data": plain.clone()});
        assert_eq!(flavor_fields(plain.clone()), plain);
        assert_eq!(flavor_fields(primitive.clone()), plain);
        assert_eq!(flavor_fields(json!({"cur": primitive, "old": null})), plain);
        assert_eq!(flavor_fields(json!(null)), json!(null));
    }
}
