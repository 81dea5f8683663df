//! Nova `API.create` (`nova/compute/api.py`): what a boot asks for, the instance rows, their
//! tags, server group, key pair and lab network port, one request spec each (with a 2.74
//! `requested_destination`), and the `schedule_and_build_instances` cast with the
//! personality files (their quota checked first) — all undone when any step fails.

use serde_json::{json, Map, Value};

use super::compute_api::{db_error, values, ApiError, ComputeApiDeps};
use super::injected_file_quota;
use super::keypair_api;
use super::server_group_api;
use crate::db::{InstanceRow, LabPortError, PortAddresses};
use crate::objects::injected_files::InjectedFile;
use crate::objects::instance::instance_primitive;
use crate::objects::limits::MAX_INSTANCES_PER_REQUEST;
use crate::objects::network_info::network_info;
use crate::objects::{BuildRequest, Destination, Flavor, InstanceGroup, RequestSpec, TypedObject};
use novactor::rpc::RequestContext;

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
    /// `tags` (2.52+), stored in the `tags` table.
    pub tags: Vec<String>,
    /// The lab network port each instance gets (`None`: `networks: "none"`).
    pub port: Option<PortAddresses>,
    /// The scheduler hints, as the request spec carries them (dict of lists of strings).
    pub scheduler_hints: Map<String, Value>,
    /// Hint `group`: the server group every instance joins.
    pub group: Option<String>,
    /// `key_name`: the caller's key pair the instances boot with.
    pub key_name: Option<String>,
    /// 2.74 `host` / `hypervisor_hostname`: the request spec's `requested_destination`.
    pub requested_destination: Option<Destination>,
    /// `availability_zone` `az:host[:node]`: the request spec's `force_hosts`.
    pub force_host: Option<String>,
    /// `availability_zone` `az:host:node` / `az::node`: the request spec's `force_nodes`.
    pub force_node: Option<String>,
    /// `personality` (before 2.57): not stored, sent with the build to every instance.
    pub injected_files: Vec<InjectedFile>,
}

fn port_error(error: LabPortError) -> ApiError {
    match error {
        // Nova answers both with a 400 (servers.py create, attach_interfaces.py).
        LabPortError::NoMoreFixedIps { .. } | LabPortError::FixedIpAlreadyInUse { .. } => {
            ApiError::BadRequest(error.to_string())
        }
        LabPortError::Contended { .. } => ApiError::Unavailable(error.to_string()),
        LabPortError::Db(e) => db_error(e),
    }
}

/// A lab network port for `row`, and its `NetworkInfo` in the row's info cache (what the
/// build request and a Nova peer's `Instance` carry); the row as it is then.
async fn with_port(
    deps: &ComputeApiDeps,
    row: &InstanceRow,
    addresses: PortAddresses,
) -> Result<InstanceRow, ApiError> {
    let port = deps
        .db
        .lab_network_port_create(&deps.lab_network, &row.uuid, addresses)
        .await
        .map_err(port_error)?;
    let project = row.project_id.as_deref().unwrap_or_default();
    let info = network_info(&port, &deps.lab_network, project);
    deps.db
        .instance_update_and_get(
            &row.uuid,
            &values(json!({ "network_info": info })),
            None,
            None,
        )
        .await
        .map_err(db_error)
}

