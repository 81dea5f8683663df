//! The compute's resource tracker (Nova: `nova/compute/resource_tracker.py`): keeps the
//! `compute_nodes` row of its node in step with the driver and the instances placed here,
//! through the conductor only. `update_available_resource` audits (start and periodic);
//! `instance_claim` re-checks the scheduler's limits and takes the usage of a new
//! instance, `rebuild_claim` of an evacuated one; `release` gives it back.
//!
//! Usage is always recomputed as reserved + the sum of the tracked instances, never
//! adjusted by increments, so a lost or repeated message cannot make it drift. One async
//! lock (Nova's `COMPUTE_RESOURCE_SEMAPHORE`) serializes audits, claims and releases; it is
//! held across the conductor calls on purpose, so an audit never misses a claim in flight.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

use super::conductor_objects::{ConductorObjects, Expected, ObjectCallError};
use super::fake_driver::{guest_size, FakeDriver, GuestSize};
use super::node_identity::NodeIdentity;
use super::placement_report::PlacementReport;
use super::servicegroup::ServiceIdCell;
use crate::conf::{AllocationRatio, ComputeConf};
use crate::objects::compute_node::HvSpec;
use crate::objects::{versions, NovaObject, StoredObject};
use novactor::rpc::RequestContext;

/// vm states whose instances no longer use resources (Nova `ALLOW_RESOURCE_REMOVAL`).
const RESOURCES_RELEASED: [&str; 2] = ["deleted", "shelved_offloaded"];

/// Why a claim failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClaimError {
    /// Nova `ComputeResourcesUnavailable`: the host is full; the build may be rescheduled.
    #[error("Insufficient compute resources: {0}.")]
    ResourcesUnavailable(String),
    /// Reading or writing the instance or the node failed.
    #[error(transparent)]
    Object(#[from] ObjectCallError),
}

/// What this host keeps for itself (`reserved_host_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reserved {
    memory_mb: i64,
    disk_gb: i64,
    vcpus: i64,
}

/// Allocation ratios: configured (`*_allocation_ratio`) or the initial ones.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ratio {
    field: &'static str,
    configured: Option<f64>,
    initial: f64,
}

#[derive(Debug, Default)]
pub(super) struct TrackerState {
    /// The node as last read or written; `None` until the first audit (or after a failed
    /// write, so the next one re-reads it).
    pub(super) node: Option<StoredObject>,
    /// Instances whose usage counts, by uuid.
    pub(super) tracked: HashMap<String, GuestSize>,
    /// Usage held for moves into or out of this node, by instance uuid
    /// (`resource_tracker_moves.rs`): what Nova's `_update_usage_from_migrations` counts.
    pub(super) moves: HashMap<String, GuestSize>,
}

/// Nova `ResourceTracker` for the one node of a fake-driver host.
#[derive(Debug)]
pub struct ResourceTracker {
    pub(super) host: String,
    pub(super) nodename: String,
    /// Where the node's uuid is kept across restarts.
    identity: NodeIdentity,
    /// `[DEFAULT] my_ip`, the node's `host_ip`.
    host_ip: String,
    /// The node as a placement resource provider, when `[placement]` is configured.
    placement: Option<PlacementReport>,
    /// The host's service id once its heartbeat has joined (the node's `service_id`).
    service_id: ServiceIdCell,
    driver: FakeDriver,
    pub(super) objects: ConductorObjects,
    reserved: Reserved,
    ratios: [Ratio; 3],
    pub(super) state: Mutex<TrackerState>,
}

/// Set `field` only when its value differs, so `changes` says whether a save is needed
/// (Nova saves the node only if something changed).
fn set_changed(object: &mut NovaObject, field: &str, value: Value) {
    if object.data.get(field) != Some(&value) {
        object.set(field, value);
    }
}

fn int(object: &NovaObject, field: &str) -> i64 {
    object.get(field).as_i64().unwrap_or(0)
}

