//! The api side of resize, cold migration and their end (Nova: `nova/compute/api.py`
//! `API.resize`, `confirm_resize`, `revert_resize`), behind Nova's decorators in Nova's
//! order: `check_instance_lock`, `check_instance_state`, `check_instance_host(check_is_up)`.
//!
//! - resize / migrate: the new flavor checked (unknown or disabled: 400 `Flavor … could
//!   not be found.`; the same one: 400 `When resizing, instances must change flavor!`; a
//!   zero root disk from a non-zero one, a disk smaller than the image: 400), the source
//!   excluded from scheduling unless `allow_resize_to_same_host` allows it for a resize
//!   (the fake driver never moves a cold migration to its own host, as Nova's fake), a
//!   2.56 host pinned in the request spec; task `resize_prep`, action `resize` or
//!   `migrate`, and the conductor's `migrate_server` cast.
//! - confirm: the `finished` migration (none: 400 `Instance has not been resized.`) to
//!   `confirming`, action `confirmResize`, `confirm_resize` cast to the source.
//! - revert: the request spec back to the old flavor, task `resize_reverting`, migration
//!   `reverting`, action `revertResize`, `revert_resize` cast to the destination.

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::compute_api::{
    check_instance_lock, db_error, host_of, instance, record_action, values, ApiError,
    ComputeApiDeps,
};
use super::compute_api_actions::check_instance_state;
use super::instance_state_checks::AllowedStates;
use crate::db::{service_is_up, InstanceRow, MigrationChanges, MigrationRow, NovaDbError};
use crate::objects::instance::instance_primitive;
use crate::objects::instance_fields::flavor_fields;
use crate::objects::{versions, Destination, Flavor, NovaObject, RequestSpec, TypedObject};
use crate::rpcapi::compute_resize::{MoveRequest, RevertResize};
use novactor::rpc::RequestContext;

/// Nova `API.resize`'s `@check_instance_state(vm_state=[ACTIVE, STOPPED])`.
const RESIZE_ALLOWED: AllowedStates = AllowedStates::vm(&["active", "stopped"]);
/// `confirm_resize` / `revert_resize`: `@check_instance_state(vm_state=[RESIZED])`.
const RESIZED_ALLOWED: AllowedStates = AllowedStates::vm(&["resized"]);
/// One GiB, for the image size check.
const GIB: u64 = 1024 * 1024 * 1024;

/// What a resize or cold migration asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MoveFields {
    /// The new flavor's id (`flavorRef`); `None` for a cold migration.
    pub flavor_id: Option<String>,
    /// `OS-DCF:diskConfig` as a boolean (`AUTO` = true).
    pub auto_disk_config: Option<bool>,
    /// The 2.56 target host of a cold migration.
    pub host: Option<String>,
}

/// The flavor of a snapshot member (`cur`, `old`), as a typed flavor.
fn snapshot_flavor(row: &InstanceRow, member: &str) -> Result<Flavor, ApiError> {
    let mut snapshot = row.flavor_json().map_err(db_error)?;
    // The api once wrote the snapshot as JSON text inside the JSON column.
    if let Value::String(text) = &snapshot {
        snapshot = serde_json::from_str(text).unwrap_or(Value::Null);
    }
    let chosen = match snapshot.get("cur") {
        Some(_) => snapshot.get(member).cloned().unwrap_or_default(),
        None if member == "cur" => snapshot,
        None => Value::Null,
    };
    serde_json::from_value(flavor_fields(chosen)).map_err(|e| {
        ApiError::BadRequest(format!(
            "Flavor used by the instance could not be found. ({e})"
        ))
    })
}

/// Nova `check_instance_host(check_is_up=True)`: the host, its compute up (else 409
/// `ServiceUnavailable`).
async fn live_host(deps: &ComputeApiDeps, row: &InstanceRow) -> Result<String, ApiError> {
    let host = host_of(row)?;
    ensure_up(deps, &host).await?;
    Ok(host)
}

/// 409 `Service is unavailable at this time.` unless `host`'s compute is up.
async fn ensure_up(deps: &ComputeApiDeps, host: &str) -> Result<(), ApiError> {
    let up = match deps
        .db
        .service_get_by_host_and_binary(host, "nova-compute")
        .await
    {
        Ok(Some(service)) => service_is_up(&service, deps.service_down_time, Utc::now()),
        _ => false,
    };
    if up {
        Ok(())
    } else {
        Err(ApiError::Conflict(
            "Service is unavailable at this time.".into(),
        ))
    }
}

