//! The scheduler's view of compute hosts and the placement decision (Nova:
//! `nova/scheduler/host_manager.py` `HostManager`, whose `HostState`s are `host_state.rs`'s,
//! and `nova/scheduler/manager.py` `_schedule`, `_get_alternate_hosts`,
//! `_ensure_sufficient_hosts` on the Placement-less `_legacy_find_hosts` path, spec §7
//! D-PLACEMENT).
//!
//! Pure and synchronous: the manager asks [`HostManager::read_plan`] which rows to read
//! (`host_rows.rs`), reads them without the lock, then calls [`HostManager::refresh`] and
//! [`HostManager::select`] in one step under its lock, so consumption by one request is seen
//! by the next.
//!
//! Reading (D-PLACEMENT performance note): Nova re-reads every node and service row on
//! every request. novactor reads everything on the first request and then every
//! [`FULL_READ_EVERY`]; in between it reads only the rows written since the previous read
//! started, minus [`READ_MARGIN`] (a write stamps its row before it commits, and another
//! process's clock may be a little behind ours). The result is the same host view as a full
//! read; a row the margin missed is picked up by its next write or the next full read.
//! Service liveness (`service_is_up`) is recomputed against "now" on every request from the
//! cached rows, so a compute that stops reporting goes down on time without any read.
//!
//! Freshness rule (Nova `HostState._update_from_compute_node`): a host state is rebuilt
//! from its row only when the row is not older than the state. Consuming for an instance
//! stamps the state with "now", so what this scheduler placed since the compute's last
//! report is kept until the compute writes its node again. Nova reads `updated_at`;
//! novactor falls back to `created_at` for a row never updated, else a freshly created
//! node would drop every consumption on each request. Service status (enabled, forced
//! down, up) is re-evaluated on every refresh.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rand::Rng;

use super::filters::{self, FilterReport};
use super::host_rows::{HostRows, ReadPlan};
use super::host_state::{row_time, HostState, ServiceStatus};
use super::instance_placement::InstancePlacement;
use super::scheduler_options::SchedulerOptions;
use super::weights;
use crate::db::{service_is_up, ServiceRow};
use crate::objects::{RequestSpec, Selection};

/// Nova `NoValidHost`: no (or too few) hosts fit the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("No valid host was found. {reason}")]
pub struct NoValidHost {
    /// Nova's reason text, e.g. "There are not enough hosts available.".
    pub reason: String,
}

/// Nova `_ensure_sufficient_hosts`' reason.
pub const NOT_ENOUGH_HOSTS: &str = "There are not enough hosts available.";

/// One `select_destinations` request, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectRequest {
    /// What to place.
    pub spec: RequestSpec,
    /// The instances (may be empty: then `spec.num_instances` of them).
    pub instance_uuids: Vec<String>,
    /// Return alternates (up to `max_attempts - 1` per instance).
    pub return_alternates: bool,
    /// Where the instances the spec's hints and group name run.
    pub placement: InstancePlacement,
}

impl SelectRequest {
    /// Instances to place: one per uuid, else `num_instances` (at least one).
    pub fn num_instances(&self) -> usize {
        if self.instance_uuids.is_empty() {
            usize::try_from(self.spec.num_instances.max(1)).unwrap_or(1)
        } else {
            self.instance_uuids.len()
        }
    }
}

/// A full read of both tables at least this often, as a safety net for incremental reads.
pub const FULL_READ_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// How far before the previous read's start an incremental read looks back.
pub const READ_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// Nova `HostManager` without Placement: host states by compute node id, plus the cached
/// `nova-compute` service rows their status comes from.
#[derive(Debug, Clone, Default)]
pub struct HostManager {
    // BTreeMap: iteration in compute node id order, the order equal weights keep.
    hosts: BTreeMap<i64, HostState>,
    services: HashMap<i64, ServiceRow>,
    /// Start of the newest read applied so far.
    last_read: Option<DateTime<Utc>>,
    /// Start of the newest full read applied so far.
    last_full_read: Option<DateTime<Utc>>,
}

fn service_time(row: &ServiceRow) -> Option<DateTime<Utc>> {
    row.updated_at.or(row.created_at)
}

impl HostManager {
    /// No hosts known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Host states, by compute node id.
    pub fn hosts(&self) -> impl Iterator<Item = &HostState> {
        self.hosts.values()
    }

