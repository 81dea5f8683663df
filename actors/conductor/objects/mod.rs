//! The conductor's side of object indirection (Nova: `ConductorManager.object_action` and
//! `object_class_action_versions`): a fixed registry of (object, method) pairs run
//! against the database, replying as oslo.versionedobjects does. Anything else is
//! `ObjectActionError`; database errors go back as their `nova.exception` class.
//!
//! | object | class methods | instance methods |
//! |---|---|---|
//! | `Service` | `get_by_host_and_binary(host, binary)` (null if none, as Nova), `get_by_id(id)` | `create`, `save` |
//! | `Instance` | `get_by_uuid(uuid)` | `save(expected_task_state=, expected_vm_state=)`, `destroy` |
//! | `InstanceList` | `get_by_host(host)` | – |
//! | `Service` | `get_by_compute_host(host)` | – |
//! | `ComputeNode` | `get_by_host_and_nodename(host, nodename)`, `get_by_uuid(uuid)` | `create` (every set field), `save` (changed fields) |
//! | `ComputeNodeList` | `get_all_by_host(host)` (`ComputeHostNotFound` if none), `get_all_by_uuids(uuids)` | – |
//! | `InstanceFault` | – | `create` (`instance_uuid`, `code`, `message`, `details`, `host`) |
//! | `InstanceActionEvent` | `event_start`, `event_finish_with_failure`, `event_finish` | – |
//!
//! `compute_node.rs` serves the `ComputeNode` rows (Nova's field conversions are
//! `objects::compute_node`'s), `action_events.rs` the instance action events.

use serde_json::{json, Map, Value};

use crate::db::{NovaDb, NovaDbError, ServiceChanges, ServiceKey};
use crate::exception::NovaException;
use crate::objects::{versions, NovaObject};
use novactor::rpc::RemoteFailure;

mod action_events;
mod args;
mod compute_node;

use args::{bad_argument, fields_of, object_of, text_arg, unsupported};

/// `object_class_action_versions(objname, objmethod, object_versions, args, kwargs)`.
pub async fn class_action(
    db: &NovaDb,
    request_id: Option<&str>,
    objname: &str,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    match (objname, objmethod) {
        ("Service", "get_by_host_and_binary") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let binary = text_arg(args, kwargs, 1, "binary")?;
            // Nova's object returns None for a missing service (it catches HostBinaryNotFound).
            match db
                .service_get_by_host_and_binary(&host, &binary)
                .await
                .map_err(fail)?
            {
                Some(row) => object_of("Service", versions::SERVICE, &row),
                None => Ok(Value::Null),
            }
        }
        ("Service", "get_by_id") => {
            let id = args
                .first()
                .or_else(|| kwargs.get("service_id"))
                .and_then(Value::as_i64)
                .ok_or_else(|| bad_argument("service_id missing or not an integer"))?;
            let row = db.service_get(id).await.map_err(fail)?;
            object_of("Service", versions::SERVICE, &row)
        }
        ("Instance", "get_by_uuid") => {
            let uuid = text_arg(args, kwargs, 0, "uuid")?;
            let row = db.instance_get_by_uuid(&uuid).await.map_err(fail)?;
            object_of("Instance", versions::INSTANCE, &row)
        }
        ("InstanceList", "get_by_host") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let rows = db.instance_get_all_by_host(&host).await.map_err(fail)?;
            let objects = rows
                .iter()
                .map(|row| object_of("Instance", versions::INSTANCE, row))
                .collect::<Result<Vec<_>, _>>()?;
            let mut data = Map::new();
            data.insert("objects".into(), Value::Array(objects));
            Ok(NovaObject::new("InstanceList", versions::INSTANCE_LIST, data).to_primitive())
        }
        ("ComputeNode" | "ComputeNodeList", _) => {
            compute_node::class_action(db, objname, objmethod, args, kwargs).await
        }
        ("InstanceActionEvent", _) => {
            action_events::class_action(db, request_id, objmethod, args, kwargs).await
        }
        ("Service", "get_by_compute_host") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let row = db
                .service_get_by_host_and_binary(&host, "nova-compute")
                .await
                .map_err(fail)?
                .ok_or_else(|| {
                    NovaException::ComputeHostNotFound
                        .failure(format!("Compute host {host} could not be found."))
                })?;
            object_of("Service", versions::SERVICE, &row)
        }
        _ => Err(unsupported(objname, objmethod)),
    }
}

