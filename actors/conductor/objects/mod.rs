//! The conductor's side of object indirection (Nova: `ConductorManager.object_action` and
//! `object_class_action_versions`): a fixed registry of (object, method) pairs run
//! against the database, replying as oslo.versionedobjects does — in Nova's object shapes
//! (each class's `_from_db_object` is the reference), so Nova's own object classes take the
//! answers as they take a Nova conductor's. Anything else is `ObjectActionError`; database
//! errors go back as their `nova.exception` class.
//!
//! | object | class methods | instance methods |
//! |---|---|---|
//! | `Service` | `get_by_host_and_binary(host, binary)` (null if none, as Nova), `get_by_id(id)`, `get_by_compute_host(host)` | `create`, `save` |
//! | `Instance` | `get_by_uuid(uuid, expected_attrs=)` | `save(expected_task_state=, expected_vm_state=)`, `destroy` |
//! | `InstanceList` | `get_by_host(host, expected_attrs=)` | – |
//! | `ComputeNode` | `get_by_host_and_nodename(host, nodename)`, `get_by_uuid(uuid)` | `create` (every set field), `save` (changed fields) |
//! | `ComputeNodeList` | `get_all_by_host(host)` (`ComputeHostNotFound` if none), `get_all_by_uuids(uuids)` | – |
//! | `InstanceFault` | – | `create` (`instance_uuid`, `code`, `message`, `details`, `host`) |
//! | `InstanceActionEvent` | `event_start`, `event_finish_with_failure`, `event_finish` | – |
//! | `InstanceAction` | `action_start(instance_uuid, action_name)` | – |
//! | `Migration` | `get_by_id`, `get_by_uuid`, `get_by_id_and_instance`, `get_by_instance_and_status` | `create`, `save` (status, hosts, nodes, progress counters) |
//! | `MigrationList` | `get_in_progress_by_host_and_node`, `get_in_progress_by_instance`, `get_by_filters` | – |
//! | `ImageCatalog` (novactor's, D-IMAGE-UPLOAD) | `get`, `upload_done`, `delete`, `get_all` | – |
//!
//! One file per class family: `service.rs`, `instance.rs` (with `InstanceFault`),
//! `compute_node.rs` (Nova's field conversions are `objects::compute_node`'s),
//! `action_events.rs`, `migration.rs`, `image_catalog.rs` (the compute's image service); `args.rs` reads arguments and turns rows into fields.

use serde_json::{json, Map, Value};

use crate::db::NovaDb;
use crate::objects::NovaObject;
use novactor::rpc::RemoteFailure;

mod action_events;
mod args;
mod compute_node;
mod image_catalog;
mod instance;
mod migration;
mod service;

pub use image_catalog::image_dict;
pub use migration::migration_primitive;

use args::unsupported;

/// `object_class_action_versions(objname, objmethod, object_versions, args, kwargs)`.
pub async fn class_action(
    db: &NovaDb,
    request_id: Option<&str>,
    objname: &str,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    match objname {
        "Service" => service::class_action(db, objmethod, args, kwargs).await,
        "Instance" | "InstanceList" => {
            instance::class_action(db, objname, objmethod, args, kwargs).await
        }
        "ComputeNode" | "ComputeNodeList" => {
            compute_node::class_action(db, objname, objmethod, args, kwargs).await
        }
        "InstanceActionEvent" => {
            action_events::class_action(db, request_id, objmethod, args, kwargs).await
        }
        "InstanceAction" => {
            action_events::action_start(db, request_id, objmethod, args, kwargs).await
        }
        "Migration" | "MigrationList" => {
            migration::class_action(db, objname, objmethod, args, kwargs).await
        }
        "ImageCatalog" => image_catalog::class_action(db, objmethod, args, kwargs).await,
        _ => Err(unsupported(objname, objmethod)),
    }
}

/// oslo's `updates` of an `object_action` reply (Nova `ConductorManager.object_action`):
/// the fields whose value differs from the caller's copy, and `obj_what_changed` — what
/// the object still has to save afterwards: nothing, once a `create` or `save` wrote it.
fn updates(before: &Map<String, Value>, after: Map<String, Value>) -> Value {
    let mut changed = Map::new();
    for (field, value) in after {
        if before.get(&field) != Some(&value) {
            changed.insert(field, value);
        }
    }
    changed.insert("obj_what_changed".into(), Value::Array(Vec::new()));
    Value::Object(changed)
}

/// `object_action(objinst, objmethod, args, kwargs)` → `[updates, result]`.
pub async fn instance_action(
    db: &NovaDb,
    object: NovaObject,
    objmethod: &str,
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let after = match object.name.as_str() {
        "Service" => service::instance_action(db, &object, objmethod).await?,
        "Instance" | "InstanceFault" => {
            instance::instance_action(db, &object, objmethod, kwargs).await?
        }
        "ComputeNode" => compute_node::instance_action(db, &object, objmethod).await?,
        "Migration" => migration::instance_action(db, &object, objmethod).await?,
        name => return Err(unsupported(name, objmethod)),
    };
    Ok(json!([updates(&object.data, after), Value::Null]))
}

#[cfg(test)]
mod tests {
    use super::updates;
    use serde_json::json;

    #[test]
    fn updates_carry_what_differs_and_nothing_left_to_save() {
        let before = json!({"id": 1, "report_count": 0})
            .as_object()
            .cloned()
            .unwrap();
        let after = json!({"id": 1, "report_count": 1, "uuid": "u"})
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(
            updates(&before, after),
            json!({"report_count": 1, "uuid": "u", "obj_what_changed": []})
        );
    }
}
