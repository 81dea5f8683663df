//! Nova `nova/scheduler/utils.py` `setup_instance_group` (with `_get_group_details`), which
//! the conductor runs before it asks the scheduler: the request spec's server group is
//! refreshed from the database — the group the instance is a member of, its policy, its
//! members and the hosts of the members that are placed — so the group filters see what
//! the group is now, not what it was when the api built the spec.

use std::collections::BTreeSet;

use crate::db::{NovaDb, NovaDbError};
use crate::objects::{InstanceGroup, RequestSpec};

/// Fill `spec.instance_group` (when the spec has one) from the database.
pub(super) async fn setup_instance_group(
    db: &NovaDb,
    spec: &mut RequestSpec,
) -> Result<(), NovaDbError> {
    let Some(group) = spec.instance_group.as_mut() else {
        return Ok(());
    };
    // Nova reads the group by instance; a spec naming a group the instance did not join
    // (no member row) keeps the group it names.
    let row = match db
        .instance_group_get_by_instance(&spec.instance_uuid)
        .await?
    {
        Some(row) => Some(row),
        None => db.instance_group_get_by_uuid(&group.uuid).await?,
    };
    let Some(row) = row else {
        return Ok(());
    };
    let hosts: BTreeSet<String> = db
        .instance_hosts_of(&row.members)
        .await?
        .into_iter()
        .filter_map(|member| member.host)
        .collect();
    let mut fresh = InstanceGroup::from_row(&row);
    fresh.hosts = hosts.into_iter().collect();
    *group = fresh;
    Ok(())
}
