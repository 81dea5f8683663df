//! The reads the server handlers share: one instance as the caller may see it, and what the
//! detail view needs about instances besides their rows (fault, host service, flavor, the
//! scheduling request).

use std::collections::HashMap;

use serde_json::Value;

use super::views::{Extra, Scheduling};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::db::{InstanceRow, ServiceRow};

/// The faults and services the detail view of `rows` needs.
pub async fn extras(state: &ApiState, rows: &[InstanceRow]) -> Result<Vec<Extra>, ApiFault> {
    let wanted: Vec<(String, Option<String>, bool, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.uuid.clone(),
                r.host.clone(),
                matches!(r.vm_state.as_deref(), Some("error" | "deleted")),
                r.instance_type_id,
            )
        })
        .collect();
    let uuids: Vec<String> = rows.iter().map(|r| r.uuid.clone()).collect();
    state
        .run(move |b| async move {
            let mut services: HashMap<String, Option<ServiceRow>> = HashMap::new();
            let flavors = b.deps.db.flavor_list(None).await.map_err(ApiFault::db)?;
            let mut specs: HashMap<String, Value> = HashMap::new();
            for spec in b
                .deps
                .db
                .request_specs_by_instance_uuids(&uuids)
                .await
                .map_err(ApiFault::db)?
            {
                // A spec that does not parse shows as no spec (null zone, no hints): the
                // view is history, not the place to fail a whole list.
                if let Ok(value) = spec.spec_json() {
                    specs.insert(spec.instance_uuid, value);
                }
            }
            let mut out = Vec::new();
            for (uuid, host, faulty, type_id) in wanted {
                let flavor = flavors
                    .iter()
                    .find(|f| Some(f.id) == type_id)
                    .map(|f| (f.name.clone(), f.flavorid.clone()));
                let fault = if faulty {
                    b.deps
                        .db
                        .instance_fault_get_by_instance_uuid(&uuid)
                        .await
                        .map_err(ApiFault::db)?
                        .into_iter()
                        .next()
                } else {
                    None
                };
                let service = match host {
                    Some(host) => {
                        if !services.contains_key(&host) {
                            let row = b
                                .deps
                                .db
                                .service_get_by_host_and_binary(&host, "nova-compute")
                                .await
                                .map_err(ApiFault::db)?;
                            services.insert(host.clone(), row);
                        }
                        services.get(&host).cloned().flatten()
                    }
                    None => None,
                };
                out.push(Extra {
                    fault,
                    service,
                    service_down_time: b.deps.service_down_time,
                    flavor,
                    scheduling: specs.remove(&uuid).map(|spec| Scheduling::of_spec(&spec)),
                    server_groups: Vec::new(),
                });
            }
            Ok(out)
        })
        .await
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