impl ResourceTracker {
    /// The tracker of `host` (whose node is named after it and keeps its uuid in
    /// `identity`), configured by `conf`.
    pub fn new(
        host: &str,
        identity: NodeIdentity,
        host_ip: &str,
        driver: FakeDriver,
        objects: ConductorObjects,
        conf: &ComputeConf,
    ) -> Self {
        let ratio = |field: &'static str, ratio: AllocationRatio| Ratio {
            field,
            configured: ratio.configured,
            initial: ratio.initial,
        };
        Self {
            host: host.to_owned(),
            nodename: driver
                .get_available_nodes()
                .into_iter()
                .next()
                .unwrap_or_else(|| host.to_owned()),
            identity,
            host_ip: host_ip.to_owned(),
            placement: None,
            service_id: ServiceIdCell::default(),
            driver,
            objects,
            reserved: Reserved {
                memory_mb: conf.reserved_host_memory_mb,
                disk_gb: conf.reserved_host_disk_mb / 1024,
                vcpus: conf.reserved_host_cpus,
            },
            ratios: [
                ratio("cpu_allocation_ratio", conf.cpu_allocation_ratio),
                ratio("ram_allocation_ratio", conf.ram_allocation_ratio),
                ratio("disk_allocation_ratio", conf.disk_allocation_ratio),
            ],
            state: Mutex::new(TrackerState::default()),
        }
    }

    /// Take the node's `service_id` from `cell`, which the heartbeat fills.
    pub fn with_service_id(mut self, cell: ServiceIdCell) -> Self {
        self.service_id = cell;
        self
    }

    /// Report the node to placement through `report` after each audit.
    pub fn with_placement(mut self, report: Option<PlacementReport>) -> Self {
        self.placement = report;
        self
    }

    /// Nova's `_complete_deletion` placement step: the instance's allocations go.
    pub async fn instance_deleted(&self, uuid: &str) {
        if let Some(placement) = &self.placement {
            placement.instance_deleted(uuid).await;
        }
    }

    /// The node this tracker owns (= the host).
    pub fn nodename(&self) -> &str {
        &self.nodename
    }

    /// Nova `update_available_resource`: refresh the node from the driver, get or create
    /// its row, recount the usage of every live instance placed on it, save if changed.
    pub async fn update_available_resource(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        let mut state = self.state.lock().await;
        self.audit(ctx, &mut state).await
    }

    pub(super) async fn audit(
        &self,
        ctx: &RequestContext,
        state: &mut TrackerState,
    ) -> Result<(), ObjectCallError> {
        let instances = self.objects.instances_on_host(ctx, &self.host).await?;
        let mut workload = 0;
        state.tracked = instances
            .iter()
            .filter(|i| {
                let node = i.get("node").as_str();
                node.is_none() || node == Some(self.nodename.as_str())
            })
            .filter(|i| {
                !i.get("vm_state")
                    .as_str()
                    .is_some_and(|s| RESOURCES_RELEASED.contains(&s))
            })
            .filter_map(|i| {
                if i.get("vm_state").as_str() == Some("building") {
                    workload += 1;
                }
                let uuid = i.get("uuid").as_str()?.to_owned();
                Some((uuid, guest_size(&i.data)))
            })
            .collect();
        let moving = self.moves_of(ctx, &instances).await?;
        state
            .tracked
            .retain(|uuid, _| !moving.reverted_here.contains(uuid));
        state.moves = moving.held(&state.tracked);
        // A kept node that does not load (never expected: it is its own output) is read again.
        let (mut node, is_new) = match state.node.take().and_then(|kept| kept.load().ok()) {
            Some(node) => (node, false),
            None => self.load_or_new_node(ctx).await?,
        };
        if node.get("service_id").is_null() {
            if let Some(id) = self.known_service_id() {
                node.set("service_id", json!(id));
            }
        }
        self.copy_resources(&mut node);
        set_changed(&mut node, "current_workload", json!(workload));
        self.apply_usage(&mut node, &state.tracked, &state.moves);
        if is_new {
            tracing::info!(host = %self.host, node = %self.nodename, "Compute node record created");
            self.objects
                .compute_node_write(ctx, &mut node, "create")
                .await?;
        } else if !node.changes.is_empty() {
            self.objects
                .compute_node_write(ctx, &mut node, "save")
                .await?;
        }
        if let Some(placement) = &self.placement {
            placement.node_audited(&node).await;
        }
        state.node = Some(StoredObject::keep(&node));
        Ok(())
    }

    /// The node as registered (by the uuid kept in the identity file), or a new one to
    /// create: Nova's `_get_compute_node` with the `compute_id` rule.
    async fn load_or_new_node(
        &self,
        ctx: &RequestContext,
    ) -> Result<(NovaObject, bool), ObjectCallError> {
        let identity_failed = |e: super::node_identity::NodeIdentityError| {
            ObjectCallError::NodeIdentity(e.to_string())
        };
        let uuid = match self.identity.read().map_err(identity_failed)? {
            Some(uuid) => match self.objects.compute_node_by_uuid(ctx, &uuid).await {
                // Nova's `_check_for_host_rename`: the file names another host's node.
                Ok(node) if node.get("host").as_str() != Some(self.host.as_str()) => {
                    return Err(ObjectCallError::NodeIdentity(format!(
                        "{} names node {uuid} of host {}, not of this host {}",
                        self.identity.path().display(),
                        node.get("host"),
                        self.host
                    )))
                }
                Ok(node) => return Ok((node, false)),
                Err(ObjectCallError::ComputeHostNotFound(_)) => uuid,
                Err(other) => return Err(other),
            },
            None => {
                // No file yet: adopt the node this host already has, else a new uuid.
                let existing = match self
                    .objects
                    .compute_node_get(ctx, &self.host, &self.nodename)
                    .await
                {
                    Ok(node) => Some(node),
                    Err(ObjectCallError::ComputeHostNotFound(_)) => None,
                    Err(other) => return Err(other),
                };
                let adopted = existing
                    .as_ref()
                    .and_then(|node| node.get("uuid").as_str().map(str::to_owned));
                let uuid = adopted.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                self.identity.write(&uuid).map_err(identity_failed)?;
                tracing::info!(host = %self.host, node = %self.nodename, %uuid, path = %self.identity.path().display(), "node identity kept");
                if let Some(node) = existing {
                    return Ok((node, false));
                }
                uuid
            }
        };
        let service_id = self.known_service_id();
        let mut node = NovaObject::new("ComputeNode", versions::COMPUTE_NODE, Map::new());
        node.set("uuid", json!(uuid));
        node.set("service_id", json!(service_id));
        node.set("host", json!(self.host));
        node.set("hypervisor_hostname", json!(self.nodename));
        node.set("host_ip", json!(self.host_ip));
        node.set("numa_topology", Value::Null);
        node.set("stats", json!({}));
        node.set(
            "supported_hv_specs",
            json!([HvSpec {
                arch: "x86_64".into(),
                hv_type: "fake".into(),
                vm_mode: "hvm".into(),
            }
            .to_new_primitive()]),
        );
        Ok((node, true))
    }

    /// This host's service id, once its heartbeat has registered the service (after the
    /// start, D-SVC-3): a node created before has none until the next audit.
    fn known_service_id(&self) -> Option<i64> {
        *self
            .service_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Nova `_copy_resources`: totals and hypervisor facts from the driver, ratios.
    fn copy_resources(&self, node: &mut NovaObject) {
        let r = self.driver.get_available_resource(&self.nodename);
        set_changed(node, "vcpus", json!(r.vcpus));
        set_changed(node, "memory_mb", json!(r.memory_mb));
        set_changed(node, "local_gb", json!(r.local_gb));
        set_changed(node, "hypervisor_type", json!(r.hypervisor_type));
        set_changed(node, "hypervisor_version", json!(r.hypervisor_version));
        set_changed(node, "cpu_info", json!(r.cpu_info));
        set_changed(node, "disk_available_least", json!(r.disk_available_least));
        for ratio in self.ratios {
            let current = node.get(ratio.field).as_f64().filter(|r| *r > 0.0);
            if let Some(value) = ratio.configured.or(current).or(Some(ratio.initial)) {
                set_changed(node, ratio.field, json!(value));
            }
        }
    }

    /// Usage = reserved + tracked instances; free = total − used (may go negative, as Nova).
    fn apply_usage(
        &self,
        node: &mut NovaObject,
        tracked: &HashMap<String, GuestSize>,
        moves: &HashMap<String, GuestSize>,
    ) {
        let mut used = GuestSize {
            vcpus: self.reserved.vcpus,
            memory_mb: self.reserved.memory_mb,
            disk_gb: self.reserved.disk_gb,
        };
        // Saturating: sizes and totals are whatever i64 the rows hold.
        for size in tracked.values().chain(moves.values()) {
            used.vcpus = used.vcpus.saturating_add(size.vcpus);
            used.memory_mb = used.memory_mb.saturating_add(size.memory_mb);
            used.disk_gb = used.disk_gb.saturating_add(size.disk_gb);
        }
        let free_ram = int(node, "memory_mb").saturating_sub(used.memory_mb);
        let free_disk = int(node, "local_gb").saturating_sub(used.disk_gb);
        set_changed(node, "vcpus_used", json!(used.vcpus));
        set_changed(node, "memory_mb_used", json!(used.memory_mb));
        set_changed(node, "local_gb_used", json!(used.disk_gb));
        set_changed(node, "free_ram_mb", json!(free_ram));
        set_changed(node, "free_disk_gb", json!(free_disk));
        set_changed(node, "running_vms", json!(tracked.len()));
    }

    /// Nova `instance_claim`: re-check the limits (the scheduler's, or total × ratio for
    /// any it did not send), place the instance here (`host`, `launched_on`, `node`,
    /// `compute_id`; saved) and count its usage (node saved).
    pub async fn instance_claim(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        limits: &Map<String, Value>,
    ) -> Result<(), ClaimError> {
        let mut state = self.state.lock().await;
        if state.node.is_none() {
            // Nova would hand out a no-op claim; novactor audits first so usage is right.
            self.audit(ctx, &mut state).await?;
        }
        let uuid = instance.get("uuid").as_str().unwrap_or_default().to_owned();
        let size = guest_size(&instance.data);
        let node = state.node.as_ref().and_then(|kept| kept.load().ok());
        let node = node.ok_or_else(|| {
            ObjectCallError::ComputeHostNotFound(format!(
                "Compute host {}/{} could not be found.",
                self.host, self.nodename
            ))
        })?;
        if !state.tracked.contains_key(&uuid) {
            self.test_claim(&node, limits, size)?;
        }
        let node_id = node.get("id").clone();
        instance.set("host", json!(self.host));
        instance.set("launched_on", json!(self.host));
        instance.set("node", json!(self.nodename));
        instance.set("compute_id", node_id);
        self.objects
            .instance_save(ctx, instance, &Expected::Anything)
            .await?;
        state.tracked.insert(uuid, size);
        self.save_usage(ctx, &mut state).await;
        Ok(())
    }

    /// Nova `rebuild_claim` (an evacuation's move claim to this node): re-check the limits
    /// and count the instance's usage here, without moving it yet (the flow moves `host`
    /// and `node` when the guest runs, as Nova's `finish_evacuation`). Returns the node's
    /// id for the instance's `compute_id` and the migration's `dest_compute_id`.
    pub async fn rebuild_claim(
        &self,
        ctx: &RequestContext,
        instance: &NovaObject,
        limits: &Map<String, Value>,
    ) -> Result<Value, ClaimError> {
        let mut state = self.state.lock().await;
        if state.node.is_none() {
            self.audit(ctx, &mut state).await?;
        }
        let uuid = instance.get("uuid").as_str().unwrap_or_default().to_owned();
        let size = guest_size(&instance.data);
        let node = state.node.as_ref().and_then(|kept| kept.load().ok());
        let node = node.ok_or_else(|| {
            ObjectCallError::ComputeHostNotFound(format!(
                "Compute host {}/{} could not be found.",
                self.host, self.nodename
            ))
        })?;
        if !state.tracked.contains_key(&uuid) {
            self.test_claim(&node, limits, size)?;
        }
        state.tracked.insert(uuid, size);
        self.save_usage(ctx, &mut state).await;
        Ok(node.get("id").clone())
    }

    /// `[DEFAULT] my_ip`: a migration's `dest_host`.
    pub fn host_ip(&self) -> &str {
        &self.host_ip
    }

    /// A live migration's end on the destination (Nova
    /// `post_live_migration_at_destination` and the usage update after it): the instance
    /// placed on this node (`host`, `node`, `compute_id`, and `fields`; saved expecting
    /// `expected`) and its usage counted here.
    pub async fn migrated_in(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        expected: &Expected,
    ) -> Result<(), ObjectCallError> {
        let mut state = self.state.lock().await;
        if state.node.is_none() {
            self.audit(ctx, &mut state).await?;
        }
        let node_id = state
            .node
            .as_ref()
            .and_then(|kept| kept.load().ok())
            .map(|node| node.get("id").clone())
            .unwrap_or(Value::Null);
        instance.set("host", json!(self.host));
        instance.set("node", json!(self.nodename));
        instance.set("compute_id", node_id);
        self.objects.instance_save(ctx, instance, expected).await?;
        let uuid = instance.get("uuid").as_str().unwrap_or_default().to_owned();
        state.tracked.insert(uuid, guest_size(&instance.data));
        self.save_usage(ctx, &mut state).await;
        Ok(())
    }

    /// Nova `Claim._test_memory/_test_disk/_test_vcpus`: requested ≤ limit − used.
    pub(super) fn test_claim(
        &self,
        node: &NovaObject,
        limits: &Map<String, Value>,
        size: GuestSize,
    ) -> Result<(), ClaimError> {
        let ratio = |field: &str| node.get(field).as_f64().unwrap_or(1.0);
        let checks = [
            (
                "memory",
                "memory_mb",
                "memory_mb",
                "memory_mb_used",
                "ram_allocation_ratio",
                "MB",
                size.memory_mb,
            ),
            (
                "disk",
                "disk_gb",
                "local_gb",
                "local_gb_used",
                "disk_allocation_ratio",
                "GB",
                size.disk_gb,
            ),
            (
                "vcpu",
                "vcpu",
                "vcpus",
                "vcpus_used",
                "cpu_allocation_ratio",
                "VCPU",
                size.vcpus,
            ),
        ];
        for (kind, limit_key, total, used, ratio_field, unit, requested) in checks {
            let limit = limits
                .get(limit_key)
                .and_then(Value::as_f64)
                .unwrap_or_else(|| int(node, total) as f64 * ratio(ratio_field));
            let free = limit - int(node, used) as f64;
            if requested as f64 > free {
                return Err(ClaimError::ResourcesUnavailable(format!(
                    "Free {kind} {free:.2} {unit} < requested {requested} {unit}"
                )));
            }
        }
        Ok(())
    }

    /// Give back the usage of `uuid` (Nova `abort_instance_claim` / the usage update of
    /// `_complete_deletion`); nothing if it was not tracked.
    pub async fn release(&self, ctx: &RequestContext, uuid: &str) {
        let mut state = self.state.lock().await;
        if state.tracked.remove(uuid).is_some() {
            self.save_usage(ctx, &mut state).await;
        }
    }

    /// Recount usage and save the node; a failed save is logged and left to the next
    /// audit (the usage is recomputed from the instances then).
    pub(super) async fn save_usage(&self, ctx: &RequestContext, state: &mut TrackerState) {
        let TrackerState {
            node,
            tracked,
            moves,
        } = state;
        let Some(mut current) = node.take().and_then(|kept| kept.load().ok()) else {
            return;
        };
        self.apply_usage(&mut current, tracked, moves);
        if current.changes.is_empty() {
            *node = Some(StoredObject::keep(&current));
            return;
        }
        match self
            .objects
            .compute_node_write(ctx, &mut current, "save")
            .await
        {
            Ok(()) => *node = Some(StoredObject::keep(&current)),
            Err(error) => {
                tracing::warn!(host = %self.host, %error, "could not save compute node usage; the next audit will");
            }
        }
    }

    /// Uuids whose usage this node counts.
    pub async fn tracked_instances(&self) -> Vec<String> {
        self.state.lock().await.tracked.keys().cloned().collect()
    }
}
