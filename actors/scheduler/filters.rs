//! The host filters the slice enables (Nova: `nova/scheduler/filters/`), applied in order to
//! every request, plus `ignore_hosts` stripping (Nova: `HostManager._strip_ignore_hosts`) and
//! the requested destination (`_get_hosts_matching_request`).
//!
//! Without Placement (spec §7 D-PLACEMENT) the resource checks Placement would do come back
//! as Nova's pre-Placement filters, with the formulas of the legacy `RamFilter`,
//! `DiskFilter` and `CoreFilter`, computed on [`HostState`] (which includes what this
//! scheduler consumed since the node last reported).
//!
//! The placement filters — `SameHostFilter`, `DifferentHostFilter` (not in Nova's default
//! `enabled_filters`; novactor always runs them, D-SCHED-HINTS) and the group filters
//! `ServerGroupAntiAffinityFilter`, `ServerGroupAffinityFilter` (in Nova's default list) —
//! read where the instances the request names run ([`InstancePlacement`]).

use super::host_state::HostState;
use super::instance_placement::InstancePlacement;
use crate::objects::RequestSpec;

/// One enabled filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Nova `ComputeFilter`: the host's `nova-compute` service exists, is enabled, not forced
    /// down and up by `service_is_up`.
    Compute,
    /// Legacy `RamFilter`: `memory_mb * ram_allocation_ratio - memory_mb_used ≥ flavor.memory_mb`.
    Ram,
    /// Legacy `DiskFilter`: `local_gb * disk_allocation_ratio - local_gb_used ≥ flavor.disk_gb()`.
    Disk,
    /// Legacy `CoreFilter`: `vcpus * cpu_allocation_ratio - vcpus_used ≥ flavor.vcpus`.
    Core,
    /// Nova `SameHostFilter`: with hint `same_host`, a host running one of those instances.
    SameHost,
    /// Nova `DifferentHostFilter`: with hint `different_host`, a host running none of them.
    DifferentHost,
    /// Nova `ServerGroupAntiAffinityFilter`: for an `anti-affinity` group, a host running
    /// fewer of its members than `max_server_per_host` (default 1).
    GroupAntiAffinity,
    /// Nova `ServerGroupAffinityFilter`: for an `affinity` group with members placed, one of
    /// their hosts.
    GroupAffinity,
    /// Nova's `compute_status_filter` request filter: Placement never offers a node whose
    /// provider carries `COMPUTE_STATUS_DISABLED`, so not even a forced host may be disabled.
    ComputeStatus,
}

/// The filters run on every request, in Nova's order (cheap status check first, Nova's
/// default list's group filters last).
pub const ENABLED_FILTERS: [Filter; 8] = [
    Filter::Compute,
    Filter::Ram,
    Filter::Disk,
    Filter::Core,
    Filter::SameHost,
    Filter::DifferentHost,
    Filter::GroupAntiAffinity,
    Filter::GroupAffinity,
];

/// What still applies to a host an admin forced (`force_hosts` / `force_nodes`): Nova skips
/// its filters then, but Placement still has to find room there and the node must not be
/// disabled — without Placement (D-PLACEMENT) these are its stand-ins.
pub const FORCED_HOST_CHECKS: [Filter; 4] = [
    Filter::ComputeStatus,
    Filter::Ram,
    Filter::Disk,
    Filter::Core,
];

