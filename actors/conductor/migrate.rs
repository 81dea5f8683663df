//! The conductor's cold migration and resize (Nova: `ComputeTaskManager.migrate_server` →
//! `_cold_migrate` → `conductor/tasks/migrate.py` `MigrationTask`): the `migrations`
//! record first (`pre-migrating`, type `resize` when the flavor changes, else
//! `migration`), then the scheduler's `select_destinations` with the new flavor, the
//! source excluded (`ignore_hosts`) unless the api allowed it and a 2.56 host honoured
//! (`requested_destination`), then `prep_resize` cast to the chosen destination.
//!
//! The destination's alternates go with `prep_resize` (`host_list`) and the attempts in
//! `filter_properties.retry`: when that destination cannot take the server, its compute
//! calls `migrate_server` again with them and the next alternate is tried, on the same
//! migration record (Nova's reschedule; a move to a named host is never rescheduled).
//!
//! No valid host is Nova's: the instance keeps its vm state with no task, a fault is
//! recorded, the migration becomes `error` and the `cold_migrate` event fails with
//! "No valid host found for resize" (or "… for cold migrate"), which marks the action;
//! so is a reschedule with no alternate left (Nova's `MaxRetriesExceeded`).
//! Live migration (`live=True`) is not served here (D-API-7).

use serde_json::{json, Map, Value};

use super::objects::migration_primitive;
use super::tasks::{instance_arg, populate_retry, TaskDeps};
use crate::db::{InstanceRow, MigrationChanges, MigrationRow, NewMigration, NovaDb};
use crate::exception::NovaException;
use crate::objects::instance::instance_primitive;
use crate::objects::{Flavor, RequestSpec, Selection, TypedObject};
use crate::rpcapi::compute_resize::{MigrateServer, PrepResize};
use novactor::rpc::{CallError, RemoteFailure, RequestContext};

/// The flow's failure as the events record it and a reply carries it.
#[derive(Debug, thiserror::Error)]
enum MoveFailure {
    /// Nova `NoValidHost`, re-raised with the operation's reason.
    #[error("No valid host was found. {0}")]
    NoValidHost(String),
    /// The database or the bus failed.
    #[error("{0}")]
    Other(String),
}

/// Record `event` of the request's action as started (a missing action is logged: the
/// flow goes on, as Nova's `EventReporter` does).
async fn event_start(deps: &TaskDeps, ctx: &RequestContext, uuid: &str, event: &str) {
    let request_id = ctx.request_id().unwrap_or("-");
    let host = Some(deps.host.as_str());
    if let Err(error) = deps
        .db
        .action_event_start(uuid, request_id, event, host)
        .await
    {
        tracing::debug!(instance = %uuid, event, %error, "could not record the event start");
    }
}

/// Record `event` finished: `Success`, or `Error` with the failure's text.
async fn event_finish(
    db: &NovaDb,
    ctx: &RequestContext,
    uuid: &str,
    event: &str,
    failure: Option<&str>,
) {
    let request_id = ctx.request_id().unwrap_or("-");
    let (result, traceback) = match failure {
        None => ("Success", None),
        Some(message) => ("Error", Some(format!("{event}: {message}"))),
    };
    if let Err(error) = db
        .action_event_finish(
            uuid,
            request_id,
            event,
            result,
            traceback.as_deref(),
            failure,
        )
        .await
    {
        tracing::debug!(instance = %uuid, event, %error, "could not record the event finish");
    }
}

