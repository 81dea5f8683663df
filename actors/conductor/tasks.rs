//! The conductor's `compute_task` flows (Nova: `ComputeTaskManager`, namespace
//! `compute_task`, 1.26): `schedule_and_build_instances` asks the scheduler for hosts and
//! casts each build to its compute; `build_instances` is a compute's reschedule onto the
//! next alternate. The instance rows exist already (novactor D-BUILDREQ option A: the api
//! inserts them in `building`/`scheduling`); a row deleted or `deleting` meanwhile is
//! dropped, which is how a delete that races scheduling wins.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::group_setup::setup_instance_group;
use crate::db::{InstanceRow, NovaDb};
use crate::exception::NovaException;
use crate::objects::injected_files::InjectedFile;
use crate::objects::instance::{build_request_instance_uuid, instance_primitive};
use crate::objects::{NovaObject, RequestSpec, Selection, TypedObject};
use crate::rpcapi::{ComputeApi, SchedulerApi};
use novactor::rpc::{CallError, RemoteFailure, RequestContext};

/// Nova `ComputeTaskManager.target.version`.
pub const COMPUTE_TASK_VERSION: novactor::rpc::Version = novactor::rpc::Version::new(1, 26);

/// What the flows use: the database and the other services' clients.
#[derive(Debug, Clone)]
pub struct TaskDeps {
    /// The database (the conductor has direct access).
    pub db: NovaDb,
    /// Scheduler client.
    pub scheduler: SchedulerApi,
    /// Compute client.
    pub compute: ComputeApi,
    /// `long_rpc_timeout`, for `select_destinations`.
    pub long_timeout: Duration,
    /// `rpc_response_timeout`, its call-monitor timeout.
    pub call_monitor_timeout: Duration,
    /// `service_down_time` (is a live migration's source or destination up).
    pub service_down_time: Duration,
    /// `CONF.host`, the host its instance action events name.
    pub host: String,
}

/// Set an instance to ERROR with a fault, as Nova's `_bury_in_cell0` / `_set_vm_state_and_notify` do.
/// The fault is written first, so whoever sees ERROR (an API client polling the server)
/// also sees why — the order of Nova's compute path and of novactor's own.
pub(super) async fn fail_instance(db: &NovaDb, uuid: &str, message: &str) {
    if let Err(error) = db
        .instance_fault_create(uuid, 500, message, None, None)
        .await
    {
        tracing::warn!(%uuid, %error, "could not record the instance fault");
    }
    let values = json!({"vm_state": "error", "task_state": null})
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Err(error) = db.instance_update_and_get(uuid, &values, None, None).await {
        tracing::warn!(%uuid, %error, "could not set the instance to error");
    }
}

/// The row of `uuid` if it may still be built (exists, not being deleted).
async fn buildable(db: &NovaDb, uuid: &str) -> Option<InstanceRow> {
    match db.instance_get_by_uuid(uuid).await {
        Ok(row)
            if row.task_state.as_deref() != Some("deleting")
                && row.vm_state.as_deref() != Some("deleted") =>
        {
            Some(row)
        }
        Ok(_) => {
            tracing::info!(%uuid, "instance is being deleted; not building it");
            None
        }
        Err(error) => {
            tracing::info!(%uuid, %error, "instance gone before it was built");
            None
        }
    }
}

/// Cast the build of `row` to the first selection, with the rest as alternates, and the
/// personality files `files`.
async fn cast_build(
    deps: &TaskDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
    spec: &Value,
    filter_properties: Map<String, Value>,
    mut hosts: Vec<Selection>,
    files: &[InjectedFile],
) {
    if hosts.is_empty() {
        fail_instance(
            &deps.db,
            &row.uuid,
            "No valid host was found. There are not enough hosts available.",
        )
        .await;
        return;
    }
    let chosen = hosts.remove(0);
    let alternates: Vec<Value> = hosts.iter().map(TypedObject::to_primitive).collect();
    let cast = deps
        .compute
        .build_and_run_instance(
            ctx,
            &chosen.service_host,
            instance_primitive(row),
            spec.clone(),
            filter_properties,
            &chosen.nodename,
            chosen.limits.clone(),
            alternates,
            files.to_vec(),
        )
        .await;
    if let Err(error) = cast {
        fail_instance(
            &deps.db,
            &row.uuid,
            &format!(
                "Build of instance {} could not be sent to {}: {error}",
                row.uuid, chosen.service_host
            ),
        )
        .await;
    }
}