    /// Which rows a request starting at `now` must read (see the module doc).
    pub fn read_plan(&self, now: DateTime<Utc>) -> ReadPlan {
        match (self.last_full_read, self.last_read) {
            (Some(full), Some(last)) if now - full < FULL_READ_EVERY => {
                ReadPlan::ChangedSince(last - READ_MARGIN)
            }
            _ => ReadPlan::Full,
        }
    }

    /// Nova `get_host_states_by_uuids` / `_get_host_states`: bring the states up to date
    /// with rows read from `read_started` on. A node's resources are re-read only if its
    /// row is not older than the state (see the module doc); deleted rows, and after a full
    /// read the rows it no longer returned, are dropped; every node's service status is
    /// re-evaluated against `now`.
    pub fn refresh(
        &mut self,
        rows: HostRows,
        read_started: DateTime<Utc>,
        now: DateTime<Utc>,
        options: &SchedulerOptions,
    ) {
        if rows.plan == ReadPlan::Full {
            // Absent from a full read: gone, unless written after that read started (an
            // incremental read that finished first may have brought it).
            let present: std::collections::HashSet<i64> = rows.nodes.iter().map(|r| r.id).collect();
            self.hosts.retain(|id, h| {
                present.contains(id) || h.updated.is_some_and(|t| t >= read_started)
            });
            let present: std::collections::HashSet<i64> =
                rows.services.iter().map(|r| r.id).collect();
            self.services.retain(|id, s| {
                present.contains(id) || service_time(s).is_some_and(|t| t >= read_started)
            });
            self.last_full_read = self.last_full_read.max(Some(read_started));
        }
        self.last_read = self.last_read.max(Some(read_started));
        for row in rows.services {
            if row.deleted != 0 {
                self.services.remove(&row.id);
                continue;
            }
            let newer_cached = self
                .services
                .get(&row.id)
                .is_some_and(|cached| service_time(cached) > service_time(&row));
            if !newer_cached {
                self.services.insert(row.id, row);
            }
        }
        for row in &rows.nodes {
            if row.deleted != 0 {
                self.hosts.remove(&row.id);
                continue;
            }
            let keep = self.hosts.get(&row.id).is_some_and(|state| {
                state.uuid == row.uuid && is_newer(state.updated, row_time(row))
            });
            if !keep {
                self.hosts.insert(row.id, HostState::from_row(row, options));
            }
        }
        let status: HashMap<&str, ServiceStatus> = self
            .services
            .values()
            .map(|s| {
                (
                    s.host.as_str(),
                    ServiceStatus {
                        disabled: s.disabled,
                        forced_down: s.forced_down,
                        up: service_is_up(s, options.service_down_time, now),
                    },
                )
            })
            .collect();
        for state in self.hosts.values_mut() {
            state.service = status.get(state.host.as_str()).copied();
        }
    }

    /// Filtered and weighed hosts for one more instance of `spec`, best first.
    fn sorted_hosts(
        &self,
        spec: &RequestSpec,
        placement: &InstancePlacement,
    ) -> (Vec<i64>, FilterReport) {
        let (kept, report) = filters::filtered_hosts(self.hosts.values(), spec, placement);
        let sorted = weights::weighed_hosts(kept, spec, placement)
            .into_iter()
            .map(|h| h.compute_node_id)
            .collect();
        (sorted, report)
    }

