//! Where the instances a request names run: the uuids of its `same_host` and
//! `different_host` hints and its server group's members, by host. This is the part of
//! Nova's `HostState.instances` the `SameHostFilter`, `DifferentHostFilter`, the group
//! filters and the soft-affinity weighers read (they only ever intersect it with those
//! uuids). novactor reads it from the database for each request that names instances
//! (`instance_hosts_of`), instead of keeping every host's instance list in memory
//! (D-SCHED-HINTS); within a multi-create each instance placed is added, as Nova's
//! `_consume_selected_host` adds it to the chosen `HostState.instances`.

use std::collections::{BTreeSet, HashMap};

use crate::objects::RequestSpec;

/// The named instances of one request, by host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstancePlacement {
    by_host: HashMap<String, BTreeSet<String>>,
}

impl InstancePlacement {
    /// The instance uuids whose hosts the filters and weighers of `spec` need: its
    /// `same_host` and `different_host` hints and its group's members.
    pub fn wanted(spec: &RequestSpec) -> Vec<String> {
        let mut uuids: BTreeSet<String> = ["same_host", "different_host"]
            .into_iter()
            .flat_map(|hint| spec.scheduler_hint(hint))
            .map(str::to_owned)
            .collect();
        if let Some(group) = &spec.instance_group {
            uuids.extend(group.members.iter().cloned());
        }
        uuids.into_iter().collect()
    }

    /// From `(instance uuid, host)` pairs; instances without a host are left out.
    pub fn from_hosts(pairs: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        let mut placement = Self::default();
        for (uuid, host) in pairs {
            if let Some(host) = host {
                placement.place(&host, &uuid);
            }
        }
        placement
    }

    /// `instance_uuid` now runs on `host`.
    pub fn place(&mut self, host: &str, instance_uuid: &str) {
        self.by_host
            .entry(host.to_owned())
            .or_default()
            .insert(instance_uuid.to_owned());
    }

    /// True when `instance_uuid` runs on `host`.
    pub fn is_on(&self, host: &str, instance_uuid: &str) -> bool {
        self.by_host
            .get(host)
            .is_some_and(|on_host| on_host.contains(instance_uuid))
    }

    /// Nova `utils.instance_uuids_overlap`: any of `uuids` runs on `host`.
    pub fn any_on(&self, host: &str, uuids: &[&str]) -> bool {
        uuids.iter().any(|uuid| self.is_on(host, uuid))
    }

    /// How many of `members` run on `host`.
    pub fn count_on(&self, host: &str, members: &[String]) -> usize {
        members.iter().filter(|uuid| self.is_on(host, uuid)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_kept_per_instance_and_unplaced_instances_are_left_out() {
        let mut placement = InstancePlacement::from_hosts([
            ("a".to_owned(), Some("h1".to_owned())),
            ("b".to_owned(), Some("h1".to_owned())),
            ("c".to_owned(), None),
        ]);
        assert!(placement.any_on("h1", &["x", "b"]));
        assert!(!placement.any_on("h2", &["a", "b", "c"]));
        let members = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(placement.count_on("h1", &members), 2);
        placement.place("h2", "c");
        assert_eq!(placement.count_on("h2", &members), 1);
    }
}
