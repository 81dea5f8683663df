//! The api side of shelving (Nova: `nova/compute/api.py` `shelve`, `shelve_offload`,
//! `unshelve`), each behind `check_instance_lock` and `check_instance_state` in Nova's
//! order:
//!
//! - `shelve` (ACTIVE, SHELVED from STOPPED, PAUSED, SUSPENDED): `shelving`,
//!   `image_base_image_ref` kept in the system metadata, action `shelve`, the compute's
//!   `shelve_instance` with the `queued` `<name>-shelved` snapshot image the compute
//!   uploads into ([`shelve_image`]);
//! - `shelve_offload` (SHELVED): `shelving_offloading`, action `shelveOffload`, the
//!   compute's `shelve_offload_instance`;
//! - `unshelve` (SHELVED, SHELVED_OFFLOADED): Nova's checks of the 2.77 zone and the 2.91
//!   host (only for a SHELVED_OFFLOADED server; the zone must be available, the host must
//!   exist and be in the zone), the request spec's zone saved, `unshelving`, action
//!   `unshelve`, the conductor's `unshelve_instance` with the spec (and the host as its
//!   `requested_destination`, which Nova never persists).

use serde_json::{json, Map, Value};

use super::compute_api::{check_instance_lock, db_error, host_of, instance, record_action};
use super::compute_api::{values, ApiError, ComputeApiDeps};
use super::compute_api_actions::check_instance_state;
use super::compute_api_local::system_metadata;
use super::image_catalog::{create_instance_image, delete_quietly, InstanceImageType};
use super::instance_state_checks::AllowedStates;
use crate::db::{ImageRow, InstanceRow};
use crate::objects::instance::instance_primitive;
use crate::objects::{Destination, NovaObject, TypedObject};
use novactor::rpc::RequestContext;

/// Nova `API.shelve`'s `check_instance_state`.
const SHELVE_ALLOWED: AllowedStates =
    AllowedStates::vm(&["active", "stopped", "paused", "suspended"]);
/// Nova `API.shelve_offload`'s `check_instance_state`.
const SHELVE_OFFLOAD_ALLOWED: AllowedStates = AllowedStates::vm(&["shelved"]);
/// Nova `API.unshelve`'s `check_instance_state`.
const UNSHELVE_ALLOWED: AllowedStates = AllowedStates::vm(&["shelved", "shelved_offloaded"]);

/// What an `unshelve` body asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnshelveRequest {
    /// 2.77 / 2.91 `availability_zone`: absent (`None`), or the zone (`Some(None)`: 2.91's
    /// null, unpinning the server).
    pub new_az: Option<Option<String>>,
    /// 2.91 `host`.
    pub host: Option<String>,
    /// Whether the caller passes `os_compute_api:os-shelve:unshelve_to_host` (checked, as
    /// Nova checks it, only once a host is asked for and the state checks passed); the
    /// refusal's text when not.
    pub to_host_refusal: Option<String>,
}

/// Save `columns` expecting no task state (Nova's `instance.save(expected_task_state=
/// [None])`; the 409 is Nova's `UnexpectedTaskStateError` text).
async fn claim(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    columns: Value,
) -> Result<InstanceRow, ApiError> {
    let no_task: [Option<String>; 1] = [None];
    deps.db
        .instance_update_and_get(&row.uuid, &values(columns), Some(&no_task), None)
        .await
        .map_err(db_error)
}

/// Nova `compute_utils.create_image(context, instance, '<name>-shelved', 'snapshot')`:
/// the `queued` image the compute's shelve snapshot is uploaded into (made active there,
/// deleted at unshelve). A server without an image (volume-backed, which Nova offloads at
/// once) is refused.
async fn shelve_image(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
) -> Result<ImageRow, ApiError> {
    if row.image_ref.as_deref().unwrap_or_default().is_empty() {
        return Err(ApiError::BadRequest(format!(
            "Instance {} has no image to shelve to; volume-backed servers are not served",
            row.uuid
        )));
    }
    let name = format!(
        "{}-shelved",
        row.display_name.as_deref().unwrap_or_default()
    );
    create_instance_image(
        &deps.db,
        ctx,
        row,
        &name,
        InstanceImageType::Snapshot,
        &Map::new(),
    )
    .await
}

