//! Nova `HostState` (`nova/scheduler/host_manager.py`): one compute node as the scheduler
//! sees it — its resources from the `compute_nodes` row plus what this scheduler consumed
//! since, its service's status, and the figures filters and weighers read (usable RAM,
//! disk, vCPUs under the allocation ratios; the limits a claim re-checks).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::scheduler_options::SchedulerOptions;
use crate::db::ComputeNodeRow;
use crate::objects::{Flavor, Selection};

/// What `ComputeFilter` needs of the host's `nova-compute` service row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Operator disabled it.
    pub disabled: bool,
    /// Operator forced it down.
    pub forced_down: bool,
    /// `service_is_up` at the last refresh.
    pub up: bool,
}

/// Nova `HostState`: one compute node as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostState {
    /// `compute_nodes.id`.
    pub compute_node_id: i64,
    /// The node's uuid (`Selection.compute_node_uuid`).
    pub uuid: String,
    /// Service host (`Selection.service_host`).
    pub host: String,
    /// Hypervisor node name (`Selection.nodename`).
    pub nodename: String,
    /// vCPUs.
    pub vcpus: i64,
    /// vCPUs in use (row + consumed since).
    pub vcpus_used: i64,
    /// RAM MiB.
    pub memory_mb: i64,
    /// RAM MiB in use.
    pub memory_mb_used: i64,
    /// Disk GiB.
    pub local_gb: i64,
    /// Disk GiB in use.
    pub local_gb_used: i64,
    /// vCPU overcommit.
    pub cpu_allocation_ratio: f64,
    /// RAM overcommit.
    pub ram_allocation_ratio: f64,
    /// Disk overcommit.
    pub disk_allocation_ratio: f64,
    /// Newest of the row's timestamp and this scheduler's last consumption.
    pub updated: Option<DateTime<Utc>>,
    /// The host's `nova-compute` service; `None` when it has no row.
    pub service: Option<ServiceStatus>,
}

fn ratio_or(row: Option<f64>, initial: f64) -> f64 {
    // Nova's ComputeNode object reads a NULL or 0.0 ratio as "use the initial_* option".
    row.filter(|r| *r > 0.0).unwrap_or(initial)
}

impl HostState {
    pub(super) fn from_row(row: &ComputeNodeRow, options: &SchedulerOptions) -> Self {
        Self {
            compute_node_id: row.id,
            uuid: row.uuid.clone(),
            host: row.host.clone().unwrap_or_default(),
            nodename: row.hypervisor_hostname.clone().unwrap_or_default(),
            vcpus: row.vcpus,
            vcpus_used: row.vcpus_used,
            memory_mb: row.memory_mb,
            memory_mb_used: row.memory_mb_used,
            local_gb: row.local_gb,
            local_gb_used: row.local_gb_used,
            cpu_allocation_ratio: ratio_or(
                row.cpu_allocation_ratio,
                options.initial_cpu_allocation_ratio,
            ),
            ram_allocation_ratio: ratio_or(
                row.ram_allocation_ratio,
                options.initial_ram_allocation_ratio,
            ),
            disk_allocation_ratio: ratio_or(
                row.disk_allocation_ratio,
                options.initial_disk_allocation_ratio,
            ),
            updated: row_time(row),
            service: None,
        }
    }

    /// `memory_mb - memory_mb_used` (what the RAM weigher weighs).
    pub fn free_ram_mb(&self) -> i64 {
        self.memory_mb.saturating_sub(self.memory_mb_used)
    }

    /// `memory_mb * ram_allocation_ratio` (the `memory_mb` limit).
    pub fn ram_limit_mb(&self) -> f64 {
        self.memory_mb as f64 * self.ram_allocation_ratio
    }

    /// RAM an instance may still take.
    pub fn usable_ram_mb(&self) -> f64 {
        self.ram_limit_mb() - self.memory_mb_used as f64
    }

    /// `local_gb * disk_allocation_ratio` (the `disk_gb` limit).
    pub fn disk_limit_gb(&self) -> f64 {
        self.local_gb as f64 * self.disk_allocation_ratio
    }