/// The instance's stored request spec.
async fn request_spec(deps: &ComputeApiDeps, uuid: &str) -> Result<RequestSpec, ApiError> {
    let row = deps
        .db
        .request_spec_get_by_instance_uuid(uuid)
        .await
        .map_err(db_error)?;
    let value: Value = serde_json::from_str(&row.spec)
        .map_err(|e| ApiError::Unavailable(format!("request spec of {uuid}: {e}")))?;
    RequestSpec::from_primitive(&value)
        .map_err(|e| ApiError::Unavailable(format!("request spec of {uuid}: {e}")))
}

/// Nova's 400s for the new flavor: unknown, disabled, the same, a zero disk, too small
/// for the image.
async fn new_flavor(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    current: &Flavor,
    flavor_id: Option<&str>,
) -> Result<Flavor, ApiError> {
    let Some(flavor_id) = flavor_id else {
        return Ok(current.clone());
    };
    let not_found = || ApiError::BadRequest(format!("Flavor {flavor_id} could not be found."));
    let flavor = match deps.db.flavor_get_by_flavor_id(flavor_id).await {
        Ok(flavor_row) => Flavor::from_row(&flavor_row),
        Err(NovaDbError::FlavorNotFound { .. }) => return Err(not_found()),
        Err(other) => return Err(db_error(other)),
    };
    if flavor.root_gb == 0 && current.root_gb != 0 {
        return Err(ApiError::BadRequest(
            "Server disk was unable to be resized because: Resize to zero disk flavor is not \
             allowed."
                .into(),
        ));
    }
    let same_flavor = current.id == flavor.id;
    if !same_flavor && flavor.disabled {
        return Err(not_found());
    }
    if same_flavor {
        return Err(ApiError::BadRequest(
            "When resizing, instances must change flavor!".into(),
        ));
    }
    // `_validate_flavor_image_nostatus`: the image must fit the new root disk.
    let image = match row.image_ref.as_deref() {
        Some(id) => deps.db.image_get(id).await.map_err(db_error)?,
        None => None,
    };
    if let Some(size) = image.and_then(|image| image.size) {
        let size = u64::try_from(size).unwrap_or(0);
        let root_bytes = u64::try_from(flavor.root_gb)
            .unwrap_or(0)
            .saturating_mul(GIB);
        if flavor.root_gb > 0 && size > root_bytes {
            return Err(ApiError::BadRequest(format!(
                "Flavor's disk is too small for requested image. Flavor disk is {root_bytes} \
                 bytes, image is {size} bytes."
            )));
        }
    }
    Ok(flavor)
}

/// Nova `_validate_host_for_cold_migrate`: not the instance's own host (400), a host with
/// a compute node (400 `Compute host … could not be found.`); its first node.
async fn target_host(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    host: &str,
) -> Result<Destination, ApiError> {
    if row.host.as_deref() == Some(host) {
        return Err(ApiError::BadRequest(
            "Cannot migrate to the host where the server exists.".into(),
        ));
    }
    let nodes = match deps.db.compute_node_get_all_by_host(host).await {
        Ok(nodes) => nodes,
        Err(NovaDbError::ComputeHostNotFound { .. }) => {
            return Err(ApiError::BadRequest(format!(
                "Compute host {host} could not be found."
            )))
        }
        Err(other) => return Err(db_error(other)),
    };
    Ok(Destination {
        host: Some(host.to_owned()),
        node: nodes
            .first()
            .and_then(|node| node.hypervisor_hostname.clone()),
    })
}

/// Nova `API.resize`: a resize (`flavor_id` given) or a cold migration.
pub async fn resize(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    fields: MoveFields,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let action = if fields.flavor_id.is_some() {
        "resize"
    } else {
        "migrate"
    };
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, action, RESIZE_ALLOWED)?;
    let source = live_host(deps, &row).await?;
    let destination = match fields.host.as_deref() {
        Some(host) => Some(target_host(deps, &row, host).await?),
        None => None,
    };
    let current = snapshot_flavor(&row, "cur")?;
    let flavor = new_flavor(deps, &row, &current, fields.flavor_id.as_deref()).await?;
    let cold_migrate = current.id == flavor.id;
    // `_allow_resize_to_same_host`: the fake driver reports no same-host cold migration.
    let ignore_hosts = if !cold_migrate && deps.allow_resize_to_same_host {
        Vec::new()
    } else {
        vec![source]
    };
    let mut spec = request_spec(deps, uuid).await?;
    spec.ignore_hosts = Some(ignore_hosts.clone());
    spec.requested_destination = destination;
    let mut columns = values(json!({"task_state": "resize_prep", "progress": 0}));
    columns.insert(
        "auto_disk_config".into(),
        json!(fields.auto_disk_config.unwrap_or(false)),
    );
    let row = save_task(deps, &row, action, &columns).await?;
    record_action(deps, ctx, &row, action).await?;
    let request = MoveRequest {
        instance: instance_primitive(&row),
        flavor: flavor.to_primitive(),
        ignore_hosts,
        request_spec: spec.to_primitive(),
    };
    deps.compute_task
        .migrate_server(ctx, request)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach the conductor: {e}")))
}

