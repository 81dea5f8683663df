//! Nova `InstanceGroup` (1.11, `nova/objects/instance_group.py`) as a [`RequestSpec`]
//! carries it to the scheduler: the server group a new server joins, with its policy, rules,
//! members and the hosts its members run on (filled by the conductor's
//! `setup_instance_group`, extended by the scheduler within a multi-create). Its
//! `TypedObject` impl (the primitive) is `typed.rs`'s.
//!
//! [`RequestSpec`]: super::RequestSpec

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::db::InstanceGroupRow;

/// The four policies a server group may have (Nova's API enum, 2.15+).
pub const GROUP_POLICIES: [&str; 4] = [
    "affinity",
    "anti-affinity",
    "soft-affinity",
    "soft-anti-affinity",
];

/// A nullable Nova field read as its empty value when null (Nova's `members`, `hosts`,
/// `RequestSpec.scheduler_hints` are nullable; novactor's fields are not).
pub(super) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Nova `InstanceGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceGroup {
    /// The group's uuid (very old request specs carry a group without one).
    #[serde(default)]
    pub uuid: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Creator.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Owner project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity`.
    #[serde(default)]
    pub policy: Option<String>,
    /// Nova's `_rules`, a dict of strings (`max_server_per_host` → `"2"`).
    #[serde(default, rename = "_rules", deserialize_with = "null_as_default")]
    pub rules: Map<String, Value>,
    /// Member instance uuids.
    #[serde(default, deserialize_with = "null_as_default")]
    pub members: Vec<String>,
    /// Hosts of the members (one entry per placed member of this request too).
    #[serde(default, deserialize_with = "null_as_default")]
    pub hosts: Vec<String>,
}

impl InstanceGroup {
    /// The group of a database row, its rules as Nova's strings; `hosts` left empty.
    pub fn from_row(row: &InstanceGroupRow) -> Self {
        Self {
            uuid: row.uuid.clone(),
            name: row.name.clone(),
            user_id: row.user_id.clone(),
            project_id: row.project_id.clone(),
            policy: row.policy.clone(),
            rules: row
                .rules
                .iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), Value::String(text))
                })
                .collect(),
            members: row.members.clone(),
            hosts: Vec::new(),
        }
    }

    /// Nova `InstanceGroup.rules['max_server_per_host']`, 1 when unset or unreadable
    /// (`_GroupAntiAffinityFilter`'s default).
    pub fn max_server_per_host(&self) -> usize {
        self.rules
            .get("max_server_per_host")
            .and_then(|v| match v {
                Value::String(text) => text.parse::<usize>().ok(),
                other => other.as_u64().and_then(|n| usize::try_from(n).ok()),
            })
            .filter(|n| *n >= 1)
            .unwrap_or(1)
    }

    /// True when the group's policy is `policy`.
    pub fn has_policy(&self, policy: &str) -> bool {
        self.policy.as_deref() == Some(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_novas_strings_and_max_server_per_host_defaults_to_one() {
        let mut group = InstanceGroup {
            uuid: "g".into(),
            policy: Some("anti-affinity".into()),
            ..InstanceGroup::default()
        };
        assert_eq!(group.max_server_per_host(), 1);
        group.rules.insert("max_server_per_host".into(), "3".into());
        assert_eq!(group.max_server_per_host(), 3);
        assert_eq!(
            serde_json::to_value(&group).unwrap()["_rules"]["max_server_per_host"],
            "3"
        );
        assert!(group.has_policy("anti-affinity"));
        let nulls: InstanceGroup = serde_json::from_value(serde_json::json!(
            {"uuid": "g", "members": null, "hosts": null, "_rules": null}
        ))
        .unwrap();
        assert!(nulls.members.is_empty() && nulls.hosts.is_empty() && nulls.rules.is_empty());
    }
}
