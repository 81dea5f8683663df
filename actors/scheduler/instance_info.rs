//! The scheduler's per-host view of instances (Nova: `nova/scheduler/host_manager.py`
//! `HostManager._instance_info` with `update_instance_info`, `delete_instance_info`,
//! `sync_instance_info` and `_recreate_instance_info`).
//!
//! Pure state, no I/O: every fanout is applied by a method that either changes the view or
//! answers [`Applied::Recreate`], telling the manager to re-read the host's instances from
//! the database (`instance_get_all_by_host`) and hand them to [`InstanceInfo::recreate`].
//! The manager does that read asynchronously and applies its result in one synchronous
//! step, so the view is only ever changed under the scheduler's lock.
//!
//! Nova builds the whole view at start (`_init_instance_info`); novactor builds a host's
//! entry on the first fanout from it instead (the "unknown host" path Nova already has),
//! because no filter of the slice reads the view and a 1,000-host start should not cost
//! 1,000 queries. [`InstanceInfo::recreated`] counts rebuilds, so the wiring is observable.

use std::collections::{BTreeSet, HashMap};

/// What the manager must do after a fanout was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The view was updated in place.
    Updated,
    /// The view for this host cannot be trusted: rebuild it from the database.
    Recreate {
        /// Why, as Nova logs it.
        reason: RecreateReason,
    },
}

/// Why a host's instance list is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecreateReason {
    /// A fanout came from a host the view did not know yet.
    UnknownHost,
    /// `sync_instance_info` listed other instances than the view holds.
    SyncMismatch,
}

impl RecreateReason {
    /// Nova's log line for this rebuild.
    pub fn describe(self, host_name: &str) -> String {
        match self {
            Self::UnknownHost => format!(
                "Received a request from an unknown host '{host_name}'. Re-created its InstanceList."
            ),
            Self::SyncMismatch => format!(
                "The instance sync for host '{host_name}' did not match. Re-created its InstanceList."
            ),
        }
    }
}

/// One host's entry (Nova: `{"instances": {uuid: Instance}, "updated": bool}`; novactor keeps
/// the uuids only, which is all the slice's consumers need).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostInstances {
    /// Instance uuids the host reported.
    pub instances: BTreeSet<String>,
    /// True once the compute itself told us (a fanout), not only the database.
    pub updated: bool,
}

/// The per-host instance view.
#[derive(Debug, Clone, Default)]
pub struct InstanceInfo {
    hosts: HashMap<String, HostInstances>,
    recreated: u64,
    sync_mismatches: u64,
}

impl InstanceInfo {
    /// An empty view.
    pub fn new() -> Self {
        Self::default()
    }

    /// `update_instance_info`: `instance_uuids` now run on `host_name` (added to what it has).
    pub fn update(&mut self, host_name: &str, instance_uuids: &[String]) -> Applied {
        let Some(host) = self.hosts.get_mut(host_name) else {
            return Applied::Recreate {
                reason: RecreateReason::UnknownHost,
            };
        };
        host.instances.extend(instance_uuids.iter().cloned());
        host.updated = true;
        Applied::Updated
    }

    /// `delete_instance_info`: `instance_uuid` left `host_name`.
    pub fn delete(&mut self, host_name: &str, instance_uuid: &str) -> Applied {
        let Some(host) = self.hosts.get_mut(host_name) else {
            return Applied::Recreate {
                reason: RecreateReason::UnknownHost,
            };
        };
        host.instances.remove(instance_uuid);
        host.updated = true;
        Applied::Updated
    }

    /// `sync_instance_info`: `instance_uuids` is everything `host_name` has. Equal sets mark
    /// the host as synced; any difference asks for a rebuild (Nova trusts the database, not
    /// either list, when they disagree).
    pub fn sync(&mut self, host_name: &str, instance_uuids: &[String]) -> Applied {
        let Some(host) = self.hosts.get_mut(host_name) else {
            return Applied::Recreate {
                reason: RecreateReason::UnknownHost,
            };
        };
        let reported: BTreeSet<String> = instance_uuids.iter().cloned().collect();
        if reported != host.instances {
            self.sync_mismatches += 1;
            return Applied::Recreate {
                reason: RecreateReason::SyncMismatch,
            };
        }
        host.updated = true;
        Applied::Updated
    }

    /// `_recreate_instance_info`: replace `host_name`'s entry with what the database holds.
    /// `updated` stays false: the compute has not confirmed this list yet.
    pub fn recreate(&mut self, host_name: &str, instance_uuids: impl IntoIterator<Item = String>) {
        self.recreated += 1;
        self.hosts.insert(
            host_name.to_owned(),
            HostInstances {
                instances: instance_uuids.into_iter().collect(),
                updated: false,
            },
        );
    }

    /// The view of one host, if known.
    pub fn host(&self, host_name: &str) -> Option<&HostInstances> {
        self.hosts.get(host_name)
    }

    /// Rebuilds done so far (any reason).
    pub fn recreated(&self) -> u64 {
        self.recreated
    }

    /// `sync_instance_info` calls that did not match the view.
    pub fn sync_mismatches(&self) -> u64 {
        self.sync_mismatches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_fanout_from_an_unknown_host_asks_for_a_rebuild() {
        let mut info = InstanceInfo::new();
        let unknown = Applied::Recreate {
            reason: RecreateReason::UnknownHost,
        };
        assert_eq!(info.update("h1", &uuids(&["a"])), unknown);
        assert_eq!(info.delete("h1", "a"), unknown);
        assert_eq!(info.sync("h1", &uuids(&["a"])), unknown);
        assert!(info.host("h1").is_none());
        assert_eq!(info.sync_mismatches(), 0);
    }

    #[test]
    fn update_adds_and_delete_removes_uuids_of_a_known_host() {
        let mut info = InstanceInfo::new();
        info.recreate("h1", uuids(&["a"]));
        assert!(!info.host("h1").unwrap().updated);
        assert_eq!(info.update("h1", &uuids(&["b", "c"])), Applied::Updated);
        assert_eq!(info.host("h1").unwrap().instances, set(&["a", "b", "c"]));
        assert!(info.host("h1").unwrap().updated);
        assert_eq!(info.delete("h1", "b"), Applied::Updated);
        // Deleting what is not there is harmless (Nova would KeyError; the end state is the same).
        assert_eq!(info.delete("h1", "zzz"), Applied::Updated);
        assert_eq!(info.host("h1").unwrap().instances, set(&["a", "c"]));
    }

    #[test]
    fn a_matching_sync_marks_the_host_updated_and_a_mismatch_asks_for_a_rebuild() {
        let mut info = InstanceInfo::new();
        info.recreate("h1", uuids(&["a", "b"]));
        assert_eq!(info.sync("h1", &uuids(&["b", "a"])), Applied::Updated);
        assert!(info.host("h1").unwrap().updated);
        assert_eq!(
            info.sync("h1", &uuids(&["a"])),
            Applied::Recreate {
                reason: RecreateReason::SyncMismatch
            }
        );
        assert_eq!(info.sync_mismatches(), 1);
        // The manager re-reads the database and replaces the entry wholesale.
        info.recreate("h1", uuids(&["a", "d"]));
        assert_eq!(info.host("h1").unwrap().instances, set(&["a", "d"]));
        assert!(!info.host("h1").unwrap().updated);
        assert_eq!(info.recreated(), 2);
        assert!(RecreateReason::SyncMismatch
            .describe("h1")
            .contains("did not match"));
    }
}