/// Keep the request spec of `uuid` (Nova's api stores it before scheduling): the server
/// views show what it asked (2.96 zone, 2.100 hints), also when no host was found.
/// As Nova's `RequestSpec._get_update_primitives`, the per-request `requested_destination`
/// (a 2.74 create's host) is not kept: a later move of the server is not pinned by it.
async fn store_spec(db: &NovaDb, uuid: &str, spec: &Value) {
    let mut spec = spec.clone();
    if let Some(data) = spec
        .get_mut("nova_object.data")
        .and_then(Value::as_object_mut)
    {
        data.remove("requested_destination");
    }
    let spec = &spec;
    if db.request_spec_get_by_instance_uuid(uuid).await.is_ok() {
        let _ = db.request_spec_save(uuid, spec).await;
    } else if let Err(error) = db.request_spec_create(uuid, spec).await {
        tracing::warn!(%uuid, %error, "could not store the request spec");
    }
}

/// Set every instance of a request that found no host to ERROR with `message`, keeping
/// its spec.
async fn fail_all(db: &NovaDb, uuids: &[String], request_specs: &[Value], message: &str) {
    for (index, uuid) in uuids.iter().enumerate() {
        if let Some(spec) = request_specs.get(index).or(request_specs.first()) {
            store_spec(db, uuid, spec).await;
        }
        fail_instance(db, uuid, message).await;
    }
}

/// `schedule_and_build_instances(build_requests, request_specs, image, admin_password,
/// injected_files, …)`: every instance is built with the personality files `files`.
pub async fn schedule_and_build_instances(
    deps: TaskDeps,
    ctx: RequestContext,
    build_requests: Vec<Value>,
    request_specs: Vec<Value>,
    files: Vec<InjectedFile>,
) -> Result<Value, RemoteFailure> {
    let uuids: Vec<String> = build_requests
        .iter()
        .map(|br| {
            build_request_instance_uuid(br)
                .ok_or_else(|| RemoteFailure::value_error("a build request names no instance_uuid"))
        })
        .collect::<Result<_, _>>()?;
    let first = request_specs
        .first()
        .ok_or_else(|| RemoteFailure::value_error("request_specs is empty"))?;
    let mut spec = RequestSpec::from_primitive(first)
        .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
    if let Err(error) = setup_instance_group(&deps.db, &mut spec).await {
        // Nova's conductor buries the instances when this fails; the group cannot be
        // honoured without its members' hosts.
        let message = format!("No valid host was found. {error}");
        fail_all(&deps.db, &uuids, &request_specs, &message).await;
        return Ok(Value::Null);
    }
    let placed = deps
        .scheduler
        .select_destinations(
            &ctx,
            &spec,
            &uuids,
            deps.long_timeout,
            deps.call_monitor_timeout,
        )
        .await;
    let host_lists = match placed {
        Ok(lists) if lists.len() == uuids.len() => lists,
        Ok(lists) => {
            let message = format!(
                "No valid host was found. The scheduler returned {} host lists for {} instances.",
                lists.len(),
                uuids.len()
            );
            fail_all(&deps.db, &uuids, &request_specs, &message).await;
            return Ok(Value::Null);
        }
        Err(error) => {
            // Nova buries the instances in cell0 as ERROR with the scheduler's message.
            let message = match &error {
                CallError::Remote(failure)
                    if NovaException::of(failure) == Some(NovaException::NoValidHost) =>
                {
                    failure.message.clone()
                }
                other => format!("No valid host was found. {other}"),
            };
            tracing::warn!(instances = uuids.len(), %message, "scheduling failed");
            fail_all(&deps.db, &uuids, &request_specs, &message).await;
            return Ok(Value::Null);
        }
    };
    for (index, (uuid, hosts)) in uuids.iter().zip(host_lists).enumerate() {
        let Some(row) = buildable(&deps.db, uuid).await else {
            continue;
        };
        let spec_primitive = request_specs
            .get(index)
            .cloned()
            .unwrap_or_else(|| first.clone());
        store_spec(&deps.db, uuid, &spec_primitive).await;
        let request_id = ctx.request_id().unwrap_or("-").to_owned();
        if let Err(error) = deps
            .db
            .action_start(
                uuid,
                "create",
                &request_id,
                row.user_id.as_deref(),
                row.project_id.as_deref(),
            )
            .await
        {
            tracing::debug!(%uuid, %error, "could not record the create action");
        }
        cast_build(
            &deps,
            &ctx,
            &row,
            &spec_primitive,
            Map::new(),
            hosts,
            &files,
        )
        .await;
    }
    Ok(Value::Null)
}

