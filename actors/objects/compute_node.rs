//! Nova `ComputeNode` (1.19) and `HVSpec` (1.2) as they travel, and the conversions Nova's
//! object does between its fields and the `compute_nodes` columns
//! (`nova/objects/compute_node.py`): `supported_hv_specs` (a list of `HVSpec` objects) is
//! the column `supported_instances` (`[[arch, hv_type, vm_mode], …]` as JSON text), `stats`
//! (a dict of strings) is JSON text, and the columns Nova keeps to itself (`pci_stats`,
//! `extra_resources`, `supported_instances`) never appear in the object.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope::{NovaObject, ObjectError};
use super::typed::TypedObject;
use super::versions;
use crate::db::ComputeNodeRow;

/// Nova `HVSpec`: one (architecture, hypervisor type, VM mode) a node runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HvSpec {
    /// e.g. `x86_64`.
    pub arch: String,
    /// e.g. `fake`.
    pub hv_type: String,
    /// e.g. `hvm`.
    pub vm_mode: String,
}

impl TypedObject for HvSpec {
    const NAME: &'static str = "HVSpec";
    const VERSION: &'static str = "1.2";
}

impl HvSpec {
    /// The primitive with every field marked set, as Nova's compute sends a new one.
    pub fn to_new_primitive(&self) -> Value {
        let mut object = NovaObject::new(Self::NAME, Self::VERSION, Map::new());
        object.set("arch", Value::String(self.arch.clone()));
        object.set("hv_type", Value::String(self.hv_type.clone()));
        object.set("vm_mode", Value::String(self.vm_mode.clone()));
        object.to_primitive()
    }
}

/// `supported_hv_specs` as the `supported_instances` column: `[[arch, hv_type, vm_mode]]`.
pub fn supported_instances_column(hv_specs: &Value) -> Result<String, ObjectError> {
    let Value::Array(items) = hv_specs else {
        return Err(ObjectError::Malformed(
            "supported_hv_specs is not a list".into(),
        ));
    };
    let triples = items
        .iter()
        .map(|item| HvSpec::from_primitive(item).map(|s| vec![s.arch, s.hv_type, s.vm_mode]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::from(triples).to_string())
}

/// The `supported_instances` column as `HVSpec` primitives (an unreadable column is an empty
/// list, as Nova's `_from_db_object` tolerates a missing one).
fn hv_specs_of_column(column: Option<&str>) -> Value {
    let triples: Vec<Vec<String>> = column
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let specs = triples
        .into_iter()
        .filter(|t| t.len() == 3)
        .map(|t| {
            HvSpec {
                arch: t[0].clone(),
                hv_type: t[1].clone(),
                vm_mode: t[2].clone(),
            }
            .to_primitive()
        })
        .collect();
    Value::Array(specs)
}

/// `stats` (a dict of nullable strings, or JSON text of one) as the column's JSON text.
pub fn stats_column(stats: &Value) -> Result<String, ObjectError> {
    match stats {
        Value::Object(_) => Ok(stats.to_string()),
        Value::String(text) if serde_json::from_str::<Map<String, Value>>(text).is_ok() => {
            Ok(text.clone())
        }
        _ => Err(ObjectError::Malformed(
            "ComputeNode.stats is not a dict".into(),
        )),
    }
}

/// A `compute_nodes` row as Nova's `ComputeNode` object fields (`_from_db_object`).
pub fn compute_node_fields(row: &ComputeNodeRow) -> Map<String, Value> {
    let stats: Map<String, Value> = row
        .stats
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let time = |t: &Option<chrono::DateTime<chrono::Utc>>| match t {
        Some(t) => Value::String(super::datetime::isotime(t)),
        None => Value::Null,
    };
    let mut data = Map::new();
    let mut put = |name: &str, value: Value| {
        data.insert(name.to_owned(), value);
    };
    put("id", row.id.into());
    put("uuid", row.uuid.clone().into());
    put("service_id", row.service_id.into());
    put("host", row.host.clone().into());
    put("vcpus", row.vcpus.into());
    put("memory_mb", row.memory_mb.into());
    put("local_gb", row.local_gb.into());
    put("vcpus_used", row.vcpus_used.into());
    put("memory_mb_used", row.memory_mb_used.into());
    put("local_gb_used", row.local_gb_used.into());
    put("hypervisor_type", row.hypervisor_type.clone().into());
    put("hypervisor_version", row.hypervisor_version.into());
    put(
        "hypervisor_hostname",
        row.hypervisor_hostname.clone().into(),
    );
    put("free_ram_mb", row.free_ram_mb.into());
    put("free_disk_gb", row.free_disk_gb.into());
    put("current_workload", row.current_workload.into());
    put("running_vms", row.running_vms.into());
    put("cpu_info", row.cpu_info.clone().into());
    put("disk_available_least", row.disk_available_least.into());
    put("metrics", row.metrics.clone().into());
    put("stats", Value::Object(stats));
    put("host_ip", row.host_ip.clone().into());
    put("numa_topology", row.numa_topology.clone().into());
    put(
        "supported_hv_specs",
        hv_specs_of_column(row.supported_instances.as_deref()),
    );
    put("pci_device_pools", Value::Null);
    // A NULL ratio column is 0.0 here, which the compute's tracker reads as unset and
    // replaces; Nova's object answers the conductor's configured or initial ratio instead
    // (docs/DEVIATIONS.md D-COND-2).
    put(
        "cpu_allocation_ratio",
        row.cpu_allocation_ratio.unwrap_or(0.0).into(),
    );
    put(
        "ram_allocation_ratio",
        row.ram_allocation_ratio.unwrap_or(0.0).into(),
    );
    put(
        "disk_allocation_ratio",
        row.disk_allocation_ratio.unwrap_or(0.0).into(),
    );
    put("mapped", row.mapped.into());
    put("created_at", time(&row.created_at));
    put("updated_at", time(&row.updated_at));
    put("deleted_at", time(&row.deleted_at));
    put("deleted", Value::Bool(row.deleted != 0));
    data
}

/// A `compute_nodes` row as the `ComputeNode` primitive.
pub fn compute_node_primitive(row: &ComputeNodeRow) -> Value {
    NovaObject::new(
        "ComputeNode",
        versions::COMPUTE_NODE,
        compute_node_fields(row),
    )
    .to_primitive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hv_specs_are_a_list_of_triples_in_the_column_and_objects_on_the_wire() {
        let spec = HvSpec {
            arch: "x86_64".into(),
            hv_type: "fake".into(),
            vm_mode: "hvm".into(),
        };
        let wire = json!([spec.to_new_primitive()]);
        let column = supported_instances_column(&wire).unwrap();
        assert_eq!(column, r#"[["x86_64","fake","hvm"]]"#);
        let back = hv_specs_of_column(Some(&column));
        assert_eq!(HvSpec::from_primitive(&back[0]).unwrap(), spec);
        assert!(supported_instances_column(&json!({"a": 1})).is_err());
        assert_eq!(hv_specs_of_column(Some("not json")), json!([]));
    }

    #[test]
    fn stats_are_a_dict() {
        assert_eq!(
            stats_column(&json!({"failed_builds": "0"})).unwrap(),
            r#"{"failed_builds":"0"}"#
        );
        assert!(stats_column(&json!([1])).is_err());
    }
}