/// `migrate_server(instance, scheduler_hint, live, rebuild, flavor, …)`: a cold migration
/// or resize; the events `conductor_migrate_server` and `cold_migrate` are recorded.
pub async fn migrate_server(
    deps: TaskDeps,
    ctx: RequestContext,
    args: MigrateServer,
) -> Result<Value, RemoteFailure> {
    if args.live == Some(true) || args.rebuild == Some(true) {
        return Err(RemoteFailure::value_error(
            "migrate_server: live migration and rebuild are not served by novactor's conductor",
        ));
    }
    let flavor = args
        .flavor
        .as_ref()
        .ok_or_else(|| {
            RemoteFailure::value_error("migrate_server: no flavor (NotImplementedError)")
        })
        .and_then(|f| {
            Flavor::from_primitive(f).map_err(|e| RemoteFailure::value_error(e.to_string()))
        })?;
    let (_, uuid) = instance_arg(&args.instance, "migrate_server")?;
    let spec = args
        .request_spec
        .as_ref()
        .map(RequestSpec::from_primitive)
        .transpose()
        .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
    let attempt = Attempt::of(&args)?;
    let db = deps.db.clone();
    event_start(&deps, &ctx, &uuid, "conductor_migrate_server").await;
    event_start(&deps, &ctx, &uuid, "cold_migrate").await;
    let outcome = cold_migrate(&deps, &ctx, &uuid, flavor, spec, attempt).await;
    let failure = outcome.as_ref().err().map(ToString::to_string);
    event_finish(&db, &ctx, &uuid, "cold_migrate", failure.as_deref()).await;
    event_finish(
        &db,
        &ctx,
        &uuid,
        "conductor_migrate_server",
        failure.as_deref(),
    )
    .await;
    match outcome {
        Ok(()) => Ok(Value::Null),
        Err(MoveFailure::NoValidHost(reason)) => {
            Err(NovaException::NoValidHost.failure(format!("No valid host was found. {reason}")))
        }
        Err(MoveFailure::Other(message)) => Err(RemoteFailure::runtime_error(message)),
    }
}

/// Which attempt of a move this is: the first (the scheduler picks the destination and its
/// alternates) or a reschedule after a destination's `prep_resize` failed (the next of the
/// alternates it sends back, without asking the scheduler again).
#[derive(Debug, Default)]
struct Attempt {
    /// `filter_properties.ignore_hosts`: hosts the scheduler must not pick.
    ignore_hosts: Vec<String>,
    /// `filter_properties.retry` (`num_attempts`, `hosts` tried) a reschedule carries.
    retry: Option<Map<String, Value>>,
    /// A reschedule's `host_list`: the alternates left (`None` on the first attempt).
    alternates: Option<Vec<Selection>>,
}

impl Attempt {
    /// The attempt `migrate_server`'s `scheduler_hint` and `host_list` describe; a
    /// malformed alternate is the caller's `ValueError`.
    fn of(args: &MigrateServer) -> Result<Self, RemoteFailure> {
        let properties = args
            .scheduler_hint
            .as_ref()
            .and_then(|hint| hint.get("filter_properties"));
        let ignore_hosts = properties
            .and_then(|p| p.get("ignore_hosts"))
            .and_then(Value::as_array)
            .map(|hosts| {
                hosts
                    .iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let retry = properties
            .and_then(|p| p.get("retry"))
            .and_then(Value::as_object)
            .cloned();
        let alternates = match &args.host_list {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) => Some(
                list.iter()
                    .map(Selection::from_primitive)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        RemoteFailure::value_error(format!("migrate_server: host_list: {e}"))
                    })?,
            ),
            Some(other) => {
                return Err(RemoteFailure::value_error(format!(
                    "migrate_server: host_list is not a list: {other}"
                )))
            }
        };
        Ok(Self {
            ignore_hosts,
            retry,
            alternates,
        })
    }
}