/// Nova `API.shelve`. The image is made before the task state is claimed, and deleted
/// again when the claim, the action's record or the cast fails, so a refused shelve
/// leaves no `<name>-shelved` image behind.
pub async fn shelve(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "shelve", SHELVE_ALLOWED)?;
    let host = host_of(&row)?;
    let image = shelve_image(deps, ctx, &row).await?;
    let sent = async {
        let mut meta = system_metadata(&row);
        meta.insert(
            "image_base_image_ref".into(),
            json!(row.image_ref.clone().unwrap_or_default()),
        );
        let row = claim(
            deps,
            &row,
            json!({"task_state": "shelving", "system_metadata": Value::Object(meta)}),
        )
        .await?;
        record_action(deps, ctx, &row, "shelve").await?;
        deps.compute
            .shelve_instance(ctx, &host, instance_primitive(&row), &image.id)
            .await
            .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
    }
    .await;
    if sent.is_err() {
        delete_quietly(&deps.db, &image.id).await;
    }
    sent
}

/// Nova `API.shelve_offload`.
pub async fn shelve_offload(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "shelveOffload", SHELVE_OFFLOAD_ALLOWED)?;
    let host = host_of(&row)?;
    let row = claim(deps, &row, json!({"task_state": "shelving_offloading"})).await?;
    record_action(deps, ctx, &row, "shelveOffload").await?;
    deps.compute
        .shelve_offload_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}

/// Nova `API.unshelve`.
pub async fn unshelve(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    request: UnshelveRequest,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    check_instance_lock(ctx, &row)?;
    check_instance_state(&row, "unshelve", UNSHELVE_ALLOWED)?;
    let stored = deps
        .db
        .request_spec_get_by_instance_uuid(uuid)
        .await
        .and_then(|spec| spec.spec_json())
        .map_err(|e| ApiError::Unavailable(format!("the request spec of {uuid}: {e}")))?;
    let mut spec = NovaObject::from_primitive(&stored)
        .map_err(|e| ApiError::Unavailable(format!("the request spec of {uuid}: {e}")))?;
    let az_passed = request.new_az.is_some();
    if (az_passed || request.host.is_some()) && row.vm_state.as_deref() != Some("shelved_offloaded")
    {
        // Nova `_check_offloaded`: UnshelveInstanceInvalidState.
        return Err(ApiError::Conflict(format!(
            "Specifying an availability zone or a host when unshelving server \"{uuid}\" with \
             status \"{}\" is not supported. The server status must be SHELVED_OFFLOADED.",
            row.vm_state.as_deref().unwrap_or("None")
        )));
    }
    // Every compute is in the default zone (no aggregates): the one zone available.
    let compute_zone = deps.service_zones.compute.clone();
    if let Some(Some(zone)) = &request.new_az {
        if *zone != compute_zone {
            return Err(ApiError::BadRequest(
                "The requested availability zone is not available".into(),
            ));
        }
    }
    let expected_az: Option<String> = match &request.new_az {
        Some(zone) => zone.clone(),
        None => spec.get("availability_zone").as_str().map(str::to_owned),
    };
    if let Some(host) = &request.host {
        if let Some(refusal) = &request.to_host_refusal {
            return Err(ApiError::Forbidden(refusal.clone()));
        }
        // Nova `ComputeNode.get_first_node_by_host_for_old_compat`: ComputeHostNotFound, 400.
        if let Err(error) = deps.db.compute_node_get_all_by_host(host).await {
            return Err(match error.nova_class() {
                Some("ComputeHostNotFound") => {
                    ApiError::BadRequest(format!("Compute host {host} could not be found."))
                }
                _ => db_error(error),
            });
        }
        if let Some(zone) = &expected_az {
            if *zone != compute_zone {
                return Err(ApiError::Conflict(format!(
                    "Host \"{host}\" is not in the availability zone \"{zone}\"."
                )));
            }
        }
    }
    spec.set("availability_zone", json!(expected_az));
    spec.changes.clear();
    deps.db
        .request_spec_save(uuid, &spec.to_primitive())
        .await
        .map_err(db_error)?;
    if let Some(host) = &request.host {
        let destination = Destination {
            host: Some(host.clone()),
            node: None,
        };
        spec.set("requested_destination", destination.to_primitive());
    }
    let row = claim(deps, &row, json!({"task_state": "unshelving"})).await?;
    record_action(deps, ctx, &row, "unshelve").await?;
    deps.compute_task
        .unshelve_instance(ctx, instance_primitive(&row), spec.to_primitive())
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach the conductor: {e}")))
}
