//! `Migration` and `MigrationList` on the conductor (Nova `nova/objects/migration.py`): the
//! records of resizes, cold and live migrations and evacuations that a compute reads and
//! moves through their statuses (`migration.save()`), with the live migration's progress
//! counters. Rows become objects as `Migration._from_db_object` makes them.

use serde_json::{Map, Value};

use super::args::{bad_argument, fields_of, text_arg, unsupported};
use crate::db::{MigrationChanges, MigrationFilters, MigrationRow, NewMigration, NovaDb};
use crate::db::{NovaDbError, MIGRATION_TYPES};
use crate::objects::{versions, NovaObject};
use novactor::rpc::RemoteFailure;

/// A row as a `Migration` primitive.
pub fn migration_primitive(row: &MigrationRow) -> Result<Value, RemoteFailure> {
    Ok(NovaObject::new("Migration", versions::MIGRATION, fields_of(row)?).to_primitive())
}

fn list_of(rows: &[MigrationRow]) -> Result<Value, RemoteFailure> {
    let objects = rows
        .iter()
        .map(migration_primitive)
        .collect::<Result<Vec<_>, _>>()?;
    let mut data = Map::new();
    data.insert("objects".into(), Value::Array(objects));
    Ok(NovaObject::new("MigrationList", versions::MIGRATION_LIST, data).to_primitive())
}

fn int_arg(
    args: &[Value],
    kwargs: &Map<String, Value>,
    index: usize,
    name: &str,
) -> Result<i64, RemoteFailure> {
    args.get(index)
        .or_else(|| kwargs.get(name))
        .and_then(Value::as_i64)
        .ok_or_else(|| bad_argument(&format!("argument {name} missing or not an integer")))
}

/// `Migration.*` and `MigrationList.*` class methods.
pub(super) async fn class_action(
    db: &NovaDb,
    objname: &str,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    match (objname, objmethod) {
        ("Migration", "get_by_id") => {
            let id = int_arg(args, kwargs, 0, "migration_id")?;
            migration_primitive(&db.migration_get(id).await.map_err(fail)?)
        }
        ("Migration", "get_by_uuid") => {
            let uuid = text_arg(args, kwargs, 0, "migration_uuid")?;
            migration_primitive(&db.migration_get_by_uuid(&uuid).await.map_err(fail)?)
        }
        ("Migration", "get_by_id_and_instance") => {
            let id = int_arg(args, kwargs, 0, "migration_id")?;
            let instance_uuid = text_arg(args, kwargs, 1, "instance_uuid")?;
            let row = db.migration_get(id).await.map_err(fail)?;
            if row.instance_uuid.as_deref() != Some(instance_uuid.as_str()) {
                return Err(NovaDbError::MigrationNotFound {
                    migration_id: id.to_string(),
                }
                .to_failure());
            }
            migration_primitive(&row)
        }
        ("Migration", "get_by_instance_and_status") => {
            let instance_uuid = text_arg(args, kwargs, 0, "instance_uuid")?;
            let status = text_arg(args, kwargs, 1, "status")?;
            let row = db
                .migration_get_by_instance_and_status(&instance_uuid, &status)
                .await
                .map_err(fail)?;
            migration_primitive(&row)
        }
        ("MigrationList", "get_in_progress_by_host_and_node") => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let node = text_arg(args, kwargs, 1, "node")?;
            let rows = db
                .migration_get_in_progress(Some((&host, &node)), None, None)
                .await
                .map_err(fail)?;
            list_of(&rows)
        }
        ("MigrationList", "get_in_progress_by_instance") => {
            let instance_uuid = text_arg(args, kwargs, 0, "instance_uuid")?;
            let migration_type = args
                .get(1)
                .or_else(|| kwargs.get("migration_type"))
                .and_then(Value::as_str);
            let rows = db
                .migration_get_in_progress(None, Some(&instance_uuid), migration_type)
                .await
                .map_err(fail)?;
            list_of(&rows)
        }
        ("MigrationList", "get_by_filters") => {
            let filters = args
                .first()
                .or_else(|| kwargs.get("filters"))
                .and_then(Value::as_object)
                .ok_or_else(|| bad_argument("argument filters missing or not a dict"))?;
            let rows = db
                .migration_get_all_by_filters(&list_filters(filters)?)
                .await
                .map_err(fail)?;
            list_of(&rows)
        }
        _ => Err(unsupported(objname, objmethod)),
    }
}

