//! The api side of server groups (Nova: `compute/api.py` `_get_requested_instance_group`
//! and the member quota of `_provision_instances`, `server_groups.py` `create`'s group
//! quota, `_get_not_deleted`): what the create flow and the `os-server-groups` handlers
//! share. Nova's default quotas apply (`[quota] server_groups = 10`,
//! `server_group_members = 10`); novactor has no quota options yet.

use crate::db::{InstanceGroupRow, NovaDb, NovaDbError};

/// Why a server cannot join the group its create names.
#[derive(Debug, thiserror::Error)]
pub enum GroupRefusal {
    /// No such group (Nova answers the create 400 `InstanceGroupNotFound`).
    #[error("Instance group {0} could not be found.")]
    NotFound(String),
    /// Over the member quota (403).
    #[error("Quota exceeded, too many servers in group")]
    OverQuota,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] NovaDbError),
}

/// Nova `[quota] server_groups` default: groups per project.
pub const SERVER_GROUPS_QUOTA: i64 = 10;

/// Nova `[quota] server_group_members` default: a user's servers per group.
pub const SERVER_GROUP_MEMBERS_QUOTA: usize = 10;

/// The group hint `group` names ([`GroupRefusal::NotFound`] when there is none).
pub async fn requested_group(
    db: &NovaDb,
    group_uuid: Option<&str>,
) -> Result<Option<InstanceGroupRow>, GroupRefusal> {
    let Some(uuid) = group_uuid else {
        return Ok(None);
    };
    match db.instance_group_get_by_uuid(uuid).await? {
        Some(group) => Ok(Some(group)),
        None => Err(GroupRefusal::NotFound(uuid.to_owned())),
    }
}

/// `instance_uuid` (of `user_id`) joins `group`, within the member quota (Nova counts the
/// user's live members): [`GroupRefusal::OverQuota`] beyond it.
pub async fn join(
    db: &NovaDb,
    group: &mut InstanceGroupRow,
    instance_uuid: &str,
    user_id: &str,
) -> Result<(), GroupRefusal> {
    let live = db.instance_hosts_of(&group.members).await?;
    let mine = live
        .iter()
        .filter(|member| member.user_id.as_deref() == Some(user_id))
        .count();
    if mine + 1 > SERVER_GROUP_MEMBERS_QUOTA {
        return Err(GroupRefusal::OverQuota);
    }
    db.instance_group_add_member(group.id, instance_uuid)
        .await?;
    group.members.push(instance_uuid.to_owned());
    Ok(())
}

/// The members of `group` whose instance is not deleted (Nova shows only those).
pub fn live_members(
    group: &InstanceGroupRow,
    live: &std::collections::HashSet<String>,
) -> Vec<String> {
    group
        .members
        .iter()
        .filter(|uuid| live.contains(*uuid))
        .cloned()
        .collect()
}
