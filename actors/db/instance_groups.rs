//! The server group tables (Nova API database `InstanceGroup`, `InstanceGroupPolicy`,
//! `InstanceGroupMember`; `nova/objects/instance_group.py` `_create_in_db`,
//! `_get_from_db_by_uuid`, `add_members`, `_destroy_in_db`): a group with its one policy,
//! its rules (JSON text) and its member instance uuids. Rows are hard-deleted, as in Nova's
//! API database. A member row outlives its instance, as in Nova; what counts are live
//! members ([`NovaDb::instance_hosts_of`] reads which of them live, and where).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;

/// One server group with its policy, rules and members (member rows, live or not).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceGroupRow {
    /// Row id.
    pub id: i64,
    /// The group's uuid (its API id).
    pub uuid: String,
    /// Name.
    pub name: Option<String>,
    /// Creator.
    pub user_id: Option<String>,
    /// Owner project.
    pub project_id: Option<String>,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    pub policy: Option<String>,
    /// The policy's rules (`max_server_per_host`), `{}` when none.
    pub rules: Map<String, Value>,
    /// Member instance uuids, in the order they joined.
    pub members: Vec<String>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, sqlx::FromRow)]
struct GroupColumns {
    id: i64,
    uuid: String,
    name: Option<String>,
    user_id: Option<String>,
    project_id: Option<String>,
    created_at: Option<DateTime<Utc>>,
    policy: Option<String>,
    rules: Option<String>,
}

#[derive(Debug, sqlx::FromRow)]
struct MemberColumns {
    group_id: i64,
    instance_uuid: Option<String>,
}

/// Where a live instance runs (`host` is `None` while it is scheduled).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InstanceHostRow {
    /// The instance.
    pub uuid: String,
    /// Its host, once it has one.
    pub host: Option<String>,
    /// Its owner.
    pub user_id: Option<String>,
}

const SELECT_GROUPS: &str = "SELECT g.id, g.uuid, g.name, g.user_id, g.project_id, \
     g.created_at, p.policy, p.rules FROM instance_groups g \
     LEFT JOIN instance_group_policy p ON p.group_id = g.id";

impl NovaDb {
    /// Nova `InstanceGroup.create`: the group and its policy row; returns it, memberless.
    pub async fn instance_group_create(
        &self,
        uuid: &str,
        name: &str,
        user_id: &str,
        project_id: &str,
        policy: &str,
        rules: &Map<String, Value>,
    ) -> Result<InstanceGroupRow, NovaDbError> {
        let now = utc_now();
        let id = self
            .db
            .insert(
                "instance_groups",
                &[
                    ("uuid", uuid.into()),
                    ("name", name.into()),
                    ("user_id", user_id.into()),
                    ("project_id", project_id.into()),
                    ("created_at", now.into()),
                ],
            )
            .await?;
        let rules_text = (!rules.is_empty()).then(|| Value::Object(rules.clone()).to_string());
        self.db
            .insert(
                "instance_group_policy",
                &[
                    ("policy", policy.into()),
                    ("rules", rules_text.into()),
                    ("group_id", id.into()),
                    ("created_at", now.into()),
                ],
            )
            .await?;
        Ok(InstanceGroupRow {
            id,
            uuid: uuid.to_owned(),
            name: Some(name.to_owned()),
            user_id: Some(user_id.to_owned()),
            project_id: Some(project_id.to_owned()),
            policy: Some(policy.to_owned()),
            rules: rules.clone(),
            members: Vec::new(),
            created_at: Some(now),
        })
    }

    /// Nova `InstanceGroup.get_by_uuid`; `None` when there is no such group.
    pub async fn instance_group_get_by_uuid(
        &self,
        uuid: &str,
    ) -> Result<Option<InstanceGroupRow>, NovaDbError> {
        let sql = format!("{SELECT_GROUPS} WHERE g.uuid = ?");
        let rows: Vec<GroupColumns> = self.db.fetch_all(&sql, &[uuid.into()]).await?;
        Ok(self.with_members(rows).await?.pop())
    }

    /// Nova `InstanceGroupList.get_by_project_id` (`Some`) or `get_all` (`None`), by id.
    pub async fn instance_group_list(
        &self,
        project_id: Option<&str>,
    ) -> Result<Vec<InstanceGroupRow>, NovaDbError> {
        let rows: Vec<GroupColumns> = match project_id {
            Some(project) => {
                let sql = format!("{SELECT_GROUPS} WHERE g.project_id = ? ORDER BY g.id");
                self.db.fetch_all(&sql, &[project.into()]).await?
            }
            None => {
                let sql = format!("{SELECT_GROUPS} ORDER BY g.id");
                self.db.fetch_all(&sql, &[]).await?
            }
        };
        self.with_members(rows).await
    }

    /// Nova `InstanceGroupList.get_counts`: the groups of `project_id`.
    pub async fn instance_group_count(&self, project_id: &str) -> Result<i64, NovaDbError> {
        let (count,): (i64,) = self
            .db
            .fetch_optional(
                "SELECT COUNT(*) FROM instance_groups WHERE project_id = ?",
                &[project_id.into()],
            )
            .await?
            .unwrap_or((0,));
        Ok(count)
    }