/// `MigrationList.get_by_filters`' filter dict: the keys Nova's compute sends (`status`
/// one value or a list), anything else is refused rather than ignored.
fn list_filters(filters: &Map<String, Value>) -> Result<MigrationFilters, RemoteFailure> {
    let mut out = MigrationFilters::default();
    for (key, value) in filters {
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad_argument(&format!("filter {key} is not a string")))
        };
        match key.as_str() {
            "status" => match value {
                Value::Array(statuses) => {
                    let statuses = statuses
                        .iter()
                        .map(|status| status.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad_argument("filter status lists a non-string"))?;
                    out.status_in = Some(statuses);
                }
                _ => out.status = Some(text()?),
            },
            "migration_type" => out.migration_type = Some(text()?),
            "instance_uuid" => out.instance_uuid = Some(text()?),
            "source_compute" => out.source_compute = Some(text()?),
            "host" => out.host = Some(text()?),
            "node" => out.node = Some(text()?),
            "uuid" => out.uuid = Some(text()?),
            "hidden" => out.hidden = value.as_bool(),
            other => {
                return Err(bad_argument(&format!(
                    "MigrationList.get_by_filters: filter {other} is not served"
                )))
            }
        }
    }
    Ok(out)
}

/// `Migration.create()` / `Migration.save()`: the record's fields after the write.
pub(super) async fn instance_action(
    db: &NovaDb,
    object: &NovaObject,
    objmethod: &str,
) -> Result<Map<String, Value>, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let text = |name: &str| object.get(name).as_str().map(str::to_owned);
    let int = |name: &str| object.get(name).as_i64();
    let row = match objmethod {
        "create" => {
            let migration_type = text("migration_type").unwrap_or_else(|| "migration".into());
            if !MIGRATION_TYPES.contains(&migration_type.as_str()) {
                return Err(bad_argument(&format!(
                    "Migration.migration_type {migration_type} is not one of {MIGRATION_TYPES:?}"
                )));
            }
            let new = NewMigration {
                instance_uuid: text("instance_uuid")
                    .ok_or_else(|| bad_argument("Migration.instance_uuid missing"))?,
                migration_type,
                status: text("status").unwrap_or_else(|| "pre-migrating".into()),
                source_compute: text("source_compute"),
                source_node: text("source_node"),
                dest_compute: text("dest_compute"),
                dest_node: text("dest_node"),
                old_instance_type_id: int("old_instance_type_id"),
                new_instance_type_id: int("new_instance_type_id"),
                user_id: text("user_id"),
                project_id: text("project_id"),
            };
            db.migration_create(&new).await.map_err(fail)?
        }
        "save" => {
            let id = int("id").ok_or_else(|| bad_argument("Migration has no integer id"))?;
            let changed = |name: &str| object.changes.iter().any(|field| field == name);
            let changed_text = |name: &str| text(name).filter(|_| changed(name));
            let changed_int = |name: &str| int(name).filter(|_| changed(name));
            let changes = MigrationChanges {
                status: changed_text("status"),
                dest_compute: changed_text("dest_compute"),
                dest_node: changed_text("dest_node"),
                dest_compute_id: changed_int("dest_compute_id"),
                dest_host: changed_text("dest_host"),
                source_compute: changed_text("source_compute"),
                source_node: changed_text("source_node"),
                new_instance_type_id: changed_int("new_instance_type_id"),
                memory_total: changed_int("memory_total"),
                memory_processed: changed_int("memory_processed"),
                memory_remaining: changed_int("memory_remaining"),
                disk_total: changed_int("disk_total"),
                disk_processed: changed_int("disk_processed"),
                disk_remaining: changed_int("disk_remaining"),
            };
            if changes == MigrationChanges::default() {
                db.migration_get(id).await.map_err(fail)?
            } else {
                db.migration_update(id, &changes).await.map_err(fail)?
            }
        }
        method => return Err(unsupported("Migration", method)),
    };
    fields_of(&row)
}
