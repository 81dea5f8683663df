//! `Instance`, `InstanceList` and `InstanceFault` on the conductor (Nova
//! `nova/objects/instance.py`, `instance_fault.py`): reads answer Nova's `Instance` fields
//! with the optional ones the caller's `expected_attrs` ask for
//! (`objects::instance_fields`), `save` writes what changed under the expected task and vm
//! states and reads back what Nova's `save` reads back.

use serde_json::{Map, Value};

use super::args::{bad_argument, fields_of, object_of, text_arg, unsupported};
use crate::db::{InstanceRow, NovaDb, NovaDbError, INSTANCE_UPDATABLE_COLUMNS};
use crate::objects::instance_fields::{
    flavor_column, instance_fields, is_instance_field, GET_DEFAULT_ATTRS, JOINED_ATTRS,
};
use crate::objects::{versions, NovaObject};
use novactor::rpc::RemoteFailure;

/// `expected_attrs` (positional `index` or keyword), or `default` when absent or null.
fn expected_attrs(
    args: &[Value],
    kwargs: &Map<String, Value>,
    index: usize,
    default: &[&str],
) -> Result<Vec<String>, RemoteFailure> {
    match args.get(index).or_else(|| kwargs.get("expected_attrs")) {
        None | Some(Value::Null) => Ok(default.iter().map(|a| (*a).to_owned()).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad_argument("expected_attrs holds a non-string"))
            })
            .collect(),
        Some(_) => Err(bad_argument("expected_attrs is not a list")),
    }
}

/// The instance's fields with `attrs` (Nova's `_from_db_object`); `fault` is the newest
/// fault row (`InstanceFault.get_latest_for_instance`), or null.
async fn fields_with(
    db: &NovaDb,
    row: &InstanceRow,
    attrs: &[String],
) -> Result<Map<String, Value>, RemoteFailure> {
    let names: Vec<&str> = attrs.iter().map(String::as_str).collect();
    let mut fields = instance_fields(row, &names);
    if names.contains(&"fault") {
        let faults = db
            .instance_fault_get_by_instance_uuid(&row.uuid)
            .await
            .map_err(|e| e.to_failure())?;
        let fault = match faults.first() {
            Some(fault) => object_of("InstanceFault", versions::INSTANCE_FAULT, fault)?,
            None => Value::Null,
        };
        fields.insert("fault".into(), fault);
    }
    Ok(fields)
}

async fn instance_of(
    db: &NovaDb,
    row: &InstanceRow,
    attrs: &[String],
) -> Result<Value, RemoteFailure> {
    let fields = fields_with(db, row, attrs).await?;
    Ok(NovaObject::new("Instance", versions::INSTANCE, fields).to_primitive())
}

/// `Instance.get_by_uuid(uuid, expected_attrs=None)` (default `['info_cache']`, as Nova)
/// and `InstanceList.get_by_host(host, expected_attrs=None)`.
pub(super) async fn class_action(
    db: &NovaDb,
    objname: &str,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    match (objname, objmethod) {
        ("Instance", "get_by_uuid") => {
            let uuid = text_arg(args, kwargs, 0, "uuid")?;
            let attrs = expected_attrs(args, kwargs, 1, GET_DEFAULT_ATTRS)?;
            let row = db.instance_get_by_uuid(&uuid).await.map_err(fail)?;
            instance_of(db, &row, &attrs).await
        }
        ("InstanceList", "get_by_host") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let attrs = expected_attrs(args, kwargs, 1, &[])?;
            let rows = db.instance_get_all_by_host(&host).await.map_err(fail)?;
            let mut objects = Vec::with_capacity(rows.len());
            for row in &rows {
                objects.push(instance_of(db, row, &attrs).await?);
            }
            let mut data = Map::new();
            data.insert("objects".into(), Value::Array(objects));
            Ok(NovaObject::new("InstanceList", versions::INSTANCE_LIST, data).to_primitive())
        }
        (name, method) => Err(unsupported(name, method)),
    }
}

/// `expected_task_state` as Nova passes it: absent, a state, `null`, or a list of them.
fn expected_states(value: Option<&Value>) -> Result<Option<Vec<Option<String>>>, RemoteFailure> {
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(vec![None])),
        Some(Value::String(state)) => Ok(Some(vec![Some(state.clone())])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Null => Ok(None),
                Value::String(state) => Ok(Some(state.clone())),
                _ => Err(bad_argument("expected_task_state holds a non-string")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad_argument("expected_task_state is not a state or a list")),
    }
}

/// `expected_vm_state`: absent or null (no condition), a state, or a list of states.
fn expected_vm_states(value: Option<&Value>) -> Result<Option<Vec<String>>, RemoteFailure> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(state)) => Ok(Some(vec![state.clone()])),
        Some(Value::Array(items)) => Ok(Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        )),
        Some(_) => Err(bad_argument("expected_vm_state is not a state or a list")),
    }
}

