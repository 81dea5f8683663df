//! The api side of live migration (Nova: `nova/compute/api.py` `live_migrate`,
//! `live_migrate_force_complete`, `live_migrate_abort`).
//!
//! `live_migrate`, behind `check_instance_lock` and `check_instance_state(vm_state=[ACTIVE,
//! PAUSED])`: a named host must have a compute node (400 `ComputeHostNotFound`), then task
//! state `migrating` (expecting none), the `live-migration` action, and the conductor's
//! `live_migrate_instance` cast — with the host as `scheduler_hint` when it is forced
//! (before 2.30, or `force` true), else as the request spec's `requested_destination`, which
//! the scheduler's filters must pass. Force-complete and abort check the record (its
//! instance, its status), record `live_migration_force_complete` /
//! `live_migration_cancel`, and cast to the source compute.

use serde_json::{json, Value};

use super::compute_api::{check_instance_lock, claim_task, db_error, instance, record_action};
use super::compute_api::{ApiError, ComputeApiDeps};
use super::compute_api_actions::check_instance_state;
use super::instance_state_checks::AllowedStates;
use crate::db::{InstanceRow, MigrationRow};
use crate::objects::instance::instance_primitive;
use crate::rpcapi::compute_live_migration::LiveMigrateInstance;
use novactor::rpc::RequestContext;

/// The action a state 409 of `os-migrateLive` names.
const MIGRATE_LIVE: &str = "os-migrateLive";

/// Nova `API.live_migrate`'s `check_instance_state(vm_state=[ACTIVE, PAUSED])`.
const LIVE_MIGRATE_ALLOWED: AllowedStates = AllowedStates::vm(&["active", "paused"]);

/// Nova `API.live_migrate_force_complete`'s state check.
const FORCE_COMPLETE_ALLOWED: AllowedStates =
    AllowedStates::vm_and_task(&["active"], &[Some("migrating")]);

/// Nova `API.live_migrate_abort`'s `check_instance_state(task_state=[MIGRATING])`.
const ABORT_ALLOWED: AllowedStates = AllowedStates {
    vm: None,
    task: Some(&[Some("migrating")]),
    must_have_launched: true,
};

/// What an `os-migrateLive` body asks for, as the controller passes it on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveMigrateRequest {
    /// The destination, if named.
    pub host: Option<String>,
    /// True, false, or none (2.25 `auto`).
    pub block_migration: Option<bool>,
    /// Before 2.25 only.
    pub disk_over_commit: Option<bool>,
    /// None before 2.30 (a named host is forced), else the body's `force` (false by default).
    pub force: Option<bool>,
}

/// Nova `API.live_migrate`.
pub async fn live_migrate(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    request: LiveMigrateRequest,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, MIGRATE_LIVE, LIVE_MIGRATE_ALLOWED)?;
    let mut node_name = None;
    if let Some(host) = &request.host {
        let not_found = || ApiError::BadRequest(format!("Compute host {host} could not be found."));
        let nodes = match deps.db.compute_node_get_all_by_host(host).await {
            Ok(nodes) => nodes,
            Err(e) if e.nova_class() == Some("ComputeHostNotFound") => return Err(not_found()),
            Err(e) => return Err(db_error(e)),
        };
        let node = nodes.first().ok_or_else(not_found)?;
        node_name = Some(node.hypervisor_hostname.clone().unwrap_or(host.clone()));
    }
    let mut request_spec = deps
        .db
        .request_spec_get_by_instance_uuid(uuid)
        .await
        .map_err(db_error)?
        .spec_json()
        .map_err(db_error)?;
    let row = claim_task(deps, &row, MIGRATE_LIVE, "migrating", &[None]).await?;
    record_action(deps, ctx, &row, "live-migration").await?;
    let mut forced_host = request.host.clone();
    if let (Some(false), Some(host)) = (request.force, &request.host) {
        // Nova: the scheduler is asked, limited to that host.
        forced_host = None;
        if let Some(data) = request_spec
            .get_mut("nova_object.data")
            .and_then(Value::as_object_mut)
        {
            data.insert(
                "requested_destination".into(),
                json!({
                    "nova_object.name": "Destination",
                    "nova_object.namespace": "nova",
                    "nova_object.version": "1.4",
                    "nova_object.data": {"host": host, "node": node_name},
                }),
            );
        }
    }
    let args = LiveMigrateInstance {
        instance: instance_primitive(&row),
        scheduler_hint: Some(json!({ "host": forced_host })),
        block_migration: request.block_migration,
        disk_over_commit: request.disk_over_commit,
        request_spec: Some(request_spec),
    };
    deps.compute_task
        .live_migrate_instance(ctx, args)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach the conductor: {e}")))
}