/// Fields whose value differs from the caller's copy: what oslo returns as `updates`.
fn updates(before: &Map<String, Value>, after: Map<String, Value>) -> Value {
    let mut changed = Map::new();
    for (field, value) in after {
        if before.get(&field) != Some(&value) {
            changed.insert(field, value);
        }
    }
    let names: Vec<Value> = changed.keys().cloned().map(Value::String).collect();
    changed.insert("obj_what_changed".into(), Value::Array(names));
    Value::Object(changed)
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

/// `object_action(objinst, objmethod, args, kwargs)` → `[updates, result]`.
pub async fn instance_action(
    db: &NovaDb,
    object: NovaObject,
    objmethod: &str,
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let id = || {
        object
            .get("id")
            .as_i64()
            .ok_or_else(|| bad_argument(&format!("{} has no integer id", object.name)))
    };
    let after = match (object.name.as_str(), objmethod) {
        ("Service", "create") => {
            let field = |name: &str| object.get(name).as_str().map(str::to_owned);
            let host = field("host").ok_or_else(|| bad_argument("Service.host missing"))?;
            let binary = field("binary").ok_or_else(|| bad_argument("Service.binary missing"))?;
            let version = object.get("version").as_i64().unwrap_or(0);
            let row = db
                .service_create(&host, &binary, field("topic").as_deref(), version)
                .await
                .map_err(fail)?;
            fields_of(&row)?
        }
        ("Service", "save") => {
            let id = id()?;
            let changed = |name: &str| object.changes.iter().any(|c| c == name);
            if changed("report_count") {
                // The DB layer sets last_seen_up when the count goes up (Nova's rule).
                db.service_report(id).await.map_err(fail)?;
            }
            let changes = ServiceChanges {
                disabled: changed("disabled")
                    .then(|| object.get("disabled").as_bool().unwrap_or(false)),
                disabled_reason: changed("disabled_reason")
                    .then(|| object.get("disabled_reason").as_str().map(str::to_owned)),
                forced_down: changed("forced_down")
                    .then(|| object.get("forced_down").as_bool().unwrap_or(false)),
            };
            let row = if changes == ServiceChanges::default() {
                db.service_get(id).await.map_err(fail)?
            } else {
                db.service_set(ServiceKey::Id(id), &changes)
                    .await
                    .map_err(fail)?
            };
            fields_of(&row)?
        }
        ("Instance", "save") => {
            let uuid = object
                .get("uuid")
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad_argument("Instance.uuid missing"))?;
            let mut values = Map::new();
            for field in &object.changes {
                values.insert(field.clone(), object.get(field).clone());
            }
            let expected_task = expected_states(kwargs.get("expected_task_state"))?;
            let expected_vm = match kwargs.get("expected_vm_state") {
                None | Some(Value::Null) => None,
                Some(Value::String(state)) => Some(vec![state.clone()]),
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                Some(_) => return Err(bad_argument("expected_vm_state is not a state or a list")),
            };
            let row = db
                .instance_update_and_get(
                    &uuid,
                    &values,
                    expected_task.as_deref(),
                    expected_vm.as_deref(),
                )
                .await
                .map_err(fail)?;
            fields_of(&row)?
        }
        ("Instance", "destroy") => {
            let uuid = object
                .get("uuid")
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad_argument("Instance.uuid missing"))?;
            let row = db.instance_destroy(&uuid).await.map_err(fail)?;
            fields_of(&row)?
        }
        ("ComputeNode", _) => {
            return compute_node::instance_action(db, &object, objmethod)
                .await
                .map(|after| json!([updates(&object.data, after), Value::Null]));
        }
        ("InstanceFault", "create") => {
            let field = |name: &str| object.get(name).as_str().map(str::to_owned);
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
            fields_of(&row)?
        }
        (name, method) => return Err(unsupported(name, method)),
    };
    Ok(json!([updates(&object.data, after), Value::Null]))
}
