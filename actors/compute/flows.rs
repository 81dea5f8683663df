//! [`ComputeFlows`]: the state one compute incarnation's flows share, and the helpers every
//! flow uses — the guarded `Instance.save` and reading an instance's fields. The flows
//! themselves are `impl ComputeFlows` blocks, one file per family (`instance_build.rs`,
//! `instance_terminate.rs`, `instance_power.rs`, `instance_reboot.rs`, `init_host.rs`,
//! `periodic_tasks.rs`, `instance_shelve.rs`).
//!
//! Every write is an `Instance.save` through the conductor with the `expected_task_state`
//! Nova uses, so a delete that races an operation wins: the flow sees
//! `UnexpectedDeletingTaskStateError` / `InstanceNotFound` and stops quietly. Operations on
//! one instance are serialized by [`InstanceLocks`].

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::conductor_objects::{ConductorObjects, Expected, ObjectCallError};
use super::fake_driver::FakeDriver;
use super::instance_locks::InstanceLocks;
use super::instance_states::task_states;
use super::resource_tracker::ResourceTracker;
use crate::objects::NovaObject;
use crate::rpcapi::{ComputeApi, ComputeTaskApi, SchedulerApi};
use novactor::rpc::RequestContext;

/// Nova's time format on objects: naive UTC with microseconds.
pub(super) fn utc_text(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// `expected_task_state` = the task state `instance` was read with, so a save made on
/// what was read does not overwrite a change made meanwhile (say the API's `deleting`).
pub(super) fn expected_as_read(instance: &NovaObject) -> Expected {
    match instance.get("task_state").as_str() {
        None => Expected::task(None),
        Some(task) => match task_states::ALL.iter().find(|known| **known == task) {
            Some(known) => Expected::task(Some(known)),
            None => Expected::Anything,
        },
    }
}

/// The instance's uuid (empty if it has none; arguments are checked for one).
pub(super) fn uuid_of(instance: &NovaObject) -> String {
    instance.get("uuid").as_str().unwrap_or_default().to_owned()
}

/// A text field of the instance, if set.
pub(super) fn text_of(instance: &NovaObject, field: &str) -> Option<String> {
    instance.get(field).as_str().map(str::to_owned)
}

/// What one compute incarnation works with — its host, driver, tracker, proxies and
/// per-instance locks — and, through the `impl` blocks of its sibling files, the flows
/// that work on instances (Nova's `ComputeManager` methods, minus the RPC face, which is
/// [`ComputeManager`](super::manager::ComputeManager)). Shared (`Arc`) by the futures the
/// handlers, hooks and periodic tasks return, so long operations never hold the actor's
/// mailbox.
#[derive(Debug)]
pub(super) struct ComputeFlows {
    /// `CONF.host`.
    pub(super) host: String,
    /// The virt driver.
    pub(super) driver: FakeDriver,
    /// The resource tracker of the host's node.
    pub(super) tracker: ResourceTracker,
    pub(super) objects: ConductorObjects,
    pub(super) compute_task: ComputeTaskApi,
    pub(super) scheduler: SchedulerApi,
    /// The other computes (a move's next step runs on the other host; a live
    /// migration's calls between source and destination).
    pub(super) compute: ComputeApi,
    pub(super) locks: InstanceLocks,
    /// `[filter_scheduler] track_instance_changes`.
    pub(super) track_instance_changes: bool,
    /// `instance_build_timeout` (0 = off).
    pub(super) instance_build_timeout: Duration,
    /// `reclaim_instance_interval` (0 = no soft delete, nothing to reclaim).
    pub(super) reclaim_instance_interval: Duration,
    /// `shelved_offload_time` seconds (0: offload at shelve, negative: never).
    pub(super) shelved_offload_time: i64,
    /// `allow_resize_to_same_host`.
    pub(super) allow_resize_to_same_host: bool,
    /// `resize_confirm_window` (0 = off).
    pub(super) resize_confirm_window: Duration,
}

/// What [`ComputeFlows::new`] needs.
#[derive(Debug)]
pub(super) struct FlowParts {
    /// `CONF.host`.
    pub(super) host: String,
    /// The driver.
    pub(super) driver: FakeDriver,
    /// Its tracker.
    pub(super) tracker: ResourceTracker,
    /// Object calls through the conductor.
    pub(super) objects: ConductorObjects,
    /// The conductor's `compute_task` API (reschedules).
    pub(super) compute_task: ComputeTaskApi,
    /// The schedulers' instance-info fanouts.
    pub(super) scheduler: SchedulerApi,
    /// The other computes.
    pub(super) compute: ComputeApi,
    /// `[filter_scheduler] track_instance_changes`.
    pub(super) track_instance_changes: bool,
    /// `instance_build_timeout` seconds (0 = off).
    pub(super) instance_build_timeout: Duration,
    /// `reclaim_instance_interval` (0 = off).
    pub(super) reclaim_instance_interval: Duration,
    /// `shelved_offload_time` seconds.
    pub(super) shelved_offload_time: i64,
    /// `allow_resize_to_same_host`.
    pub(super) allow_resize_to_same_host: bool,
    /// `resize_confirm_window` (0 = off).
    pub(super) resize_confirm_window: Duration,
}

impl ComputeFlows {
    /// Assemble an incarnation.
    pub(super) fn new(parts: FlowParts) -> Self {
        Self {
            host: parts.host,
            driver: parts.driver,
            tracker: parts.tracker,
            objects: parts.objects,
            compute_task: parts.compute_task,
            scheduler: parts.scheduler,
            compute: parts.compute,
            locks: InstanceLocks::default(),
            track_instance_changes: parts.track_instance_changes,
            instance_build_timeout: parts.instance_build_timeout,
            reclaim_instance_interval: parts.reclaim_instance_interval,
            shelved_offload_time: parts.shelved_offload_time,
            allow_resize_to_same_host: parts.allow_resize_to_same_host,
            resize_confirm_window: parts.resize_confirm_window,
        }
    }

    /// `Instance.save(expected_task_state=…)`, logged as the state the instance is now in
    /// (target `novactor::compute::instance`, one event per save).
    pub(super) async fn save(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        expected: &Expected,
    ) -> Result<(), ObjectCallError> {
        self.objects.instance_save(ctx, instance, expected).await?;
        tracing::debug!(
            target: "novactor::compute::instance",
            instance = %uuid_of(instance),
            vm_state = instance.get("vm_state").as_str().unwrap_or("None"),
            task_state = instance.get("task_state").as_str().unwrap_or("None"),
            power_state = instance.get("power_state").as_i64().unwrap_or(0),
            "instance saved"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::*;

    #[test]
    fn saves_expect_the_task_state_as_read() {
        let mut instance = NovaObject::new("Instance", "2.8", Map::new());
        assert_eq!(expected_as_read(&instance), Expected::task(None));
        instance.set("task_state", json!("spawning"));
        assert_eq!(
            expected_as_read(&instance),
            Expected::task(Some("spawning"))
        );
        instance.set("task_state", json!("unheard-of"));
        assert_eq!(expected_as_read(&instance), Expected::Anything);
    }
}