    /// Disk an instance may still take.
    pub fn usable_disk_gb(&self) -> f64 {
        self.disk_limit_gb() - self.local_gb_used as f64
    }

    /// `vcpus * cpu_allocation_ratio` (the `vcpu` limit).
    pub fn vcpu_limit(&self) -> f64 {
        self.vcpus as f64 * self.cpu_allocation_ratio
    }

    /// vCPUs an instance may still take.
    pub fn usable_vcpus(&self) -> f64 {
        self.vcpu_limit() - self.vcpus_used as f64
    }

    /// The limits a compute's claim re-checks (Nova `SchedulerLimits`: `memory_mb`,
    /// `disk_gb`, `vcpu`), as the filters compute them. Nova's fields are integers, so the
    /// products are truncated as `IntegerField` coerces them.
    pub fn limits(&self) -> Map<String, Value> {
        let mut limits = Map::new();
        limits.insert("memory_mb".into(), Value::from(self.ram_limit_mb() as i64));
        limits.insert("disk_gb".into(), Value::from(self.disk_limit_gb() as i64));
        limits.insert("vcpu".into(), Value::from(self.vcpu_limit() as i64));
        limits
    }

    /// Nova `HostState.consume_from_request`: count one instance of `flavor` as placed here.
    /// Saturating: flavor and row values come from the wire and may be any i64.
    pub(super) fn consume(&mut self, flavor: &Flavor, now: DateTime<Utc>) {
        self.memory_mb_used = self.memory_mb_used.saturating_add(flavor.memory_mb);
        self.local_gb_used = self.local_gb_used.saturating_add(flavor.disk_gb());
        self.vcpus_used = self.vcpus_used.saturating_add(flavor.vcpus);
        self.updated = Some(now);
    }

    /// Nova `Selection.from_host_state`.
    pub(super) fn selection(&self, options: &SchedulerOptions) -> Selection {
        Selection {
            service_host: self.host.clone(),
            nodename: self.nodename.clone(),
            compute_node_uuid: self.uuid.clone(),
            cell_uuid: None,
            limits: Some(self.limits()),
            availability_zone: Some(options.default_availability_zone.clone()),
        }
    }
}

/// The row's timestamp: `updated_at`, or `created_at` for a row never updated (see
/// `host_manager.rs`, freshness rule).
pub(super) fn row_time(row: &ComputeNodeRow) -> Option<DateTime<Utc>> {
    row.updated_at.or(row.created_at)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::objects::RequestSpec;

    pub(crate) fn host(id: i64, name: &str, ram: i64, disk: i64, vcpus: i64) -> HostState {
        HostState {
            compute_node_id: id,
            uuid: format!("uuid-{id}"),
            host: name.to_owned(),
            nodename: name.to_owned(),
            vcpus,
            vcpus_used: 0,
            memory_mb: ram,
            memory_mb_used: 0,
            local_gb: disk,
            local_gb_used: 0,
            cpu_allocation_ratio: 1.0,
            ram_allocation_ratio: 1.0,
            disk_allocation_ratio: 1.0,
            updated: None,
            service: Some(ServiceStatus {
                disabled: false,
                forced_down: false,
                up: true,
            }),
        }
    }

    pub(crate) fn spec(ram: i64, disk: i64, vcpus: i64) -> RequestSpec {
        RequestSpec {
            instance_uuid: "i-1".into(),
            num_instances: 1,
            flavor: Flavor {
                id: 1,
                flavorid: "1".into(),
                name: "test".into(),
                memory_mb: ram,
                vcpus,
                root_gb: disk,
                ephemeral_gb: 0,
                swap: 0,
                rxtx_factor: 1.0,
                is_public: true,
                disabled: false,
                extra_specs: Map::new(),
            },
            image: Map::new(),
            availability_zone: None,
            ignore_hosts: None,
            requested_destination: None,
            force_hosts: None,
            force_nodes: None,
            project_id: None,
            user_id: None,
            scheduler_hints: Map::new(),
            instance_group: None,
        }
    }
}