/// Nova `Migration.get_by_id_and_instance`: `None` for a record of another instance or
/// none at all (`MigrationNotFoundForInstance`).
pub async fn migration_of_instance(
    deps: &ComputeApiDeps,
    uuid: &str,
    migration_id: &str,
) -> Result<Option<MigrationRow>, ApiError> {
    let Ok(id) = migration_id.parse::<i64>() else {
        return Ok(None);
    };
    match deps.db.migration_get(id).await {
        Ok(row) if row.instance_uuid.as_deref() == Some(uuid) => Ok(Some(row)),
        Ok(_) => Ok(None),
        Err(e) if e.nova_class() == Some("MigrationNotFound") => Ok(None),
        Err(e) => Err(db_error(e)),
    }
}

fn not_found_for_instance(migration_id: &str, uuid: &str) -> String {
    format!("Migration {migration_id} not found for instance {uuid}")
}

fn invalid_migration_state(migration_id: &str, uuid: &str, state: &str, method: &str) -> String {
    format!(
        "Migration {migration_id} state of instance {uuid} is {state}. Cannot {method} while \
         the migration is in this state."
    )
}

/// The record of an in-progress migration of `row` (its lock and state checked first).
async fn checked_migration(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    migration_id: &str,
    not_found: fn(String) -> ApiError,
) -> Result<MigrationRow, ApiError> {
    migration_of_instance(deps, &row.uuid, migration_id)
        .await?
        .ok_or_else(|| not_found(not_found_for_instance(migration_id, &row.uuid)))
}

/// Nova `API.live_migrate_force_complete` (the migration must be `running`; its
/// not-found and state errors are the controller's 400s).
pub async fn force_complete(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    migration_id: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "force_complete", FORCE_COMPLETE_ALLOWED)?;
    let migration = checked_migration(deps, &row, migration_id, ApiError::BadRequest).await?;
    let status = migration.status.clone().unwrap_or_default();
    if status != "running" {
        return Err(ApiError::BadRequest(invalid_migration_state(
            migration_id,
            uuid,
            &status,
            "force complete",
        )));
    }
    record_action(deps, ctx, &row, "live_migration_force_complete").await?;
    let source = migration
        .source_compute
        .clone()
        .or(row.host.clone())
        .unwrap_or_default();
    deps.compute
        .live_migration_force_complete(ctx, &source, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {source}: {e}")))
}

/// Nova `API.live_migrate_abort`: `running`, and from 2.65 `queued` / `preparing` too.
pub async fn abort(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    migration_id: &str,
    support_abort_in_queue: bool,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "abort live migration", ABORT_ALLOWED)?;
    let migration = checked_migration(deps, &row, migration_id, ApiError::NotFound).await?;
    let status = migration.status.clone().unwrap_or_default();
    let mut allowed = vec!["running"];
    if support_abort_in_queue {
        allowed.extend(["queued", "preparing"]);
    }
    if !allowed.contains(&status.as_str()) {
        return Err(ApiError::BadRequest(invalid_migration_state(
            migration_id,
            uuid,
            &status,
            "abort live migration",
        )));
    }
    record_action(deps, ctx, &row, "live_migration_cancel").await?;
    let host = row.host.clone().unwrap_or_default();
    deps.compute
        .live_migration_abort(ctx, &host, instance_primitive(&row), migration.id)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}