/// Nova `_cold_migrate` with its `MigrationTask`.
async fn cold_migrate(
    deps: &TaskDeps,
    ctx: &RequestContext,
    uuid: &str,
    flavor: Flavor,
    spec: Option<RequestSpec>,
    attempt: Attempt,
) -> Result<(), MoveFailure> {
    let db = &deps.db;
    let other = |e: crate::db::NovaDbError| MoveFailure::Other(e.to_string());
    let row = db.instance_get_by_uuid(uuid).await.map_err(other)?;
    let mut spec = match spec {
        Some(spec) => spec,
        None => stored_spec(db, uuid).await?,
    };
    // `MigrationTask._execute`: a host forced at create does not pin the move.
    spec.reset_forced_destinations();
    let resize = row.instance_type_id != Some(flavor.id);
    let migration_type = if resize { "resize" } else { "migration" };
    // `_preallocate_migration`: a reschedule goes on with the record of the first attempt.
    let rescheduled = match &attempt.alternates {
        Some(_) => db
            .migration_get_by_instance_and_status(uuid, "pre-migrating")
            .await
            .ok()
            .filter(|m| m.migration_type.as_deref() == Some(migration_type)),
        None => None,
    };
    let migration = match rescheduled {
        Some(migration) => migration,
        None => db
            .migration_create(&NewMigration {
                instance_uuid: uuid.to_owned(),
                migration_type: migration_type.into(),
                status: "pre-migrating".into(),
                source_compute: row.host.clone(),
                source_node: row.node.clone(),
                dest_compute: None,
                dest_node: None,
                old_instance_type_id: row.instance_type_id,
                new_instance_type_id: Some(flavor.id),
                user_id: row.user_id.clone(),
                project_id: row.project_id.clone(),
            })
            .await
            .map_err(other)?,
    };
    spec.flavor = flavor.clone();
    spec.ignore_hosts = Some(attempt.ignore_hosts);
    // `populate_retry`: a move to a named host is never rescheduled.
    let targeted = spec
        .requested_destination
        .as_ref()
        .is_some_and(|d| d.host.is_some());
    let mut retry = (!targeted).then(|| populate_retry(attempt.retry));
    let placed = match attempt.alternates {
        // `_reschedule`: the next alternate (no Placement claim to verify it first).
        Some(alternates) if !alternates.is_empty() => Ok(vec![alternates]),
        Some(_) => {
            let reason = format!(
                "Exceeded maximum number of retries. Exhausted all hosts available for \
                 retrying build failures for instance {uuid}."
            );
            tracing::warn!(instance = %uuid, "{reason}");
            roll_back(db, &row, &migration, &reason).await;
            return Err(MoveFailure::NoValidHost(
                no_valid_host_reason(resize).into(),
            ));
        }
        None => {
            deps.scheduler
                .select_destinations(
                    ctx,
                    &spec,
                    &[uuid.to_owned()],
                    deps.long_timeout,
                    deps.call_monitor_timeout,
                )
                .await
        }
    };
    let (selection, alternates) = match placed {
        Ok(mut lists) if lists.first().is_some_and(|l| !l.is_empty()) => {
            let mut list = lists.remove(0);
            let selection = list.remove(0);
            (selection, list)
        }
        outcome => {
            let cause = match outcome {
                Err(CallError::Remote(failure))
                    if NovaException::of(&failure) == Some(NovaException::NoValidHost) =>
                {
                    failure.message
                }
                Err(other) => format!("No valid host was found. {other}"),
                Ok(_) => "No valid host was found. The scheduler returned no host.".into(),
            };
            let reason = no_valid_host_reason(resize);
            tracing::warn!(instance = %uuid, %cause, "{reason}");
            roll_back(db, &row, &migration, &cause).await;
            return Err(MoveFailure::NoValidHost(reason.into()));
        }
    };
    // The spec keeps the new flavor (Nova saves it after a successful schedule); the
    // per-request fields are not kept.
    spec.ignore_hosts = None;
    spec.requested_destination = None;
    if let Err(error) = db.request_spec_save(uuid, &spec.to_primitive()).await {
        tracing::warn!(instance = %uuid, %error, "could not save the request spec");
    }
    // `MigrationTask._execute`: the instance takes the destination's zone.
    let row = match &selection.availability_zone {
        Some(zone) if row.availability_zone.as_deref() != Some(zone.as_str()) => {
            let values = json!({"availability_zone": zone})
                .as_object()
                .cloned()
                .unwrap_or_default();
            db.instance_update_and_get(uuid, &values, None, None)
                .await
                .map_err(other)?
        }
        _ => row,
    };
    let migration_value =
        migration_primitive(&migration).map_err(|failure| MoveFailure::Other(failure.message))?;
    let mut filter_properties = Map::new();
    filter_properties.insert(
        "limits".into(),
        selection.limits.clone().map_or(json!({}), Value::Object),
    );
    // `populate_filter_properties`: the chosen host joins the hosts tried.
    if let Some(retry) = retry.as_mut() {
        let tried = json!([selection.service_host, selection.nodename]);
        if let Some(hosts) = retry.get_mut("hosts").and_then(Value::as_array_mut) {
            hosts.push(tried);
        }
        filter_properties.insert("retry".into(), Value::Object(retry.clone()));
    }
    let args = PrepResize {
        instance: instance_primitive(&row),
        flavor: flavor.to_primitive(),
        image: Some(json!({})),
        request_spec: Some(spec.to_primitive()),
        filter_properties: Some(Value::Object(filter_properties)),
        node: Some(selection.nodename.clone()),
        migration: migration_value,
        clean_shutdown: Some(true),
        host_list: Some(Value::Array(
            alternates.iter().map(TypedObject::to_primitive).collect(),
        )),
    };
    tracing::info!(instance = %uuid, destination = %selection.service_host, resize, "moving");
    if let Err(error) = deps
        .compute
        .prep_resize(ctx, &selection.service_host, args)
        .await
    {
        let message = format!(
            "could not send prep_resize to {}: {error}",
            selection.service_host
        );
        roll_back(db, &row, &migration, &message).await;
        return Err(MoveFailure::Other(message));
    }
    Ok(())
}

