//! The conductor's evacuation (Nova: `ComputeTaskManager.rebuild_instance` with
//! `recreate=True`): the api's `accepted` migration record is found by the instance; a
//! forced host (`host` given) is used as it is; otherwise the scheduler picks a host,
//! with the source in `ignore_hosts` and, for a named host, the spec's
//! `requested_destination`. The compute's `rebuild_instance` goes to the destination with
//! the migration, the node and the limits. No host found: the migration is `error` and the
//! instance ERROR with the scheduler's message as its fault, as Nova's
//! `_set_vm_state_and_notify` leaves it.

use serde_json::{Map, Value};

use super::tasks::{fail_instance, instance_arg, TaskDeps};
use crate::db::MigrationChanges;
use crate::exception::NovaException;
use crate::objects::{RequestSpec, TypedObject};
use crate::rpcapi::compute_rebuild::{Evacuation, RebuildInstanceTask, RebuildRequest};
use novactor::rpc::{CallError, RemoteFailure, RequestContext};

/// Nova's migration status for an evacuation that never reached a destination.
const MIGRATION_ERROR: &str = "error";

/// `rebuild_instance(…, recreate=True, host, request_spec, target_state)`.
pub async fn evacuate_instance(
    deps: TaskDeps,
    ctx: RequestContext,
    args: RebuildInstanceTask,
) -> Result<Value, RemoteFailure> {
    let (object, uuid) = instance_arg(&args.instance, "evacuate")?;
    let source = object.get("host").as_str().map(str::to_owned);
    let migration = match deps
        .db
        .migration_get_by_instance_and_status(&uuid, "accepted")
        .await
    {
        Ok(row) => Some(row),
        Err(error) => {
            tracing::debug!(instance = %uuid, %error, "No migration record for the rebuild/evacuate request.");
            None
        }
    };
    let placed = match args
        .host
        .clone()
        .filter(|host| Some(host) != source.as_ref())
    {
        Some(host) => Ok((host, None, None)),
        None => schedule(&deps, &ctx, &uuid, source.as_deref(), args.request_spec).await,
    };
    let (host, node, limits) = match placed {
        Ok(placed) => placed,
        Err(message) => {
            tracing::warn!(instance = %uuid, %message, "Rebuild failed");
            if let Some(row) = &migration {
                set_status(&deps, row.id, MIGRATION_ERROR).await;
            }
            fail_instance(&deps.db, &uuid, &message).await;
            return Ok(Value::Null);
        }
    };
    let migration = match migration {
        Some(row) => Some(super::objects::migration_primitive(&row)?),
        None => None,
    };
    let request = RebuildRequest {
        instance: args.instance,
        new_pass: args.new_pass,
        // Nova's evacuate sends none; a peer's files go on as sent.
        injected_files: args.injected_files.unwrap_or_default(),
        image_ref: args.image_ref.unwrap_or_default(),
        orig_image_ref: args.orig_image_ref.unwrap_or_default(),
        preserve_ephemeral: false,
    };
    let evacuation = Evacuation {
        migration,
        scheduled_node: node,
        limits,
        target_state: args.target_state,
        on_shared_storage: args.on_shared_storage.as_ref().and_then(Value::as_bool),
    };
    tracing::info!(instance = %uuid, %host, "evacuating");
    deps.compute
        .rebuild_instance(&ctx, &host, request, Some(evacuation))
        .await
        .map_err(|error| {
            tracing::warn!(instance = %uuid, %host, %error, "could not send the evacuation");
            RemoteFailure::runtime_error(format!(
                "could not send the evacuation to {host}: {error}"
            ))
        })?;
    Ok(Value::Null)
}

/// Ask the scheduler for a destination other than `source`: (host, node, limits), or the
/// message the instance fails with.
async fn schedule(
    deps: &TaskDeps,
    ctx: &RequestContext,
    uuid: &str,
    source: Option<&str>,
    request_spec: Option<Value>,
) -> Result<(String, Option<String>, Option<Value>), String> {
    let primitive = request_spec.ok_or_else(|| {
        format!("No valid host was found. The evacuation of {uuid} carries no request spec.")
    })?;
    let mut spec = RequestSpec::from_primitive(&primitive)
        .map_err(|e| format!("No valid host was found. Bad request spec: {e}"))?;
    // Nova: `request_spec.ignore_hosts = [instance.host]`, forced destinations reset.
    spec.ignore_hosts = source.map(|host| vec![host.to_owned()]);
    spec.reset_forced_destinations();
    spec.num_instances = 1;
    spec.instance_uuid = uuid.to_owned();
    let uuids = [uuid.to_owned()];
    let placed = deps
        .scheduler
        .select_destinations(
            ctx,
            &spec,
            &uuids,
            deps.long_timeout,
            deps.call_monitor_timeout,
        )
        .await;
    match placed {
        Ok(lists) => {
            let selection = lists
                .into_iter()
                .next()
                .and_then(|list| list.into_iter().next())
                .ok_or_else(|| {
                    "No valid host was found. There are not enough hosts available.".to_owned()
                })?;
            let limits = selection
                .limits
                .map(|limits: Map<String, Value>| Value::Object(limits));
            Ok((selection.service_host, Some(selection.nodename), limits))
        }
        Err(CallError::Remote(failure))
            if NovaException::of(&failure) == Some(NovaException::NoValidHost) =>
        {
            Err(failure.message)
        }
        Err(other) => Err(format!("No valid host was found. {other}")),
    }
}

async fn set_status(deps: &TaskDeps, id: i64, status: &str) {
    let changes = MigrationChanges {
        status: Some(status.to_owned()),
        ..MigrationChanges::default()
    };
    if let Err(error) = deps.db.migration_update(id, &changes).await {
        tracing::warn!(migration = id, %error, "could not save the migration's status");
    }
}