/// Destroys the rows of a create that cannot go on (their ports are released with them).
async fn undo_create(deps: &ComputeApiDeps, uuids: &[String]) {
    for uuid in uuids {
        if let Err(cleanup) = deps.db.instance_destroy(uuid).await {
            tracing::error!(instance = %uuid, %cleanup, "could not remove the instance of a failed create");
        }
    }
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
    injected_file_quota::check(&deps.injected_file_quota, &request.details.injected_files)?;
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
    let key_columns = boot_key_pair(deps, request).await?;
    if let Some(destination) = &request.details.requested_destination {
        check_destination(deps, destination).await?;
    }
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
        let mut values = json!({
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
        if let Some(columns) = values.as_object_mut() {
            columns.extend(key_columns.clone());
        }
        let row = match deps
            .db
            .instance_create(values.as_object().unwrap_or(&Map::new()))
            .await
        {
            Ok(row) => row,
            Err(error) => {
                undo_create(deps, &uuids).await;
                return Err(db_error(error));
            }
        };
        uuids.push(row.uuid.clone());
        if !request.details.tags.is_empty() {
            if let Err(error) = deps.db.tag_set(&row.uuid, &request.details.tags).await {
                undo_create(deps, &uuids).await;
                return Err(db_error(error));
            }
        }
        if let Some(group) = group.as_mut() {
            if let Err(error) =
                server_group_api::join(&deps.db, group, &row.uuid, &request.user_id).await
            {
                // Nova's _cleanup_build_artifacts: no server of a refused create remains.
                undo_create(deps, &uuids).await;
                let _ = deps
                    .db
                    .instance_group_remove_members(group.id, &uuids)
                    .await;
                return Err(error.into());
            }
        }
        // novactor's API allocates (Nova's compute asks Neutron during the build; D-LABNET):
        // a create that cannot have its addresses leaves no server behind.
        let row = match request.details.port {
            None => row,
            Some(addresses) => match with_port(deps, &row, addresses).await {
                Ok(row) => row,
                Err(error) => {
                    undo_create(deps, &uuids).await;
                    return Err(error);
                }
            },
        };
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
            requested_destination: request.details.requested_destination.clone(),
            force_hosts: request.details.force_host.clone().map(|host| vec![host]),
            force_nodes: request.details.force_node.clone().map(|node| vec![node]),
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
    }
    if let Err(error) = deps
        .compute_task
        .schedule_and_build_instances(
            ctx,
            build_requests,
            specs,
            json!({"id": request.image_ref}),
            request.details.injected_files.clone(),
        )
        .await
    {
        // The caller is told the create failed, so no server may appear: the rows go.
        // Should the cast still arrive, the conductor finds them deleted and drops it.
        undo_create(deps, &uuids).await;
        return Err(ApiError::Unavailable(format!(
            "could not reach the conductor ({error}); the servers were not created, try again"
        )));
    }
    Ok(uuids)
}

/// The instance columns of the boot's `key_name` (Nova `_validate_and_build_base_options`:
/// the caller's own key pair, else 400 "Invalid key_name provided.").
async fn boot_key_pair(
    deps: &ComputeApiDeps,
    request: &BootRequest,
) -> Result<Map<String, Value>, ApiError> {
    let Some(name) = &request.details.key_name else {
        return Ok(Map::new());
    };
    match deps
        .db
        .key_pair_get(&request.user_id, name)
        .await
        .map_err(db_error)?
    {
        Some(row) => Ok(keypair_api::instance_key_columns(Some(&row))),
        None => Err(ApiError::BadRequest("Invalid key_name provided.".into())),
    }
}

/// Nova `_validate_host_or_node`: the host (and node) a 2.74 create names must be a
/// compute's; else 400 `ComputeHostNotFound` — naming the host, or the node when only the
/// node was given, as Nova words it.
async fn check_destination(
    deps: &ComputeApiDeps,
    destination: &Destination,
) -> Result<(), ApiError> {
    let missing =
        |name: &str| ApiError::BadRequest(format!("Compute host {name} could not be found."));
    let nodes = deps.db.compute_node_get_all().await.map_err(db_error)?;
    let found = nodes.iter().any(|node| {
        destination
            .host
            .as_ref()
            .is_none_or(|host| node.host.as_ref() == Some(host))
            && destination
                .node
                .as_ref()
                .is_none_or(|name| node.hypervisor_hostname.as_ref() == Some(name))
    });
    match (&destination.host, &destination.node) {
        _ if found => Ok(()),
        (Some(host), _) => Err(missing(host)),
        (None, Some(node)) => Err(missing(node)),
        (None, None) => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::sanitize_hostname;

    #[test]
    fn hostnames_are_sanitized_as_nova_does() {
        assert_eq!(
            sanitize_hostname("My Server_1.example"),
            "my-server-1-example"
        );
        assert_eq!(sanitize_hostname("--web@01--"), "web01");
        assert_eq!(sanitize_hostname("日本"), "");
        assert_eq!(sanitize_hostname(&"a".repeat(80)).len(), 63);
    }
}
