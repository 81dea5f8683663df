//! The api side of evacuate (Nova: `nova/compute/api.py` `API.evacuate`): behind
//! `check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR], task_state=None)`, the
//! instance's compute must be down (else `ComputeServiceInUse`, a 400); the task state
//! becomes `rebuilding` (expecting none), the `evacuate` action is recorded, a `migrations`
//! record of type `evacuation` in status `accepted` is written for the source to find when
//! it comes back, and the conductor's `rebuild_instance(recreate=True)` takes it on: to the
//! forced host as it is, else through the scheduler (a named, unforced host becomes the
//! request spec's `requested_destination`).

use chrono::Utc;
use serde_json::json;

use super::compute_api::{db_error, host_of, instance, record_action, values};
use super::compute_api::{ApiError, ComputeApiDeps};
use super::compute_api_actions::check_instance_state;
use super::instance_state_checks::AllowedStates;
use crate::db::{service_is_up, NewMigration};
use crate::objects::instance::instance_primitive;
use crate::objects::{Destination, RequestSpec, TypedObject};
use crate::rpcapi::compute_rebuild::EvacuateRequest;
use novactor::rpc::RequestContext;

/// Nova's action name (and the action a 409 names).
const EVACUATE: &str = "evacuate";

/// Nova `API.evacuate`'s `@check_instance_state(vm_state=[ACTIVE, STOPPED, ERROR],
/// task_state=None)`.
const EVACUATE_ALLOWED: AllowedStates = AllowedStates::vm(&["active", "stopped", "error"]);

/// What a valid evacuate body asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvacuateFields {
    /// The destination named, if any.
    pub host: Option<String>,
    /// Before 2.14: `onSharedStorage`.
    pub on_shared_storage: Option<bool>,
    /// The guest's admin password (none on shared storage before 2.14).
    pub password: Option<String>,
    /// 2.29–2.67: `force` (none before 2.29; false from 2.68).
    pub force: Option<bool>,
    /// 2.95: `stopped`.
    pub target_state: Option<String>,
}

/// Nova `API.evacuate`.
pub async fn evacuate(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    fields: EvacuateFields,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_state(&row, EVACUATE, EVACUATE_ALLOWED)?;
    let source = host_of(&row)?;
    let source_up = match deps
        .db
        .service_get_by_host_and_binary(&source, "nova-compute")
        .await
    {
        Ok(Some(service)) => service_is_up(&service, deps.service_down_time, Utc::now()),
        Ok(None) => false,
        Err(error) => return Err(db_error(error)),
    };
    if source_up {
        tracing::error!(host = %source, "Instance compute service state on {source} expected to be down, but it was up.");
        return Err(ApiError::BadRequest(format!(
            "Compute service of {source} is still in use."
        )));
    }
    let spec_row = deps
        .db
        .request_spec_get_by_instance_uuid(uuid)
        .await
        .map_err(db_error)?;
    let spec_primitive = spec_row.spec_json().map_err(db_error)?;
    let no_task: [Option<String>; 1] = [None];
    let row = deps
        .db
        .instance_update_and_get(
            uuid,
            &values(json!({"task_state": "rebuilding"})),
            Some(&no_task),
            None,
        )
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                ApiError::Conflict(format!(
                    "Cannot '{EVACUATE}' instance {uuid} while it is in task_state {}",
                    row.task_state.as_deref().unwrap_or("unknown")
                ))
            }
            _ => db_error(error),
        })?;
    record_action(deps, ctx, &row, EVACUATE).await?;
    // Nova: "Create this as a tombstone for the source compute to find and cleanup."
    let text = |key: &str| ctx.values().get(key).and_then(|v| v.as_str());
    let migration = NewMigration {
        instance_uuid: uuid.to_owned(),
        migration_type: "evacuation".to_owned(),
        status: "accepted".to_owned(),
        source_compute: Some(source.clone()),
        source_node: row.node.clone(),
        dest_compute: fields.host.clone(),
        dest_node: None,
        old_instance_type_id: row.instance_type_id,
        new_instance_type_id: row.instance_type_id,
        user_id: text("user_id").map(str::to_owned),
        project_id: text("project_id").map(str::to_owned),
    };
    deps.db
        .migration_create(&migration)
        .await
        .map_err(db_error)?;
    let mut host = fields.host;
    let mut request_spec = spec_primitive;
    if fields.force == Some(false) {
        if let Some(named) = host.take() {
            // Nova unsets the host so the scheduler runs, checking the named one.
            let nodes = deps
                .db
                .compute_node_get_all_by_host(&named)
                .await
                .map_err(db_error)?;
            let mut spec = RequestSpec::from_primitive(&request_spec)
                .map_err(|e| ApiError::Unavailable(format!("bad request spec of {uuid}: {e}")))?;
            spec.requested_destination = Some(Destination {
                host: Some(named),
                node: nodes.first().and_then(|n| n.hypervisor_hostname.clone()),
            });
            request_spec = spec.to_primitive();
        }
    }
    let request = EvacuateRequest {
        instance: instance_primitive(&row),
        new_pass: fields.password,
        on_shared_storage: fields.on_shared_storage,
        host,
        request_spec: Some(request_spec),
        target_state: fields.target_state,
    };
    deps.compute_task
        .evacuate_instance(ctx, request)
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach the conductor: {e}")))
}