impl Filter {
    /// Nova's class name, as logged.
    pub fn name(self) -> &'static str {
        match self {
            Self::Compute => "ComputeFilter",
            Self::Ram => "RamFilter",
            Self::Disk => "DiskFilter",
            Self::Core => "CoreFilter",
            Self::SameHost => "SameHostFilter",
            Self::DifferentHost => "DifferentHostFilter",
            Self::GroupAntiAffinity => "ServerGroupAntiAffinityFilter",
            Self::GroupAffinity => "ServerGroupAffinityFilter",
            Self::ComputeStatus => "compute_status_filter",
        }
    }

    /// True when `host` may take one instance of `spec`; `placement` is where the
    /// instances `spec` names run.
    pub fn host_passes(
        self,
        host: &HostState,
        spec: &RequestSpec,
        placement: &InstancePlacement,
    ) -> bool {
        let flavor = &spec.flavor;
        let group = spec.instance_group.as_ref();
        match self {
            Self::Compute => host
                .service
                .as_ref()
                .is_some_and(|s| !s.disabled && !s.forced_down && s.up),
            Self::Ram => host.usable_ram_mb() >= flavor.memory_mb as f64,
            Self::Disk => host.usable_disk_gb() >= flavor.disk_gb() as f64,
            Self::Core => host.usable_vcpus() >= flavor.vcpus as f64,
            Self::SameHost => {
                let uuids = spec.scheduler_hint("same_host");
                uuids.is_empty() || placement.any_on(&host.host, &uuids)
            }
            Self::DifferentHost => {
                !placement.any_on(&host.host, &spec.scheduler_hint("different_host"))
            }
            Self::GroupAntiAffinity => match group {
                Some(group) if group.has_policy("anti-affinity") => {
                    // A move may land where the instance already is (Nova's NOTE(hanrong)).
                    placement.is_on(&host.host, &spec.instance_uuid)
                        || placement.count_on(&host.host, &group.members)
                            < group.max_server_per_host()
                }
                _ => true,
            },
            Self::GroupAffinity => match group {
                Some(group) if group.has_policy("affinity") && !group.hosts.is_empty() => {
                    group.hosts.contains(&host.host)
                }
                _ => true,
            },
            Self::ComputeStatus => host.service.as_ref().is_some_and(|s| !s.disabled),
        }
    }
}

/// How many hosts each filter kept, for Nova's "Filtering removed all hosts" log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterReport {
    /// `(filter name, hosts in, hosts out)` per filter that ran.
    pub steps: Vec<(&'static str, usize, usize)>,
}

impl std::fmt::Display for FilterReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|(name, start, end)| format!("'{name}: (start: {start}, end: {end})'"))
            .collect();
        write!(f, "[{}]", steps.join(", "))
    }
}