/// `build_instances(instances, …, request_spec, host_lists, filter_properties)`: a
/// reschedule; each instance goes to the next alternate of its list (with the build's
/// personality files `files`), or to ERROR with `MaxRetriesExceeded` when none is left.
pub async fn build_instances(
    deps: TaskDeps,
    ctx: RequestContext,
    instances: Vec<Value>,
    request_spec: Value,
    filter_properties: Value,
    host_lists: Vec<Vec<Value>>,
    files: Vec<InjectedFile>,
) -> Result<Value, RemoteFailure> {
    for (index, instance) in instances.iter().enumerate() {
        let object = NovaObject::from_primitive(instance)
            .map_err(|e| RemoteFailure::value_error(e.to_string()))?;
        let uuid = object
            .get("uuid")
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| RemoteFailure::value_error("an instance has no uuid"))?;
        let Some(row) = buildable(&deps.db, &uuid).await else {
            continue;
        };
        let hosts: Vec<Selection> = host_lists
            .get(index)
            .map(|list| {
                list.iter()
                    .filter_map(|s| Selection::from_primitive(s).ok())
                    .collect()
            })
            .unwrap_or_default();
        if hosts.is_empty() {
            let attempts = filter_properties
                .pointer("/retry/num_attempts")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            fail_instance(
                &deps.db,
                &uuid,
                &format!("Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance {uuid}. ({attempts} attempts)"),
            )
            .await;
            continue;
        }
        cast_build(
            &deps,
            &ctx,
            &row,
            &request_spec,
            next_attempt(&filter_properties),
            hosts,
            &files,
        )
        .await;
    }
    Ok(Value::Null)
}

/// `filter_properties` with its `retry` counted for the attempt about to be made
/// ([`populate_retry`]); the compute reports the attempts so far.
fn next_attempt(filter_properties: &Value) -> Map<String, Value> {
    let mut properties = match filter_properties {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let retry = match properties.remove("retry") {
        Some(Value::Object(retry)) => Some(retry),
        _ => None,
    };
    properties.insert("retry".into(), Value::Object(populate_retry(retry)));
    properties
}

/// Nova `scheduler_utils.populate_retry` (builds and moves alike): the attempt about to be
/// made counted (`num_attempts`, from 0 when there is no retry yet), the hosts tried so far
/// kept, the compute's `exc_reason` dropped.
pub(super) fn populate_retry(retry: Option<Map<String, Value>>) -> Map<String, Value> {
    let mut retry = retry.unwrap_or_default();
    let attempts = retry
        .get("num_attempts")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    retry.insert("num_attempts".into(), json!(attempts.saturating_add(1)));
    if !retry.get("hosts").is_some_and(Value::is_array) {
        retry.insert("hosts".into(), json!([]));
    }
    retry.remove("exc_reason");
    retry.remove("exc");
    retry
}

/// A task's `instance` argument as an object with its uuid (a malformed one is the
/// caller's `ValueError`, naming the task).
pub(super) fn instance_arg(
    primitive: &Value,
    task: &str,
) -> Result<(NovaObject, String), RemoteFailure> {
    let object = NovaObject::from_primitive(primitive)
        .map_err(|e| RemoteFailure::value_error(format!("{task}: {e}")))?;
    let uuid = object
        .get("uuid")
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| RemoteFailure::value_error(format!("{task}: the instance has no uuid")))?;
    Ok((object, uuid))
}

#[cfg(test)]
mod tests {
    use super::{next_attempt, populate_retry};
    use serde_json::{json, Value};

    #[test]
    fn a_reschedule_counts_the_next_attempt_and_keeps_the_tried_hosts() {
        let after = next_attempt(&json!({
            "retry": {"num_attempts": 1, "hosts": [["a", "a"]], "exc_reason": "full"},
            "x": 1
        }));
        assert_eq!(
            Value::Object(after),
            json!({"x": 1, "retry": {"num_attempts": 2, "hosts": [["a", "a"]]}})
        );
        // Nova's setdefault: no retry yet is attempt 1.
        assert_eq!(next_attempt(&json!(null))["retry"]["num_attempts"], 1);
    }

    #[test]
    fn populate_retry_counts_the_attempt_and_keeps_the_hosts_tried() {
        assert_eq!(
            Value::Object(populate_retry(None)),
            json!({"num_attempts": 1, "hosts": []})
        );
        let from_compute = json!({"num_attempts": 1, "hosts": "junk", "exc": "x"});
        assert_eq!(
            Value::Object(populate_retry(from_compute.as_object().cloned())),
            json!({"num_attempts": 2, "hosts": []})
        );
    }
}
