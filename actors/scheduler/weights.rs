//! Host weighing (Nova: `nova/weights.py` `BaseWeightHandler.get_weighed_objects` and
//! `nova/scheduler/weights/ram.py` `RAMWeigher`): every weigher's raw values are
//! normalized to 0..1 over the candidate hosts, multiplied by the weigher's multiplier and
//! summed; hosts are then sorted by weight, highest first, keeping input order among equals
//! (Python's stable `sorted(..., reverse=True)`).
//!
//! The slice enables the RAM weigher (multiplier 1.0: most free RAM first, i.e.
//! spreading) and the server group soft-affinity weighers (`nova/scheduler/weights/
//! affinity.py`, multipliers 1.0): for a `soft-affinity` group the hosts running more of
//! its members first, for `soft-anti-affinity` those running fewer.

use super::host_state::HostState;
use super::instance_placement::InstancePlacement;
use crate::objects::RequestSpec;

/// One enabled weigher.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weigher {
    /// Nova `RAMWeigher`: the host's `free_ram_mb` (not ratio-adjusted, as Nova weighs it).
    Ram {
        /// `[filter_scheduler] ram_weight_multiplier` (Nova default 1.0; negative stacks).
        multiplier: f64,
    },
    /// Nova `ServerGroupSoftAffinityWeigher`: the group's members on the host.
    SoftAffinity {
        /// `[filter_scheduler] soft_affinity_weight_multiplier` (Nova default 1.0).
        multiplier: f64,
    },
    /// Nova `ServerGroupSoftAntiAffinityWeigher`: minus the group's members on the host.
    SoftAntiAffinity {
        /// `[filter_scheduler] soft_anti_affinity_weight_multiplier` (Nova default 1.0).
        multiplier: f64,
    },
}

/// The weighers run on every request.
pub const ENABLED_WEIGHERS: [Weigher; 3] = [
    Weigher::Ram { multiplier: 1.0 },
    Weigher::SoftAffinity { multiplier: 1.0 },
    Weigher::SoftAntiAffinity { multiplier: 1.0 },
];

impl Weigher {
    fn raw(self, host: &HostState, spec: &RequestSpec, placement: &InstancePlacement) -> f64 {
        let members_on_host = |policy: &str| match &spec.instance_group {
            Some(group) if group.has_policy(policy) => {
                placement.count_on(&host.host, &group.members) as f64
            }
            _ => 0.0,
        };
        match self {
            Self::Ram { .. } => host.free_ram_mb() as f64,
            Self::SoftAffinity { .. } => members_on_host("soft-affinity"),
            Self::SoftAntiAffinity { .. } => -members_on_host("soft-anti-affinity"),
        }
    }

    fn multiplier(self) -> f64 {
        match self {
            Self::Ram { multiplier }
            | Self::SoftAffinity { multiplier }
            | Self::SoftAntiAffinity { multiplier } => multiplier,
        }
    }
}

/// Nova `nova/weights.py` `normalize`: min-max to 0..1; all equal ⇒ all 0.
fn normalize(values: &[f64]) -> Vec<f64> {
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let range = max - min;
    values
        .iter()
        .map(|v| if range > 0.0 { (v - min) / range } else { 0.0 })
        .collect()
}

/// Nova `get_weighed_hosts`: `hosts` sorted by summed weight, best first.
pub fn weighed_hosts<'a>(
    hosts: Vec<&'a HostState>,
    spec: &RequestSpec,
    placement: &InstancePlacement,
) -> Vec<&'a HostState> {
    let mut totals = vec![0.0_f64; hosts.len()];
    for weigher in ENABLED_WEIGHERS {
        let raw: Vec<f64> = hosts
            .iter()
            .map(|h| weigher.raw(h, spec, placement))
            .collect();
        for (total, weight) in totals.iter_mut().zip(normalize(&raw)) {
            *total += weigher.multiplier() * weight;
        }
    }
    let mut order: Vec<(f64, &HostState)> = totals.into_iter().zip(hosts).collect();
    // Stable sort, descending: equal weights keep the input (compute node id) order.
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    order.into_iter().map(|(_, h)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::host_state::tests::{host, spec};

    #[test]
    fn most_free_ram_comes_first_and_ties_keep_their_order() {
        let mut a = host(1, "a", 8192, 10, 2);
        a.memory_mb_used = 6144; // 2048 free
        let b = host(2, "b", 4096, 10, 2); // 4096 free
        let c = host(3, "c", 2048, 10, 2); // 2048 free
        let none = InstancePlacement::default();
        let names: Vec<&str> = weighed_hosts(vec![&a, &b, &c], &spec(1, 1, 1), &none)
            .into_iter()
            .map(|h| h.host.as_str())
            .collect();
        assert_eq!(names, ["b", "a", "c"]);
    }

    #[test]
    fn soft_policies_weigh_the_group_members_on_each_host() {
        let a = host(1, "a", 4096, 10, 2);
        let b = host(2, "b", 4096, 10, 2);
        let placement = InstancePlacement::from_hosts([("m1".into(), Some("b".into()))]);
        let mut s = spec(1, 1, 1);
        let order = |s: &RequestSpec| -> Vec<String> {
            weighed_hosts(vec![&a, &b], s, &placement)
                .into_iter()
                .map(|h| h.host.clone())
                .collect()
        };
        for (policy, expected) in [
            ("soft-affinity", ["b", "a"]),
            ("soft-anti-affinity", ["a", "b"]),
        ] {
            s.instance_group = Some(crate::objects::InstanceGroup {
                uuid: "g".into(),
                policy: Some(policy.into()),
                members: vec!["m1".into()],
                ..Default::default()
            });
            assert_eq!(order(&s), expected, "{policy}");
        }
    }

    #[test]
    fn normalize_maps_to_unit_range() {
        assert_eq!(normalize(&[2.0, 4.0, 3.0]), [0.0, 1.0, 0.5]);
        assert_eq!(normalize(&[5.0, 5.0]), [0.0, 0.0]);
    }
}