/// Nova `HostManager.get_filtered_hosts`: the hosts of `hosts` not in `spec.ignore_hosts`
/// (and on `spec.requested_destination`, when given) that pass every enabled filter, in
/// input order. Forced hosts or nodes (`spec.force_hosts` / `force_nodes`, host names
/// compared without case as Nova does) keep only those and skip the filters but
/// [`FORCED_HOST_CHECKS`]. Stops early once none is left.
pub fn filtered_hosts<'a>(
    hosts: impl IntoIterator<Item = &'a HostState>,
    spec: &RequestSpec,
    placement: &InstancePlacement,
) -> (Vec<&'a HostState>, FilterReport) {
    let ignored = spec.ignore_hosts.as_deref().unwrap_or_default();
    // Nova `_get_hosts_matching_request`: a requested destination (a 2.74 create's host or
    // node, a 2.56 migrate's or a 2.91 unshelve's host, an evacuation's named host) narrows
    // the hosts before the filters.
    let requested = spec.requested_destination.as_ref();
    let wanted = |h: &HostState| {
        requested.is_none_or(|d| {
            d.host.as_ref().is_none_or(|host| *host == h.host)
                && d.node.as_ref().is_none_or(|node| *node == h.nodename)
        })
    };
    let forced_hosts: Vec<String> = spec
        .force_hosts
        .iter()
        .flatten()
        .map(|host| host.to_lowercase())
        .collect();
    let forced_nodes = spec.force_nodes.as_deref().unwrap_or_default();
    let forced = |h: &HostState| {
        (forced_hosts.is_empty() || forced_hosts.contains(&h.host.to_lowercase()))
            && (forced_nodes.is_empty() || forced_nodes.contains(&h.nodename))
    };
    let mut kept: Vec<&HostState> = hosts
        .into_iter()
        .filter(|h| !ignored.contains(&h.host) && wanted(h) && forced(h))
        .collect();
    let filters: &[Filter] = if forced_hosts.is_empty() && forced_nodes.is_empty() {
        &ENABLED_FILTERS
    } else {
        &FORCED_HOST_CHECKS
    };
    let mut report = FilterReport::default();
    for filter in filters {
        if kept.is_empty() {
            break;
        }
        let start = kept.len();
        kept.retain(|h| filter.host_passes(h, spec, placement));
        report.steps.push((filter.name(), start, kept.len()));
    }
    (kept, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::host_state::tests::{host, spec};

    fn none() -> InstancePlacement {
        InstancePlacement::default()
    }

    #[test]
    fn resource_filters_use_the_allocation_ratios_and_what_is_used() {
        let mut h = host(1, "h1", 4096, 40, 2);
        h.memory_mb_used = 2048;
        let fits = spec(2048, 40, 2);
        for filter in [Filter::Ram, Filter::Disk, Filter::Core] {
            assert!(filter.host_passes(&h, &fits, &none()), "{}", filter.name());
        }
        assert!(!Filter::Ram.host_passes(&h, &spec(2049, 1, 1), &none()));
        h.ram_allocation_ratio = 1.5; // 6144 usable, 2048 used
        assert!(Filter::Ram.host_passes(&h, &spec(4096, 1, 1), &none()));
        assert!(!Filter::Disk.host_passes(&h, &spec(1, 41, 1), &none()));
        h.cpu_allocation_ratio = 4.0;
        assert!(Filter::Core.host_passes(&h, &spec(1, 1, 8), &none()));
        assert!(!Filter::Core.host_passes(&h, &spec(1, 1, 9), &none()));
        assert_eq!(
            h.limits(),
            serde_json::json!({"memory_mb": 6144, "disk_gb": 40, "vcpu": 8})
                .as_object()
                .cloned()
                .unwrap()
        );
    }

    #[test]
    fn the_compute_filter_needs_an_enabled_live_service() {
        let mut h = host(1, "h1", 4096, 40, 2);
        let s = spec(1, 1, 1);
        assert!(Filter::Compute.host_passes(&h, &s, &none()));
        for break_it in [
            |h: &mut HostState| h.service = None,
            |h: &mut HostState| h.service.as_mut().unwrap().disabled = true,
            |h: &mut HostState| h.service.as_mut().unwrap().forced_down = true,
            |h: &mut HostState| h.service.as_mut().unwrap().up = false,
        ] {
            let mut broken = h.clone();
            break_it(&mut broken);
            assert!(!Filter::Compute.host_passes(&broken, &s, &none()));
        }
        h.host = "h2".into();
        assert!(Filter::Compute.host_passes(&h, &s, &none()));
    }

    #[test]
    fn ignore_hosts_are_stripped_and_the_report_names_each_filter() {
        let hosts = [host(1, "a", 4096, 40, 2), host(2, "b", 1024, 40, 2)];
        let mut s = spec(2048, 1, 1);
        let (kept, report) = filtered_hosts(&hosts, &s, &none());
        assert_eq!(kept.len(), 1);
        assert_eq!(
            report.to_string(),
            "['ComputeFilter: (start: 2, end: 2)', 'RamFilter: (start: 2, end: 1)', \
             'DiskFilter: (start: 1, end: 1)', 'CoreFilter: (start: 1, end: 1)', \
             'SameHostFilter: (start: 1, end: 1)', 'DifferentHostFilter: (start: 1, end: 1)', \
             'ServerGroupAntiAffinityFilter: (start: 1, end: 1)', \
             'ServerGroupAffinityFilter: (start: 1, end: 1)']"
        );
        s.ignore_hosts = Some(vec!["a".into()]);
        let (kept, report) = filtered_hosts(&hosts, &s, &none());
        assert!(kept.is_empty());
        assert_eq!(report.steps.len(), 2, "stops once no host is left");
    }

    #[test]
    fn a_requested_destination_keeps_only_its_host() {
        let hosts = [host(1, "a", 4096, 40, 2), host(2, "b", 4096, 40, 2)];
        let mut s = spec(1, 1, 1);
        s.requested_destination = Some(crate::objects::Destination {
            host: Some("b".into()),
            node: None,
        });
        let (kept, _) = filtered_hosts(&hosts, &s, &none());
        assert_eq!(
            kept.iter().map(|h| h.host.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        s.ignore_hosts = Some(vec!["b".into()]);
        assert!(filtered_hosts(&hosts, &s, &none()).0.is_empty());
    }

    #[test]
    fn a_forced_host_skips_the_filters_but_not_the_room_or_a_disabled_service() {
        let mut down = host(2, "b", 4096, 40, 2);
        if let Some(service) = down.service.as_mut() {
            service.up = false;
        }
        let hosts = [host(1, "a", 4096, 40, 2), down];
        let mut s = hinted("same_host", &["elsewhere"]);
        s.force_hosts = Some(vec!["B".into()]);
        let (kept, report) = filtered_hosts(&hosts, &s, &none());
        assert_eq!(
            kept.iter().map(|h| h.host.as_str()).collect::<Vec<_>>(),
            ["b"],
            "the down host is forced, its name matched without case"
        );
        assert_eq!(
            report.to_string(),
            "['compute_status_filter: (start: 1, end: 1)', 'RamFilter: (start: 1, end: 1)', \
             'DiskFilter: (start: 1, end: 1)', 'CoreFilter: (start: 1, end: 1)']"
        );
        s.force_hosts = None;
        s.force_nodes = Some(vec!["a".into()]);
        let (kept, _) = filtered_hosts(&hosts, &s, &none());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].host, "a");
        let mut disabled = hosts.clone();
        if let Some(service) = disabled[0].service.as_mut() {
            service.disabled = true;
        }
        assert!(filtered_hosts(&disabled, &s, &none()).0.is_empty());
        assert!(filtered_hosts(&hosts, &spec(8192, 1, 1), &none())
            .0
            .is_empty());
        let mut too_big = spec(8192, 1, 1);
        too_big.force_nodes = Some(vec!["a".into()]);
        assert!(
            filtered_hosts(&hosts, &too_big, &none()).0.is_empty(),
            "Placement would find no room"
        );
    }

    fn hinted(hint: &str, uuids: &[&str]) -> RequestSpec {
        let mut s = spec(1, 1, 1);
        s.scheduler_hints
            .insert(hint.into(), serde_json::json!(uuids));
        s
    }

    fn grouped(policy: &str, members: &[&str], hosts: &[&str]) -> RequestSpec {
        let mut s = spec(1, 1, 1);
        s.instance_group = Some(crate::objects::InstanceGroup {
            uuid: "g".into(),
            policy: Some(policy.into()),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..Default::default()
        });
        s
    }

    #[test]
    fn same_and_different_host_read_where_the_named_instances_run() {
        let (a, b) = (host(1, "a", 4096, 40, 2), host(2, "b", 4096, 40, 2));
        let placement = InstancePlacement::from_hosts([("vm1".into(), Some("a".into()))]);
        let same = hinted("same_host", &["vm1", "gone"]);
        assert!(Filter::SameHost.host_passes(&a, &same, &placement));
        assert!(!Filter::SameHost.host_passes(&b, &same, &placement));
        let different = hinted("different_host", &["vm1"]);
        assert!(!Filter::DifferentHost.host_passes(&a, &different, &placement));
        assert!(Filter::DifferentHost.host_passes(&b, &different, &placement));
        // Without the hint (or with an empty one) both pass every host.
        for filter in [Filter::SameHost, Filter::DifferentHost] {
            assert!(filter.host_passes(&b, &spec(1, 1, 1), &placement));
            assert!(filter.host_passes(&b, &hinted("same_host", &[]), &placement));
        }
    }

    #[test]
    fn the_group_filters_follow_the_policy_and_max_server_per_host() {
        let (a, b) = (host(1, "a", 4096, 40, 2), host(2, "b", 4096, 40, 2));
        let placement = InstancePlacement::from_hosts([("m1".into(), Some("a".into()))]);
        let anti = grouped("anti-affinity", &["m1", "new"], &["a"]);
        assert!(!Filter::GroupAntiAffinity.host_passes(&a, &anti, &placement));
        assert!(Filter::GroupAntiAffinity.host_passes(&b, &anti, &placement));
        let mut two_per_host = anti.clone();
        if let Some(group) = two_per_host.instance_group.as_mut() {
            group.rules.insert("max_server_per_host".into(), "2".into());
        }
        assert!(Filter::GroupAntiAffinity.host_passes(&a, &two_per_host, &placement));
        let affinity = grouped("affinity", &["m1", "new"], &["a"]);
        assert!(Filter::GroupAffinity.host_passes(&a, &affinity, &placement));
        assert!(!Filter::GroupAffinity.host_passes(&b, &affinity, &placement));
        // The first member of an affinity group may go anywhere; other policies pass.
        let first = grouped("affinity", &["new"], &[]);
        assert!(Filter::GroupAffinity.host_passes(&b, &first, &placement));
        assert!(Filter::GroupAffinity.host_passes(&b, &anti, &placement));
        assert!(Filter::GroupAntiAffinity.host_passes(&a, &affinity, &placement));
    }
}
