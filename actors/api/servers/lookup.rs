//! The reads the server handlers share: one instance as the caller may see it, and what the
//! detail view needs about instances besides their rows (fault, host service, flavor).

use super::views::Extra;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::db::InstanceRow;

/// The faults, services and flavors the detail view of `rows` needs: three reads for the
/// whole page (Nova's `fill_faults` and joins), keyed by the page's own uuids, hosts and
/// flavor ids.
pub async fn extras(state: &ApiState, rows: &[InstanceRow]) -> Result<Vec<Extra>, ApiFault> {
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
    let (mut faults, services, flavors, service_down_time) = state
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
            Ok((faults, services, flavors, b.deps.service_down_time))
        })
        .await?;
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
        })
        .collect())
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
