//! `ComputeNode` and `ComputeNodeList` on the conductor: the class methods that read
//! `compute_nodes` rows and the `create`/`save` that write them, in Nova's object shape
//! (`objects::compute_node` converts `supported_hv_specs` and `stats` both ways).

use serde_json::{Map, Value};

use super::args::{bad_argument, text_arg, unsupported};
use crate::db::{ComputeNodeRow, ComputeNodeValues, NovaDb, NovaDbError};
use crate::objects::compute_node::{
    compute_node_fields, compute_node_primitive, stats_column, supported_instances_column,
};
use crate::objects::{versions, NovaObject};
use novactor::rpc::RemoteFailure;

fn list_of(rows: &[ComputeNodeRow]) -> Value {
    let objects = rows.iter().map(compute_node_primitive).collect();
    let mut data = Map::new();
    data.insert("objects".into(), Value::Array(objects));
    NovaObject::new("ComputeNodeList", versions::COMPUTE_NODE_LIST, data).to_primitive()
}

/// `ComputeNode.*` and `ComputeNodeList.*` class methods.
pub(super) async fn class_action(
    db: &NovaDb,
    objname: &str,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    match (objname, objmethod) {
        ("ComputeNode", "get_by_host_and_nodename") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let nodename = text_arg(args, kwargs, 1, "nodename")?;
            let row = db
                .compute_node_get_by_host_and_nodename(&host, &nodename)
                .await
                .map_err(fail)?;
            Ok(compute_node_primitive(&row))
        }
        ("ComputeNode", "get_by_uuid") => {
            let uuid = text_arg(args, kwargs, 0, "compute_uuid")?;
            let row = db.compute_node_get_by_uuid(&uuid).await.map_err(fail)?;
            Ok(compute_node_primitive(&row))
        }
        ("ComputeNodeList", "get_all_by_host") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let rows = db.compute_node_get_all_by_host(&host).await.map_err(fail)?;
            Ok(list_of(&rows))
        }
        ("ComputeNodeList", "get_all_by_uuids") => {
            let uuids = args
                .first()
                .or_else(|| kwargs.get("compute_uuids"))
                .and_then(Value::as_array)
                .ok_or_else(|| bad_argument("compute_uuids missing or not a list"))?;
            let mut rows = Vec::with_capacity(uuids.len());
            for uuid in uuids {
                let uuid = uuid
                    .as_str()
                    .ok_or_else(|| bad_argument("a compute uuid is not a string"))?;
                match db.compute_node_get_by_uuid(uuid).await {
                    Ok(row) => rows.push(row),
                    Err(NovaDbError::ComputeHostNotFound { .. }) => {}
                    Err(other) => return Err(fail(other)),
                }
            }
            Ok(list_of(&rows))
        }
        _ => Err(unsupported(objname, objmethod)),
    }
}

/// `ComputeNode.create()` / `ComputeNode.save()`: the node's fields after the write.
pub(super) async fn instance_action(
    db: &NovaDb,
    object: &NovaObject,
    objmethod: &str,
) -> Result<Map<String, Value>, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let row = match objmethod {
        "create" => {
            let field = |name: &str| object.get(name).as_str().map(str::to_owned);
            let host = field("host").ok_or_else(|| bad_argument("ComputeNode.host missing"))?;
            let nodename = field("hypervisor_hostname")
                .ok_or_else(|| bad_argument("ComputeNode.hypervisor_hostname missing"))?;
            let values = compute_node_values(object, None)?;
            db.compute_node_create(&host, &nodename, &values)
                .await
                .map_err(fail)?
        }
        "save" => {
            let id = object
                .get("id")
                .as_i64()
                .ok_or_else(|| bad_argument("ComputeNode has no integer id"))?;
            let values = compute_node_values(object, Some(&object.changes))?;
            if values == ComputeNodeValues::default() {
                db.compute_node_get(id).await.map_err(fail)?
            } else {
                db.compute_node_update(id, &values).await.map_err(fail)?
            }
        }
        method => return Err(unsupported("ComputeNode", method)),
    };
    Ok(compute_node_fields(&row))
}

/// The fields of a `ComputeNode` object a compute writes, as `ComputeNodeValues`: all set
/// ones (`only = None`, for `create`) or the named ones (`save`). Unknown or read-only
/// fields (`id`, `host`, timestamps) are skipped (`uuid` is read by `create` only); a value of the wrong type is a
/// `ValueError`, null leaves the column alone.
fn compute_node_values(
    object: &NovaObject,
    only: Option<&[String]>,
) -> Result<ComputeNodeValues, RemoteFailure> {
    let wanted = |name: &str| only.is_none_or(|fields| fields.iter().any(|f| f == name));
    let present = |name: &str| wanted(name) && !object.get(name).is_null();
    let int = |name: &str| -> Result<Option<i64>, RemoteFailure> {
        if !present(name) {
            return Ok(None);
        }
        let value = object.get(name);
        value
            .as_i64()
            // Nova's IntegerField coerces floats (e.g. swap / 1024) by truncation.
            .or_else(|| value.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| bad_argument(&format!("ComputeNode.{name} is not an integer")))
    };
    let float = |name: &str| -> Result<Option<f64>, RemoteFailure> {
        if !present(name) {
            return Ok(None);
        }
        object
            .get(name)
            .as_f64()
            .map(Some)
            .ok_or_else(|| bad_argument(&format!("ComputeNode.{name} is not a number")))
    };
    let text = |name: &str| -> Result<Option<String>, RemoteFailure> {
        if !present(name) {
            return Ok(None);
        }
        match object.get(name) {
            Value::String(text) => Ok(Some(text.clone())),
            // Nova keeps these JSON columns as text; accept the structure too.
            other @ (Value::Object(_) | Value::Array(_)) => Ok(Some(other.to_string())),
            _ => Err(bad_argument(&format!("ComputeNode.{name} is not a string"))),
        }
    };
    Ok(ComputeNodeValues {
        uuid: text("uuid")?,
        service_id: int("service_id")?,
        vcpus: int("vcpus")?,
        memory_mb: int("memory_mb")?,
        local_gb: int("local_gb")?,
        vcpus_used: int("vcpus_used")?,
        memory_mb_used: int("memory_mb_used")?,
        local_gb_used: int("local_gb_used")?,
        free_ram_mb: int("free_ram_mb")?,
        free_disk_gb: int("free_disk_gb")?,
        current_workload: int("current_workload")?,
        running_vms: int("running_vms")?,
        disk_available_least: int("disk_available_least")?,
        hypervisor_type: text("hypervisor_type")?,
        hypervisor_version: int("hypervisor_version")?,
        cpu_info: text("cpu_info")?,
        host_ip: text("host_ip")?,
        supported_instances: if present("supported_hv_specs") {
            Some(
                supported_instances_column(object.get("supported_hv_specs"))
                    .map_err(|e| bad_argument(&format!("ComputeNode.supported_hv_specs: {e}")))?,
            )
        } else {
            None
        },
        stats: if present("stats") {
            Some(stats_column(object.get("stats")).map_err(|e| bad_argument(&e.to_string()))?)
        } else {
            None
        },
        cpu_allocation_ratio: float("cpu_allocation_ratio")?,
        ram_allocation_ratio: float("ram_allocation_ratio")?,
        disk_allocation_ratio: float("disk_allocation_ratio")?,
    })
}