/// Save `columns` expecting no task, or Nova's 409 naming `action`.
async fn save_task(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    action: &str,
    columns: &Map<String, Value>,
) -> Result<InstanceRow, ApiError> {
    let no_task: [Option<String>; 1] = [None];
    deps.db
        .instance_update_and_get(&row.uuid, columns, Some(&no_task), None)
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                ApiError::Conflict(format!(
                    "Cannot '{action}' instance {} while it is in task_state {}",
                    row.uuid,
                    row.task_state.as_deref().unwrap_or("None")
                ))
            }
            _ => db_error(error),
        })
}

/// The instance's `finished` migration, or 400 `Instance has not been resized.`.
async fn finished_migration(deps: &ComputeApiDeps, uuid: &str) -> Result<MigrationRow, ApiError> {
    match deps
        .db
        .migration_get_by_instance_and_status(uuid, "finished")
        .await
    {
        Ok(migration) => Ok(migration),
        Err(error)
            if error
                .nova_class()
                .is_some_and(|c| c.starts_with("MigrationNotFound")) =>
        {
            Err(ApiError::BadRequest(
                "Instance has not been resized.".into(),
            ))
        }
        Err(error) => Err(db_error(error)),
    }
}

/// `migration` with `status`, as saved.
async fn set_status(
    deps: &ComputeApiDeps,
    migration: &MigrationRow,
    status: &str,
) -> Result<MigrationRow, ApiError> {
    let changes = MigrationChanges {
        status: Some(status.to_owned()),
        ..MigrationChanges::default()
    };
    deps.db
        .migration_update(migration.id, &changes)
        .await
        .map_err(db_error)
}

/// A migration row as the `Migration` primitive the computes read.
fn migration_primitive(row: &MigrationRow) -> Result<Value, ApiError> {
    let mut fields = match serde_json::to_value(row) {
        Ok(Value::Object(fields)) => fields,
        other => {
            return Err(ApiError::Unavailable(format!(
                "migration {} did not serialize: {other:?}",
                row.id
            )))
        }
    };
    fields.insert("deleted".into(), json!(row.deleted != 0));
    Ok(NovaObject::new("Migration", versions::MIGRATION, fields).to_primitive())
}

/// Nova `API.confirm_resize`.
pub async fn confirm_resize(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "confirmResize", RESIZED_ALLOWED)?;
    let migration = finished_migration(deps, uuid).await?;
    let source = migration.source_compute.clone().unwrap_or_default();
    ensure_up(deps, &source).await?;
    let migration = set_status(deps, &migration, "confirming").await?;
    record_action(deps, ctx, &row, "confirmResize").await?;
    deps.compute
        .confirm_resize(
            ctx,
            &source,
            instance_primitive(&row),
            migration_primitive(&migration)?,
        )
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {source}: {e}")))
}

/// Nova `API.revert_resize`.
pub async fn revert_resize(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "revertResize", RESIZED_ALLOWED)?;
    let migration = finished_migration(deps, uuid).await?;
    let old_flavor = snapshot_flavor(&row, "old")?;
    let mut spec = request_spec(deps, uuid).await?;
    if spec.flavor.id != old_flavor.id {
        spec.flavor = old_flavor;
        deps.db
            .request_spec_save(uuid, &spec.to_primitive())
            .await
            .map_err(db_error)?;
    }
    // The source's zone again (novactor's computes all share `default_availability_zone`).
    let columns = values(json!({"task_state": "resize_reverting",
        "availability_zone": deps.service_zones.of("nova-compute")}));
    let row = save_task(deps, &row, "revertResize", &columns).await?;
    let migration = set_status(deps, &migration, "reverting").await?;
    record_action(deps, ctx, &row, "revertResize").await?;
    let destination = migration.dest_compute.clone().unwrap_or_default();
    let args = RevertResize {
        instance: instance_primitive(&row),
        migration: migration_primitive(&migration)?,
        request_spec: Some(spec.to_primitive()),
    };
    deps.compute
        .revert_resize(ctx, &destination, args)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {destination}: {e}")))
}