/// The reason a move without a destination fails with (Nova `_cold_migrate`).
fn no_valid_host_reason(resize: bool) -> &'static str {
    if resize {
        "No valid host found for resize"
    } else {
        "No valid host found for cold migrate"
    }
}

/// The instance's stored request spec (Nova's api passes it; a caller that does not gets
/// the stored one).
async fn stored_spec(db: &NovaDb, uuid: &str) -> Result<RequestSpec, MoveFailure> {
    let row = db
        .request_spec_get_by_instance_uuid(uuid)
        .await
        .map_err(|e| MoveFailure::Other(e.to_string()))?;
    let value: Value =
        serde_json::from_str(&row.spec).map_err(|e| MoveFailure::Other(e.to_string()))?;
    RequestSpec::from_primitive(&value).map_err(|e| MoveFailure::Other(e.to_string()))
}

/// Nova `_set_vm_state_and_notify` + `MigrationTask.rollback`: the instance back to its
/// vm state with no task and a fault saying why, the migration `error`.
async fn roll_back(db: &NovaDb, row: &InstanceRow, migration: &MigrationRow, message: &str) {
    if let Err(error) = db
        .instance_fault_create(&row.uuid, 500, message, None, None)
        .await
    {
        tracing::warn!(instance = %row.uuid, %error, "could not record the fault");
    }
    let vm_state = row.vm_state.clone().unwrap_or_else(|| "active".into());
    let values = json!({"vm_state": vm_state, "task_state": null})
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Err(error) = db
        .instance_update_and_get(&row.uuid, &values, None, None)
        .await
    {
        tracing::warn!(instance = %row.uuid, %error, "could not reset the instance");
    }
    let changes = MigrationChanges {
        status: Some("error".into()),
        ..MigrationChanges::default()
    };
    if let Err(error) = db.migration_update(migration.id, &changes).await {
        tracing::warn!(instance = %row.uuid, %error, "could not set the migration to error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(host_list: Option<Value>, hint: Value) -> MigrateServer {
        MigrateServer {
            instance: json!({}),
            scheduler_hint: Some(hint),
            live: Some(false),
            rebuild: Some(false),
            flavor: None,
            block_migration: None,
            disk_over_commit: None,
            reservations: None,
            clean_shutdown: Some(true),
            request_spec: None,
            host_list,
        }
    }

    #[test]
    fn an_attempt_reads_the_hint_and_the_alternates_and_refuses_malformed_ones() {
        let first = Attempt::of(&args(
            None,
            json!({"filter_properties": {"ignore_hosts": ["a"]}}),
        ))
        .unwrap();
        assert_eq!(first.ignore_hosts, ["a"]);
        assert!(first.retry.is_none() && first.alternates.is_none());
        let selection = Selection {
            service_host: "b".into(),
            nodename: "b".into(),
            compute_node_uuid: "u".into(),
            cell_uuid: None,
            limits: None,
            availability_zone: None,
        };
        let again = Attempt::of(&args(
            Some(json!([selection.to_primitive()])),
            json!({"filter_properties": {"retry": {"num_attempts": 1, "hosts": [["a", "a"]]}}}),
        ))
        .unwrap();
        assert_eq!(again.alternates, Some(vec![selection]));
        assert_eq!(again.retry.unwrap()["num_attempts"], 1);
        for bad in [json!("b"), json!([{"nova_object.name": "Flavor"}])] {
            let error = Attempt::of(&args(Some(bad.clone()), json!({}))).unwrap_err();
            assert!(error.message.contains("host_list"), "{bad}: {error:?}");
        }
    }
}
