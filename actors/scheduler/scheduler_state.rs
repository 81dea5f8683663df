//! [`SchedulerState`]: the scheduler's in-memory state — host states with their
//! consumption and the per-host instance view — shared by every worker and incarnation of
//! one definition, behind one lock that is never held across an `await` (see `mod.rs`,
//! "Why concurrent requests never double-book").

use std::sync::{Arc, Mutex, MutexGuard};

use super::host_manager::HostManager;
use super::instance_info::{HostInstances, InstanceInfo};

/// What the lock guards.
#[derive(Debug, Default)]
pub(super) struct SchedulerInner {
    /// Host states and their consumption.
    pub(super) hosts: HostManager,
    /// The per-host instance view.
    pub(super) instance_info: InstanceInfo,
}

/// The scheduler's in-memory state: host states with their consumption and the per-host
/// instance view, shared by the workers of one definition (see the module doc). Cheap to
/// clone; clones share.
#[derive(Debug, Clone, Default)]
pub struct SchedulerState {
    inner: Arc<Mutex<SchedulerInner>>,
}

impl SchedulerState {
    /// Empty: hosts are read on the first request, instance lists on the first fanout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lock, recovering from a panic of an earlier holder by starting over empty.
    pub(super) fn lock(&self) -> MutexGuard<'_, SchedulerInner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                self.inner.clear_poison();
                let mut guard = poisoned.into_inner();
                *guard = SchedulerInner::default();
                tracing::warn!("scheduler state was poisoned by a panic; rebuilt from scratch");
                guard
            }
        }
    }

    /// The instance uuids the scheduler believes `host_name` runs (`None`: not known yet).
    pub fn host_instances(&self, host_name: &str) -> Option<HostInstances> {
        self.lock().instance_info.host(host_name).cloned()
    }

    /// How often a host's instance list was rebuilt from the database.
    pub fn instance_info_recreated(&self) -> u64 {
        self.lock().instance_info.recreated()
    }

    /// How many `sync_instance_info` calls disagreed with the view.
    pub fn sync_mismatches(&self) -> u64 {
        self.lock().instance_info.sync_mismatches()
    }

    /// Compute nodes known after the last request.
    pub fn host_count(&self) -> usize {
        self.lock().hosts.hosts().count()
    }
}