/// The columns an `Instance.save()` writes, from the object's changes (Nova's `save`):
/// columns as they are, `flavor`/`old_flavor`/`new_flavor` folded into the flavor
/// snapshot (`_save_flavor`); other `Instance` fields have no storage here and are not
/// written (the reply then carries the stored value back). A name that is no `Instance`
/// field goes to the database layer, which refuses it.
fn saved_values(object: &NovaObject) -> Map<String, Value> {
    let mut values = Map::new();
    let mut flavor_changed = false;
    for field in &object.changes {
        let field = field.as_str();
        if matches!(field, "flavor" | "old_flavor" | "new_flavor") {
            flavor_changed = true;
        } else if INSTANCE_UPDATABLE_COLUMNS.contains(&field) || !is_instance_field(field) {
            values.insert(field.to_owned(), object.get(field).clone());
        }
    }
    if flavor_changed {
        let column = flavor_column(
            object.get("flavor"),
            object.get("old_flavor"),
            object.get("new_flavor"),
        );
        values.insert("flavor".into(), column);
    }
    values
}

/// `Instance.save(expected_vm_state=, expected_task_state=)`, `Instance.destroy()`,
/// `InstanceFault.create()`: the object's fields after the write.
pub(super) async fn instance_action(
    db: &NovaDb,
    object: &NovaObject,
    objmethod: &str,
    kwargs: &Map<String, Value>,
) -> Result<Map<String, Value>, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let field = |name: &str| object.get(name).as_str().map(str::to_owned);
    match (object.name.as_str(), objmethod) {
        ("Instance", "save") => {
            let uuid = field("uuid").ok_or_else(|| bad_argument("Instance.uuid missing"))?;
            let values = saved_values(object);
            if values.is_empty() {
                // Nova's save returns before any check or read when nothing is to write.
                return Ok(object.data.clone());
            }
            let expected_task = expected_states(kwargs.get("expected_task_state"))?;
            let expected_vm = expected_vm_states(kwargs.get("expected_vm_state"))?;
            let row = db
                .instance_update_and_get(
                    &uuid,
                    &values,
                    expected_task.as_deref(),
                    expected_vm.as_deref(),
                )
                .await
                .map_err(fail)?;
            // What Nova's save reads back: the joined fields the object has, but not
            // pci_devices, and always system_metadata.
            let mut attrs: Vec<String> = JOINED_ATTRS
                .iter()
                .filter(|a| **a != "pci_devices" && object.data.contains_key(**a))
                .map(|a| (*a).to_owned())
                .collect();
            if !attrs.iter().any(|a| a == "system_metadata") {
                attrs.push("system_metadata".into());
            }
            fields_with(db, &row, &attrs).await
        }
        ("Instance", "destroy") => {
            let uuid = field("uuid").ok_or_else(|| bad_argument("Instance.uuid missing"))?;
            db.instance_destroy(&uuid).await.map_err(fail)?;
            // Nova answers the row as deleted (deleted = id, deleted_at set).
            let row = db
                .instance_get_by_uuid_read_deleted(&uuid)
                .await
                .map_err(fail)?;
            Ok(instance_fields(&row, &[]))
        }
        ("InstanceFault", "create") => {
            let uuid = field("instance_uuid")
                .ok_or_else(|| bad_argument("InstanceFault.instance_uuid missing"))?;
            let code = object.get("code").as_i64().unwrap_or(500);
            let message = field("message").unwrap_or_default();
            let row = db
                .instance_fault_create(
                    &uuid,
                    code,
                    &message,
                    field("details").as_deref(),
                    field("host").as_deref(),
                )
                .await
                .map_err(fail)?;
            fields_of(&row)
        }
        (name, method) => Err(unsupported(name, method)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_save_writes_columns_and_the_flavor_snapshot_only() {
        let mut instance = NovaObject::new("Instance", versions::INSTANCE, Map::new());
        instance.set("task_state", json!("spawning"));
        instance.set("locked", json!(true));
        instance.set("tags", json!({"nova_object.name": "TagList"}));
        instance.set("no_such_field", json!(1));
        instance.set("system_metadata", json!({"old_vm_state": "active"}));
        instance.set(
            "flavor",
            json!({"nova_object.name": "Flavor", "nova_object.namespace": "nova",
                   "nova_object.version": "1.2", "nova_object.data": {"name": "m1.tiny"}}),
        );
        let values = saved_values(&instance);
        let mut keys: Vec<&str> = values.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["flavor", "no_such_field", "system_metadata", "task_state"]
        );
        assert_eq!(values["system_metadata"]["old_vm_state"], "active");
        assert_eq!(
            values["flavor"]["cur"]["nova_object.data"]["name"],
            "m1.tiny"
        );
        assert_eq!(values["flavor"]["old"], Value::Null);
    }

    #[test]
    fn expected_attrs_default_only_when_absent() {
        let none = Map::new();
        assert_eq!(
            expected_attrs(&[json!("u")], &none, 1, &["info_cache"]).unwrap(),
            ["info_cache"]
        );
        let mut kwargs = Map::new();
        kwargs.insert("expected_attrs".into(), json!(["flavor"]));
        assert_eq!(
            expected_attrs(&[json!("u")], &kwargs, 1, &["info_cache"]).unwrap(),
            ["flavor"]
        );
        assert!(expected_attrs(&[json!("u"), json!(3)], &none, 1, &[]).is_err());
    }
}
