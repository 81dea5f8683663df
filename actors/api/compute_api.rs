//! The api side of the instance flows (Nova: `nova/compute/api.py`): create (insert the
//! rows, cast `schedule_and_build_instances`), delete, stop, start and reboot with Nova's
//! state checks and casts. The REST layer turns [`ApiError`]s into HTTP statuses.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::server_group_api;
use crate::conf::ServiceZones;
use crate::db::{service_is_up, InstanceRow, NovaDb, NovaDbError};
use crate::objects::instance::instance_primitive;
use crate::objects::limits::MAX_INSTANCES_PER_REQUEST;
use crate::objects::{BuildRequest, Flavor, InstanceGroup, RequestSpec, TypedObject};
use crate::rpcapi::{ComputeApi, ComputeTaskApi};
use novactor::rpc::RequestContext;

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The flavor, instance, … does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The instance is in a state that does not allow this (409).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Over a quota (403, as Nova answers `OverQuota` on create).
    #[error("{0}")]
    Forbidden(String),
    /// The database or the bus failed (503 / 500).
    #[error("{0}")]
    Unavailable(String),
}

impl From<server_group_api::GroupRefusal> for ApiError {
    fn from(refusal: server_group_api::GroupRefusal) -> Self {
        use server_group_api::GroupRefusal;
        match refusal {
            GroupRefusal::NotFound(_) => ApiError::BadRequest(refusal.to_string()),
            GroupRefusal::OverQuota => ApiError::Forbidden(refusal.to_string()),
            GroupRefusal::Db(error) => ApiError::Unavailable(error.to_string()),
        }
    }
}

fn db_error(error: NovaDbError) -> ApiError {
    match error.nova_class() {
        Some("InstanceNotFound" | "FlavorNotFound" | "FlavorNotFoundByName") => {
            ApiError::NotFound(error.to_string())
        }
        Some(
            "UnexpectedTaskStateError"
            | "UnexpectedDeletingTaskStateError"
            | "UnexpectedVMStateError",
        ) => ApiError::Conflict(error.to_string()),
        _ => ApiError::Unavailable(error.to_string()),
    }
}

/// Nova's API `status` of an instance (`nova/api/openstack/common.py` `_STATE_MAP`).
pub fn status(vm_state: Option<&str>, task_state: Option<&str>) -> &'static str {
    match (vm_state.unwrap_or(""), task_state.unwrap_or("")) {
        ("building", _) => "BUILD",
        ("active", "rebooting" | "reboot_pending" | "reboot_started") => "REBOOT",
        ("active", "rebooting_hard" | "reboot_pending_hard" | "reboot_started_hard") => {
            "HARD_REBOOT"
        }
        ("active", _) => "ACTIVE",
        ("stopped", "powering-on") => "SHUTOFF",
        ("stopped", _) => "SHUTOFF",
        ("error", _) => "ERROR",
        ("deleted", _) => "DELETED",
        ("paused", _) => "PAUSED",
        ("suspended", _) => "SUSPENDED",
        _ => "UNKNOWN",
    }
}

/// The clients and settings the operations use.
#[derive(Debug, Clone)]
pub struct ComputeApiDeps {
    /// The database (the api has direct access).
    pub db: NovaDb,
    /// The conductor's `compute_task` client.
    pub compute_task: ComputeTaskApi,
    /// The computes' client.
    pub compute: ComputeApi,
    /// `service_down_time` (local delete when the instance's compute is down).
    pub service_down_time: Duration,
    /// The zones services are shown in.
    pub service_zones: ServiceZones,
}

/// What to boot.
#[derive(Debug, Clone)]
pub struct BootRequest {
    /// Display name; with several instances, `<name>-<n>`.
    pub name: String,
    /// Flavor id or name.
    pub flavor: String,
    /// Image id (the catalog is the api's; kept on the instance).
    pub image_ref: String,
    /// How many instances.
    pub count: u32,
    /// Owner.
    pub user_id: String,
    /// Owner project.
    pub project_id: String,
    /// What the caller asked the instances to carry.
    pub details: InstanceDetails,
}

