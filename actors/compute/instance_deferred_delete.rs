//! Soft delete, restore and reclaim (Nova: `ComputeManager.soft_delete_instance`,
//! `restore_instance`, `_reclaim_queued_deletes`, `_deleted_old_enough`). The fake driver
//! has no soft delete of its own, so, as Nova does for such a driver (libvirt), the guest
//! is powered off and a restore powers it on; each is one transition guarded by the task
//! state the API set, reverted on failure (`@reverts_task_state`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::conductor_objects::{Expected, ObjectCallError};
use super::flows::{uuid_of, ComputeFlows};
use super::instance_pause::{unchanged, OnDriverFailure, Transition};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use super::periodic_tasks::parse_time;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// Nova `_deleted_old_enough`: soft-deleted longer than `interval` ago, or with no
/// `deleted_at` at all.
pub(super) fn deleted_old_enough(
    deleted_at: Option<&str>,
    now: DateTime<Utc>,
    interval: Duration,
) -> bool {
    let Some(deleted_at) = deleted_at.and_then(parse_time) else {
        return true;
    };
    chrono::Duration::from_std(interval).is_ok_and(|interval| now - deleted_at > interval)
}

impl ComputeFlows {
    /// Nova `soft_delete_instance`: the guest powered off, SOFT_DELETED.
    pub(super) async fn soft_delete_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Soft deleting");
        let transition = Transition {
            driver: &|uuid| self.driver.power_off(uuid),
            vm_state: vm_states::SOFT_DELETED,
            expected: task_states::SOFT_DELETING,
            on_failure: OnDriverFailure::RevertTask,
        };
        self.transition(ctx, instance, transition, unchanged).await
    }

    /// Nova `restore_instance`: the guest powered on, ACTIVE.
    pub(super) async fn restore_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        tracing::info!(instance = %uuid_of(&instance), "Restoring");
        let transition = Transition {
            driver: &|uuid| self.driver.power_on(uuid),
            vm_state: vm_states::ACTIVE,
            expected: task_states::RESTORING,
            on_failure: OnDriverFailure::RevertTask,
        };
        self.transition(ctx, instance, transition, unchanged).await
    }

    /// Nova `_reclaim_queued_deletes`: this host's SOFT_DELETED instances without a task,
    /// soft-deleted longer than `reclaim_instance_interval` ago, are deleted. Each is first
    /// claimed with task state `deleting` expecting none, so a restore that started since
    /// the list was read wins (Nova's periodic deletes without that guard).
    pub(super) async fn reclaim_queued_deletes(
        &self,
        ctx: &RequestContext,
    ) -> Result<(), ObjectCallError> {
        if self.reclaim_instance_interval.is_zero() {
            tracing::debug!("CONF.reclaim_instance_interval <= 0, skipping...");
            return Ok(());
        }
        let now = Utc::now();
        for mut instance in self.objects.instances_on_host(ctx, &self.host).await? {
            let queued = instance.get("vm_state").as_str() == Some(vm_states::SOFT_DELETED)
                && instance.get("task_state").is_null();
            if !queued
                || !deleted_old_enough(
                    instance.get("deleted_at").as_str(),
                    now,
                    self.reclaim_instance_interval,
                )
            {
                continue;
            }
            let uuid = uuid_of(&instance);
            instance.set("task_state", json!(task_states::DELETING));
            if let Err(error) = self.save(ctx, &mut instance, &Expected::task(None)).await {
                tracing::info!(instance = %uuid, %error, "reclaim lost a race; skip");
                continue;
            }
            tracing::info!(instance = %uuid, "Reclaiming deleted instance");
            if let Err(error) = self.terminate_instance(ctx, instance).await {
                tracing::warn!(instance = %uuid, failure = %error.to_failure(), "Periodic reclaim failed to delete instance");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_enough_follows_deleted_at() {
        let now = parse_time("2024-05-01T12:00:00Z").unwrap();
        let interval = Duration::from_secs(60);
        assert!(deleted_old_enough(
            Some("2024-05-01T11:58:00Z"),
            now,
            interval
        ));
        assert!(!deleted_old_enough(
            Some("2024-05-01T11:59:30.000000"),
            now,
            interval
        ));
        assert!(deleted_old_enough(None, now, interval));
    }
}
