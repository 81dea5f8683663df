//! `Service` on the conductor (Nova `nova/objects/service.py`): the class methods a compute
//! reads its service row with, and the `create`/`save` it writes it with. The row's columns
//! are the object's fields (`Service._from_db_object`); `compute_node` and
//! `availability_zone` are left to lazy-loading, as Nova does.

use serde_json::{Map, Value};

use super::args::{bad_argument, fields_of, object_of, text_arg, unsupported};
use crate::db::{NovaDb, NovaDbError, ServiceChanges, ServiceKey};
use crate::exception::NovaException;
use crate::objects::{versions, NovaObject};
use novactor::rpc::RemoteFailure;

/// `Service.get_by_host_and_binary(host, binary)` (null if none, as Nova: it catches
/// `HostBinaryNotFound`), `get_by_id(service_id)`, `get_by_compute_host(host)`
/// (`ComputeHostNotFound` if none).
pub(super) async fn class_action(
    db: &NovaDb,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let service = |row| object_of("Service", versions::SERVICE, &row);
    match objmethod {
        "get_by_host_and_binary" => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let binary = text_arg(args, kwargs, 1, "binary")?;
            match db
                .service_get_by_host_and_binary(&host, &binary)
                .await
                .map_err(fail)?
            {
                Some(row) => service(row),
                None => Ok(Value::Null),
            }
        }
        "get_by_id" => {
            let id = args
                .first()
                .or_else(|| kwargs.get("service_id"))
                .and_then(Value::as_i64)
                .ok_or_else(|| bad_argument("service_id missing or not an integer"))?;
            service(db.service_get(id).await.map_err(fail)?)
        }
        "get_by_compute_host" => {
            let host = text_arg(args, kwargs, 0, "host")?;
            let row = db
                .service_get_by_host_and_binary(&host, "nova-compute")
                .await
                .map_err(fail)?
                .ok_or_else(|| {
                    NovaException::ComputeHostNotFound
                        .failure(format!("Compute host {host} could not be found."))
                })?;
            service(row)
        }
        method => Err(unsupported("Service", method)),
    }
}

/// `Service.create()` and `Service.save()`: the service's fields after the write.
pub(super) async fn instance_action(
    db: &NovaDb,
    object: &NovaObject,
    objmethod: &str,
) -> Result<Map<String, Value>, RemoteFailure> {
    let fail = |e: NovaDbError| e.to_failure();
    let row = match objmethod {
        "create" => {
            let field = |name: &str| object.get(name).as_str().map(str::to_owned);
            let host = field("host").ok_or_else(|| bad_argument("Service.host missing"))?;
            let binary = field("binary").ok_or_else(|| bad_argument("Service.binary missing"))?;
            let version = object.get("version").as_i64().unwrap_or(0);
            db.service_create(&host, &binary, field("topic").as_deref(), version)
                .await
                .map_err(fail)?
        }
        "save" => {
            let id = object
                .get("id")
                .as_i64()
                .ok_or_else(|| bad_argument("Service has no integer id"))?;
            let changed = |name: &str| object.changes.iter().any(|c| c == name);
            let int = |name: &str| changed(name).then(|| object.get(name).as_i64()).flatten();
            let (report_count, version) = (int("report_count"), int("version"));
            if report_count.is_some() || version.is_some() {
                db.service_update_counters(id, report_count, version)
                    .await
                    .map_err(fail)?;
            }
            let changes = ServiceChanges {
                disabled: changed("disabled")
                    .then(|| object.get("disabled").as_bool().unwrap_or(false)),
                disabled_reason: changed("disabled_reason")
                    .then(|| object.get("disabled_reason").as_str().map(str::to_owned)),
                forced_down: changed("forced_down")
                    .then(|| object.get("forced_down").as_bool().unwrap_or(false)),
            };
            if changes == ServiceChanges::default() {
                db.service_get(id).await.map_err(fail)?
            } else {
                db.service_set(ServiceKey::Id(id), &changes)
                    .await
                    .map_err(fail)?
            }
        }
        method => return Err(unsupported("Service", method)),
    };
    fields_of(&row)
}
