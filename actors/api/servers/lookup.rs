//! The reads the server handlers share: one instance as the caller may see it, and what the
//! detail view needs about instances besides their rows (fault, host service, flavor, tags,
//! the scheduling request, addresses), read for a whole page at once.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::addresses::addresses;
use super::views::{Extra, Scheduling};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::db::{InstanceRow, LabPortRow};

/// What the detail view of `rows` needs: one read each for the page's faults, services,
/// flavors (Nova's `fill_faults` and joins), tags, request specs and lab network ports,
/// keyed by the page's own uuids, hosts and flavor ids — never one read per server.
pub async fn extras(state: &ApiState, rows: &[InstanceRow]) -> Result<Vec<Extra>, ApiFault> {
    let uuids: Vec<String> = rows.iter().map(|r| r.uuid.clone()).collect();
    let faulty: Vec<String> = rows
        .iter()
        .filter(|r| matches!(r.vm_state.as_deref(), Some("error" | "deleted")))
        .map(|r| r.uuid.clone())
        .collect();
    let mut hosts: Vec<String> = rows.iter().filter_map(|r| r.host.clone()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let mut flavor_ids: Vec<i64> = rows.iter().filter_map(|r| r.instance_type_id).collect();
    flavor_ids.sort_unstable();
    flavor_ids.dedup();
    let page = state
        .run(move |b| async move {
            let db = &b.deps.db;
            let faults = db
                .instance_faults_newest_by_uuids(&faulty)
                .await
                .map_err(ApiFault::db)?;
            let services = db
                .compute_services_by_hosts(&hosts)
                .await
                .map_err(ApiFault::db)?;
            let flavors = db.flavors_by_ids(&flavor_ids).await.map_err(ApiFault::db)?;
            let tags = db
                .tags_by_resource_ids(&uuids)
                .await
                .map_err(ApiFault::db)?;
            let mut specs: HashMap<String, Scheduling> = HashMap::new();
            for spec in db
                .request_specs_by_instance_uuids(&uuids)
                .await
                .map_err(ApiFault::db)?
            {
                // A spec that does not parse shows as no spec (null zone, no hints): the
                // view is history, not the place to fail a whole list.
                if let Ok(value) = spec.spec_json() {
                    specs.insert(spec.instance_uuid, Scheduling::of_spec(&value));
                }
            }
            let mut ports: HashMap<String, Vec<LabPortRow>> = HashMap::new();
            for port in db
                .lab_network_ports_of_instances(&uuids)
                .await
                .map_err(ApiFault::db)?
            {
                ports
                    .entry(port.instance_uuid.clone())
                    .or_default()
                    .push(port);
            }
            let addressed: HashMap<String, Map<String, Value>> = ports
                .into_iter()
                .map(|(uuid, own)| (uuid, addresses(&own, &b.deps.lab_network, true)))
                .collect();
            Ok(Page {
                faults,
                services,
                flavors,
                tags,
                specs,
                addressed,
                service_down_time: b.deps.service_down_time,
            })
        })
        .await?;
    let Page {
        mut faults,
        services,
        flavors,
        mut tags,
        mut specs,
        mut addressed,
        service_down_time,
    } = page;
    Ok(rows
        .iter()
        .map(|r| Extra {
            fault: faults.remove(&r.uuid),
            service: r.host.as_ref().and_then(|h| services.get(h).cloned()),
            service_down_time,
            flavor: r
                .instance_type_id
                .and_then(|id| flavors.get(&id))
                .map(|f| (f.name.clone(), f.flavorid.clone())),
            tags: tags.remove(&r.uuid).unwrap_or_default(),
            scheduling: specs.remove(&r.uuid),
            addresses: addressed.remove(&r.uuid).unwrap_or_default(),
            // The show and update views read them (`server_groups`); lists never show them.
            server_groups: Vec::new(),
        })
        .collect())
}

/// One page's reads, keyed by instance uuid, host or flavor id.
struct Page {
    faults: HashMap<String, crate::db::InstanceFaultRow>,
    services: HashMap<String, crate::db::ServiceRow>,
    flavors: HashMap<i64, crate::db::FlavorRow>,
    tags: HashMap<String, Vec<String>>,
    specs: HashMap<String, Scheduling>,
    addressed: HashMap<String, Map<String, Value>>,
    service_down_time: std::time::Duration,
}

/// The instance `id` if this caller may see it (another project's is 404, as in Nova's
/// project-only database reads) and rule `rule` allows them on it (else 403).
pub async fn visible(
    ctx: &Ctx,
    state: &ApiState,
    id: &str,
    rule: &str,
) -> Result<InstanceRow, ApiFault> {
    let uuid = id.to_owned();
    let not_found = || ApiFault::not_found(format!("Instance {id} could not be found."));
    let row = state
        .run(move |b| async move {
            match b.deps.db.instance_get_by_uuid(&uuid).await {
                Ok(row) => Ok(Some(row)),
                Err(e) if e.nova_class() == Some("InstanceNotFound") => Ok(None),
                Err(e) => Err(ApiFault::db(e)),
            }
        })
        .await?
        .ok_or_else(not_found)?;
    let project = row.project_id.clone().unwrap_or_default();
    if !ctx.is_admin && (ctx.project_id.is_empty() || project != ctx.project_id) {
        return Err(not_found());
    }
    ctx.authorize(rule, &project)?;
    Ok(row)
}

/// The uuids of the server groups instance `uuid` belongs to (Nova `_get_server_groups`,
/// shown from 2.71 by the views of one server).
pub async fn server_groups(state: &ApiState, uuid: &str) -> Result<Vec<String>, ApiFault> {
    let uuid = uuid.to_owned();
    state
        .run(move |b| async move {
            b.deps
                .db
                .instance_group_uuids_of_instance(&uuid)
                .await
                .map_err(ApiFault::db)
        })
        .await
}