/// The create fields stored on each instance as Nova stores them (shown by the views).
#[derive(Debug, Clone, Default)]
pub struct InstanceDetails {
    /// `description` (2.19+; the name before).
    pub description: Option<String>,
    /// `hostname` (2.90+): else made from the name, as Nova's `_populate_instance_names`.
    pub hostname: Option<String>,
    /// `metadata`: string keys and values.
    pub metadata: Map<String, Value>,
    /// `user_data`, base64 as sent.
    pub user_data: Option<String>,
    /// `config_drive` asked: stored as Nova's `"True"` (else `""`).
    pub config_drive: bool,
    /// The zone the request asked for: the request spec's (pinned) `availability_zone`.
    pub availability_zone: Option<String>,
    /// `accessIPv4`.
    pub access_ip_v4: Option<String>,
    /// `accessIPv6`.
    pub access_ip_v6: Option<String>,
    /// `OS-DCF:diskConfig` AUTO (true) or MANUAL (false).
    pub auto_disk_config: Option<bool>,
    /// The scheduler hints, as the request spec carries them (dict of lists of strings).
    pub scheduler_hints: Map<String, Value>,
    /// Hint `group`: the server group every instance joins.
    pub group: Option<String>,
}

/// Nova `API.create`: one row per instance (`building`/`scheduling`, no host), one request
/// spec, and a `schedule_and_build_instances` cast. Returns the instance uuids.
pub async fn create(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    request: &BootRequest,
) -> Result<Vec<String>, ApiError> {
    if request.count == 0 {
        return Err(ApiError::BadRequest("min_count must be at least 1".into()));
    }
    if request.count > MAX_INSTANCES_PER_REQUEST {
        // Nova bounds this with quotas (10 instances per project by default); novactor
        // has no quotas yet, so one request must not be able to ask for billions.
        return Err(ApiError::BadRequest(format!(
            "max_count {} is more than the {MAX_INSTANCES_PER_REQUEST} instances one request may create",
            request.count
        )));
    }
    let flavor_row = match deps.db.flavor_get_by_flavor_id(&request.flavor).await {
        Ok(row) => row,
        Err(_) => deps
            .db
            .flavor_get_by_name(&request.flavor)
            .await
            .map_err(db_error)?,
    };
    let flavor = Flavor::from_row(&flavor_row);
    let mut group =
        server_group_api::requested_group(&deps.db, request.details.group.as_deref()).await?;
    let reservation_id = format!("r-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut uuids = Vec::new();
    let mut build_requests = Vec::new();
    let mut specs = Vec::new();
    for index in 0..request.count {
        let name = if request.count == 1 {
            request.name.clone()
        } else {
            format!("{}-{}", request.name, index + 1)
        };
        let uuid = uuid::Uuid::new_v4().to_string();
        let hostname = match &request.details.hostname {
            Some(asked) => asked.clone(),
            None => match sanitize_hostname(&request.name) {
                sane if sane.is_empty() => format!("Server-{uuid}"),
                sane if request.count > 1 => format!("{sane}-{}", index + 1),
                sane => sane,
            },
        };
        let values = json!({
            "uuid": uuid, "display_name": name, "hostname": hostname, "user_id": request.user_id, "project_id": request.project_id,
            "image_ref": request.image_ref, "instance_type_id": flavor.id, "memory_mb": flavor.memory_mb,
            "vcpus": flavor.vcpus, "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb, "swap": flavor.swap,
            "flavor": serde_json::to_string(&flavor).unwrap_or_default(),
            "vm_state": "building", "task_state": "scheduling", "power_state": 0, "progress": 0,
            "reservation_id": reservation_id, "launch_index": index,
            "metadata": Value::Object(request.details.metadata.clone()),
            "display_description": request.details.description,
            "user_data": request.details.user_data,
            "config_drive": if request.details.config_drive { "True" } else { "" },
            "access_ip_v4": request.details.access_ip_v4,
            "access_ip_v6": request.details.access_ip_v6,
            "auto_disk_config": request.details.auto_disk_config.unwrap_or(false),
        });
        let row = deps
            .db
            .instance_create(values.as_object().unwrap_or(&Map::new()))
            .await
            .map_err(db_error)?;
        if let Some(group) = group.as_mut() {
            if let Err(error) =
                server_group_api::join(&deps.db, group, &row.uuid, &request.user_id).await
            {
                // Nova's _cleanup_build_artifacts: no server of a refused create remains.
                uuids.push(row.uuid.clone());
                for uuid in &uuids {
                    let _ = deps.db.instance_destroy(uuid).await;
                }
                let _ = deps
                    .db
                    .instance_group_remove_members(group.id, &uuids)
                    .await;
                return Err(error.into());
            }
        }
        let spec = RequestSpec {
            instance_uuid: row.uuid.clone(),
            num_instances: i64::from(request.count),
            flavor: flavor.clone(),
            image: json!({"id": request.image_ref})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            availability_zone: request.details.availability_zone.clone(),
            ignore_hosts: None,
            project_id: Some(request.project_id.clone()),
            user_id: Some(request.user_id.clone()),
            scheduler_hints: request.details.scheduler_hints.clone(),
            instance_group: group.as_ref().map(InstanceGroup::from_row),
        };
        let build_request = BuildRequest {
            instance_uuid: row.uuid.clone(),
            instance: instance_primitive(&row),
            project_id: request.project_id.clone(),
        };
        build_requests.push(build_request.to_primitive());
        specs.push(spec.to_primitive());
        uuids.push(row.uuid);
    }
    if let Err(error) = deps
        .compute_task
        .schedule_and_build_instances(ctx, build_requests, specs, json!({"id": request.image_ref}))
        .await
    {
        // The caller is told the create failed, so no server may appear: the rows go.
        // Should the cast still arrive, the conductor finds them deleted and drops it.
        for uuid in &uuids {
            if let Err(cleanup) = deps.db.instance_destroy(uuid).await {
                tracing::error!(instance = %uuid, %cleanup, "could not remove the instance of a failed create");
            }
        }
        return Err(ApiError::Unavailable(format!(
            "could not reach the conductor ({error}); the servers were not created, try again"
        )));
    }
    Ok(uuids)
}

/// Nova `utils.sanitize_hostname`: latin-1 only, at most 63 characters, spaces, `_` and `.`
/// as `-`, other non-word characters dropped, lower case, no leading or trailing `.`/`-`.
pub fn sanitize_hostname(name: &str) -> String {
    let latin1: String = name
        .chars()
        .filter(|c| u32::from(*c) <= 0xFF)
        .take(63)
        .collect();
    let dashed: String = latin1
        .chars()
        .map(|c| if matches!(c, ' ' | '_' | '.') { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect();
    dashed
        .to_lowercase()
        .trim_matches(|c| c == '.' || c == '-')
        .to_owned()
}

async fn instance(deps: &ComputeApiDeps, uuid: &str) -> Result<InstanceRow, ApiError> {
    deps.db.instance_get_by_uuid(uuid).await.map_err(db_error)
}

fn values(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Nova `API.delete`: always allowed. No host yet ⇒ the api destroys the row itself; the
/// host's compute down ⇒ local delete; else `task_state=deleting` and a
/// `terminate_instance` cast. A delete already in progress is ignored.
pub async fn delete(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    if row.task_state.as_deref() == Some("deleting") {
        return Ok(());
    }
    let Some(host) = row.host.clone() else {
        // Still scheduling: the conductor re-reads the row before casting and drops it.
        deps.db
            .instance_update_and_get(uuid, &values(json!({"task_state": "deleting"})), None, None)
            .await
            .map_err(db_error)?;
        deps.db.instance_destroy(uuid).await.map_err(db_error)?;
        return Ok(());
    };
    let row = deps
        .db
        .instance_update_and_get(
            uuid,
            &values(json!({"task_state": "deleting", "progress": 0})),
            None,
            None,
        )
        .await
        .map_err(db_error)?;
    record_action(deps, ctx, &row, "delete").await?;
    let compute_up = match deps
        .db
        .service_get_by_host_and_binary(&host, "nova-compute")
        .await
    {
        Ok(Some(service)) => service_is_up(&service, deps.service_down_time, Utc::now()),
        _ => false,
    };
    if !compute_up {
        // Nova's local delete: the compute cannot do it, so the api finishes the job.
        deps.db
            .instance_update_and_get(
                uuid,
                &values(
                    json!({"vm_state": "deleted", "task_state": null, "terminated_at": Utc::now()}),
                ),
                None,
                None,
            )
            .await
            .map_err(db_error)?;
        deps.db.instance_destroy(uuid).await.map_err(db_error)?;
        return Ok(());
    }
    deps.compute
        .terminate_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(format!("could not reach {host}: {e}")))
}

fn cannot(action: &str, row: &InstanceRow) -> ApiError {
    ApiError::Conflict(format!(
        "Cannot '{action}' instance {} while it is in vm_state {}",
        row.uuid,
        row.vm_state.as_deref().unwrap_or("unknown")
    ))
}

/// Move `row` into `task_state` expecting `expected`, or a 409 naming the action.
async fn claim_task(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    action: &str,
    task_state: &str,
    expected: &[Option<String>],
) -> Result<InstanceRow, ApiError> {
    deps.db
        .instance_update_and_get(
            &row.uuid,
            &values(json!({"task_state": task_state, "progress": 0})),
            Some(expected),
            None,
        )
        .await
        .map_err(|error| match error.nova_class() {
            Some("UnexpectedTaskStateError" | "UnexpectedDeletingTaskStateError") => {
                cannot(action, row)
            }
            _ => db_error(error),
        })
}

/// Nova `_record_action_start`: the action the compute's events are recorded under (found
/// by the request id the cast carries).
async fn record_action(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    row: &InstanceRow,
    action: &str,
) -> Result<(), ApiError> {
    let text = |key: &str| ctx.values().get(key).and_then(|v| v.as_str());
    let request_id = ctx.request_id().unwrap_or("-");
    deps.db
        .action_start(
            &row.uuid,
            action,
            request_id,
            text("user_id").or(row.user_id.as_deref()),
            text("project_id").or(row.project_id.as_deref()),
        )
        .await
        .map(drop)
        .map_err(db_error)
}

fn host_of(row: &InstanceRow) -> Result<String, ApiError> {
    row.host
        .clone()
        .ok_or_else(|| ApiError::Conflict(format!("Instance {} is not ready", row.uuid)))
}

/// Nova `API.stop`: active or error, no task, launched.
pub async fn stop(deps: &ComputeApiDeps, ctx: &RequestContext, uuid: &str) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let host = host_of(&row)?;
    let allowed = matches!(row.vm_state.as_deref(), Some("active" | "error"))
        && row.task_state.is_none()
        && row.launched_at.is_some();
    if !allowed {
        return Err(cannot("stop", &row));
    }
    let row = claim_task(deps, &row, "stop", "powering-off", &[None]).await?;
    record_action(deps, ctx, &row, "stop").await?;
    deps.compute
        .stop_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Nova `API.start`: stopped, no task.
pub async fn start(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let host = host_of(&row)?;
    if row.vm_state.as_deref() != Some("stopped") || row.task_state.is_some() {
        return Err(cannot("start", &row));
    }
    let row = claim_task(deps, &row, "start", "powering-on", &[None]).await?;
    record_action(deps, ctx, &row, "start").await?;
    deps.compute
        .start_instance(ctx, &host, instance_primitive(&row))
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Nova `API.reboot`: SOFT needs active and no task; HARD allows more states.
pub async fn reboot(
    deps: &ComputeApiDeps,
    ctx: &RequestContext,
    uuid: &str,
    hard: bool,
) -> Result<(), ApiError> {
    let row = instance(deps, uuid).await?;
    let host = host_of(&row)?;
    let row = if hard {
        let vm_ok = matches!(
            row.vm_state.as_deref(),
            Some("active" | "stopped" | "paused" | "suspended" | "error")
        );
        if !vm_ok {
            return Err(cannot("reboot", &row));
        }
        let allow: Vec<Option<String>> = [
            None,
            Some("rebooting"),
            Some("reboot_pending"),
            Some("reboot_started"),
            Some("resuming"),
            Some("rebooting_hard"),
            Some("unpausing"),
            Some("pausing"),
            Some("suspending"),
        ]
        .into_iter()
        .map(|s| s.map(str::to_owned))
        .collect();
        claim_task(deps, &row, "reboot", "rebooting_hard", &allow).await?
    } else {
        if row.vm_state.as_deref() != Some("active") || row.task_state.is_some() {
            return Err(cannot("reboot", &row));
        }
        claim_task(deps, &row, "reboot", "rebooting", &[None]).await?
    };
    record_action(deps, ctx, &row, "reboot").await?;
    deps.compute
        .reboot_instance(
            ctx,
            &host,
            instance_primitive(&row),
            if hard { "HARD" } else { "SOFT" },
        )
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::status;

    #[test]
    fn hostnames_are_sanitized_as_nova_does() {
        use super::sanitize_hostname;
        assert_eq!(
            sanitize_hostname("My Server_1.example"),
            "my-server-1-example"
        );
        assert_eq!(sanitize_hostname("--web@01--"), "web01");
        assert_eq!(sanitize_hostname("日本"), "");
        assert_eq!(sanitize_hostname(&"a".repeat(80)).len(), 63);
    }

    #[test]
    fn status_follows_novas_state_map() {
        assert_eq!(status(Some("building"), Some("spawning")), "BUILD");
        assert_eq!(status(Some("active"), None), "ACTIVE");
        assert_eq!(status(Some("active"), Some("powering-off")), "ACTIVE");
        assert_eq!(status(Some("active"), Some("rebooting")), "REBOOT");
        assert_eq!(
            status(Some("active"), Some("reboot_started_hard")),
            "HARD_REBOOT"
        );
        assert_eq!(status(Some("stopped"), None), "SHUTOFF");
        assert_eq!(status(Some("error"), None), "ERROR");
        assert_eq!(status(Some("weird"), None), "UNKNOWN");
    }
}