    /// Nova `_schedule` + `_get_alternate_hosts`: choose a host for each instance,
    /// consuming its resources so the next instance of a multi-create (and the next
    /// request) sees them gone, then add up to `max_attempts - 1` alternates per instance
    /// (never a host chosen for this request). All or nothing: when some instance finds no
    /// host, the consumption of the others is undone (Nova resets those host states so the
    /// next request re-reads them) and the answer is [`NoValidHost`].
    pub fn select(
        &mut self,
        request: &SelectRequest,
        options: &SchedulerOptions,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Result<Vec<Vec<Selection>>, NoValidHost> {
        let wanted = request.num_instances();
        let mut chosen: Vec<i64> = Vec::with_capacity(wanted);
        let mut before: HashMap<i64, HostState> = HashMap::new();
        // Nova updates the spec's instance_uuid and group hosts per instance of a
        // multi-create (not persisted), and adds each placed instance to its host.
        let mut spec = request.spec.clone();
        let mut placement = request.placement.clone();
        for index in 0..wanted {
            if let Some(uuid) = request.instance_uuids.get(index) {
                spec.instance_uuid.clone_from(uuid);
            }
            let (sorted, report) = self.sorted_hosts(&spec, &placement);
            if sorted.is_empty() {
                tracing::info!(
                    instance_uuid = %request.spec.instance_uuid,
                    "Filtering removed all hosts for the request with instance ID '{}'. \
                     Filter results: {report}",
                    request.spec.instance_uuid
                );
                break;
            }
            let subset = options.host_subset_size.clamp(1, sorted.len());
            let id = sorted[rng.random_range(0..subset)];
            if let Some(state) = self.hosts.get_mut(&id) {
                before.entry(id).or_insert_with(|| state.clone());
                state.consume(&request.spec.flavor, now);
                chosen.push(id);
                if let Some(group) = spec.instance_group.as_mut() {
                    group.hosts.push(state.host.clone());
                    placement.place(&state.host, &spec.instance_uuid);
                }
            }
        }
        if chosen.len() < wanted {
            for (id, state) in before {
                self.hosts.insert(id, state);
            }
            return Err(NoValidHost {
                reason: NOT_ENOUGH_HOSTS.to_owned(),
            });
        }
        let alternates = if request.return_alternates {
            options.max_attempts.saturating_sub(1)
        } else {
            0
        };
        let others: Vec<i64> = if alternates > 0 {
            // Re-filter after consumption, as Nova does for multi-create: a host that took
            // one of these instances may no longer fit.
            let (sorted, _) = self.sorted_hosts(&spec, &placement);
            sorted
                .into_iter()
                .filter(|id| !chosen.contains(id))
                .collect()
        } else {
            Vec::new()
        };
        let lists = chosen
            .iter()
            .map(|id| {
                std::iter::once(id)
                    .chain(others.iter().take(alternates))
                    .filter_map(|id| self.hosts.get(id))
                    .map(|state| state.selection(options))
                    .collect()
            })
            .collect();
        Ok(lists)
    }
}

/// True when a state stamped `state` is strictly newer than a row stamped `row` (then
/// the row carries nothing the state lacks).
fn is_newer(state: Option<DateTime<Utc>>, row: Option<DateTime<Utc>>) -> bool {
    matches!((state, row), (Some(s), Some(r)) if s > r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::NovaConfig;
    use crate::db::ComputeNodeRow;
    use crate::scheduler::host_state::tests::{host, spec};
    use rand::SeedableRng;

    fn options() -> SchedulerOptions {
        SchedulerOptions::from_config(&NovaConfig::default_for_tests())
    }

    fn manager(hosts: Vec<HostState>) -> HostManager {
        HostManager {
            hosts: hosts.into_iter().map(|h| (h.compute_node_id, h)).collect(),
            ..HostManager::default()
        }
    }

    fn full(nodes: &[ComputeNodeRow]) -> HostRows {
        HostRows {
            plan: ReadPlan::Full,
            nodes: nodes.to_vec(),
            services: Vec::new(),
        }
    }

    fn request(spec: RequestSpec, n: usize) -> SelectRequest {
        SelectRequest {
            spec,
            instance_uuids: (0..n).map(|i| format!("i-{i}")).collect(),
            return_alternates: true,
            placement: InstancePlacement::default(),
        }
    }

    fn hosts_of(lists: &[Vec<Selection>]) -> Vec<Vec<&str>> {
        lists
            .iter()
            .map(|l| l.iter().map(|s| s.service_host.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_multi_create_spreads_and_alternates_exclude_chosen_hosts() {
        let mut m = manager(vec![
            host(1, "a", 4096, 100, 8),
            host(2, "b", 3072, 100, 8),
            host(3, "c", 2048, 100, 8),
            host(4, "d", 1024, 100, 8),
        ]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let lists = m
            .select(
                &request(spec(1024, 1, 1), 3),
                &options(),
                Utc::now(),
                &mut rng,
            )
            .unwrap();
        // a (4096 free) first; then a and b both have 3072 free and the lower id wins;
        // then b (3072) beats a (2048). Alternates: c and d, never a or b.
        assert_eq!(
            hosts_of(&lists),
            [["a", "c", "d"], ["a", "c", "d"], ["b", "c", "d"]]
        );
        let a = m.hosts().next().unwrap();
        assert_eq!(
            (a.memory_mb_used, a.local_gb_used, a.vcpus_used),
            (2048, 2, 2)
        );
        assert!(a.updated.is_some());
    }

    #[test]
    fn too_few_hosts_undoes_the_consumption_and_is_no_valid_host() {
        let mut m = manager(vec![host(1, "a", 2048, 100, 8)]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let err = m
            .select(
                &request(spec(2048, 1, 1), 2),
                &options(),
                Utc::now(),
                &mut rng,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "No valid host was found. There are not enough hosts available."
        );
        assert_eq!(m.hosts().next().unwrap().memory_mb_used, 0);
    }

    #[test]
    fn consumption_survives_a_refresh_until_the_row_is_newer() {
        let options = options();
        let t0 = Utc::now() - chrono::Duration::seconds(10);
        let row = ComputeNodeRow {
            id: 1,
            uuid: "n1".into(),
            service_id: None,
            host: Some("a".into()),
            hypervisor_hostname: Some("a".into()),
            vcpus: 8,
            memory_mb: 4096,
            local_gb: 100,
            vcpus_used: 0,
            memory_mb_used: 0,
            local_gb_used: 0,
            free_ram_mb: None,
            free_disk_gb: None,
            current_workload: None,
            running_vms: None,
            disk_available_least: None,
            hypervisor_type: "fake".into(),
            hypervisor_version: 1000,
            cpu_info: "{}".into(),
            host_ip: None,
            supported_instances: None,
            metrics: None,
            pci_stats: None,
            extra_resources: None,
            stats: None,
            numa_topology: None,
            cpu_allocation_ratio: None,
            ram_allocation_ratio: Some(0.0),
            disk_allocation_ratio: Some(2.0),
            mapped: 0,
            created_at: Some(t0),
            updated_at: None,
            deleted_at: None,
            deleted: 0,
        };
        let mut m = HostManager::new();
        assert_eq!(m.read_plan(Utc::now()), ReadPlan::Full);
        let started = Utc::now();
        m.refresh(
            full(std::slice::from_ref(&row)),
            started,
            Utc::now(),
            &options,
        );
        assert_eq!(
            m.read_plan(started + chrono::Duration::seconds(5)),
            ReadPlan::ChangedSince(started - READ_MARGIN)
        );
        assert_eq!(
            m.read_plan(started + FULL_READ_EVERY),
            ReadPlan::Full,
            "a full read again every FULL_READ_EVERY"
        );
        let state = m.hosts().next().unwrap();
        assert_eq!(
            state.service, None,
            "no service row: ComputeFilter drops it"
        );
        assert_eq!(
            (
                state.cpu_allocation_ratio,
                state.ram_allocation_ratio,
                state.disk_allocation_ratio
            ),
            (4.0, 1.0, 2.0)
        );
        m.hosts
            .get_mut(&1)
            .unwrap()
            .consume(&spec(1024, 1, 1).flavor, Utc::now());
        m.refresh(
            full(std::slice::from_ref(&row)),
            Utc::now(),
            Utc::now(),
            &options,
        );
        assert_eq!(m.hosts().next().unwrap().memory_mb_used, 1024, "kept");
        let mut reported = row.clone();
        reported.updated_at = Some(Utc::now() + chrono::Duration::seconds(1));
        reported.memory_mb_used = 512;
        let changed = HostRows {
            plan: ReadPlan::ChangedSince(t0),
            nodes: vec![reported.clone()],
            services: Vec::new(),
        };
        m.refresh(changed, Utc::now(), Utc::now(), &options);
        assert_eq!(m.hosts().next().unwrap().memory_mb_used, 512, "row wins");
        let mut deleted = reported;
        deleted.deleted = deleted.id;
        let changed = HostRows {
            plan: ReadPlan::ChangedSince(t0),
            nodes: vec![deleted],
            services: Vec::new(),
        };
        m.refresh(changed, Utc::now(), Utc::now(), &options);
        assert_eq!(m.hosts().count(), 0, "a deleted row drops its node");
        m.refresh(
            full(std::slice::from_ref(&row)),
            Utc::now(),
            Utc::now(),
            &options,
        );
        m.refresh(full(&[]), Utc::now(), Utc::now(), &options);
        assert_eq!(m.hosts().count(), 0, "so does a full read without it");
    }
}