    /// Nova `InstanceGroup.get_by_instance_uuid`: the group `instance_uuid` is a member of.
    pub async fn instance_group_get_by_instance(
        &self,
        instance_uuid: &str,
    ) -> Result<Option<InstanceGroupRow>, NovaDbError> {
        let sql = format!(
            "{SELECT_GROUPS} WHERE g.id IN \
             (SELECT group_id FROM instance_group_member WHERE instance_uuid = ?) ORDER BY g.id"
        );
        let rows: Vec<GroupColumns> = self.db.fetch_all(&sql, &[instance_uuid.into()]).await?;
        Ok(self.with_members(rows).await?.into_iter().next())
    }

    /// The uuids of the groups `instance_uuid` is a member of (the 2.71 `server_groups`).
    pub async fn instance_group_uuids_of_instance(
        &self,
        instance_uuid: &str,
    ) -> Result<Vec<String>, NovaDbError> {
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(
                "SELECT g.uuid FROM instance_groups g JOIN instance_group_member m \
                 ON m.group_id = g.id WHERE m.instance_uuid = ? ORDER BY g.id",
                &[instance_uuid.into()],
            )
            .await?;
        Ok(rows.into_iter().map(|(uuid,)| uuid).collect())
    }

    /// Nova `InstanceGroup.add_members`: `instance_uuid` joins the group whose row id is
    /// `group_id`.
    pub async fn instance_group_add_member(
        &self,
        group_id: i64,
        instance_uuid: &str,
    ) -> Result<(), NovaDbError> {
        self.db
            .insert(
                "instance_group_member",
                &[
                    ("instance_uuid", instance_uuid.into()),
                    ("group_id", group_id.into()),
                    ("created_at", utc_now().into()),
                ],
            )
            .await?;
        Ok(())
    }

    /// Nova `InstanceGroup._remove_members_in_db`: `instance_uuids` leave the group.
    pub async fn instance_group_remove_members(
        &self,
        group_id: i64,
        instance_uuids: &[String],
    ) -> Result<(), NovaDbError> {
        for uuid in instance_uuids {
            self.db
                .execute(
                    "DELETE FROM instance_group_member WHERE group_id = ? AND instance_uuid = ?",
                    &[group_id.into(), uuid.as_str().into()],
                )
                .await?;
        }
        Ok(())
    }

    /// Nova `InstanceGroup.destroy`: the group, its policy and member rows. False when
    /// there was no such group.
    pub async fn instance_group_delete(&self, uuid: &str) -> Result<bool, NovaDbError> {
        let Some(group) = self.instance_group_get_by_uuid(uuid).await? else {
            return Ok(false);
        };
        for table in ["instance_group_member", "instance_group_policy"] {
            self.db
                .execute(
                    &format!("DELETE FROM {table} WHERE group_id = ?"),
                    &[group.id.into()],
                )
                .await?;
        }
        let n = self
            .db
            .execute(
                "DELETE FROM instance_groups WHERE id = ?",
                &[group.id.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// The live instances among `uuids`, with their host and owner (Nova's
    /// `_get_not_deleted`, `InstanceGroup.get_hosts` and the member count by user).
    pub async fn instance_hosts_of(
        &self,
        uuids: &[String],
    ) -> Result<Vec<InstanceHostRow>, NovaDbError> {
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; uuids.len()].join(", ");
        let sql = format!(
            "SELECT uuid, host, user_id FROM instances WHERE deleted = 0 AND uuid IN ({marks})"
        );
        let binds: Vec<_> = uuids.iter().map(|u| u.as_str().into()).collect();
        Ok(self.db.fetch_all(&sql, &binds).await?)
    }

    async fn with_members(
        &self,
        rows: Vec<GroupColumns>,
    ) -> Result<Vec<InstanceGroupRow>, NovaDbError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let marks = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT group_id, instance_uuid FROM instance_group_member \
             WHERE group_id IN ({marks}) ORDER BY id"
        );
        let binds: Vec<_> = ids.iter().map(|id| (*id).into()).collect();
        let members: Vec<MemberColumns> = self.db.fetch_all(&sql, &binds).await?;
        rows.into_iter()
            .map(|row| {
                let rules = match row.rules.as_deref() {
                    None | Some("") => Map::new(),
                    Some(text) => {
                        serde_json::from_str::<Map<String, Value>>(text).map_err(|source| {
                            NovaDbError::CorruptJson {
                                table: "instance_group_policy",
                                column: "rules",
                                key: row.uuid.clone(),
                                source,
                            }
                        })?
                    }
                };
                Ok(InstanceGroupRow {
                    members: members
                        .iter()
                        .filter(|m| m.group_id == row.id)
                        .filter_map(|m| m.instance_uuid.clone())
                        .collect(),
                    id: row.id,
                    uuid: row.uuid,
                    name: row.name,
                    user_id: row.user_id,
                    project_id: row.project_id,
                    policy: row.policy,
                    rules,
                    created_at: row.created_at,
                })
            })
            .collect()
    }
}
