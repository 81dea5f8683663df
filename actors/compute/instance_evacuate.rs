//! Evacuation on the destination (Nova: `ComputeManager.rebuild_instance` with
//! `recreate=True`): under the instance's lock, `rebuild_claim` on this host's tracker, the
//! migration moved to `pre-migrating` with this host as its destination, then the rebuild's
//! own steps ([`ComputeFlows::do_rebuild`]: same image, guest spawned here) with the
//! instance's `host`, `node` and `compute_id` moved here in the last save, and the
//! migration `done`. 2.95's `target_state` ends it STOPPED (an ERROR instance ends ACTIVE,
//! as Nova's `_do_rebuild_instance` ignores the target for it).
//!
//! A claim that does not fit (Nova `ComputeResourcesUnavailable` → `InstanceFaultRollback`)
//! leaves the instance in the state it had, without a task, with a fault; any other failure
//! leaves it in ERROR. Either way the migration is `failed` and the claim given back.

use serde_json::{json, Map, Value};

use super::flows::{uuid_of, ComputeFlows};
use super::instance_rebuild::MovedHere;
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use super::resource_tracker::ClaimError;
use crate::objects::injected_files::InjectedFile;
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

/// The migration status of an evacuation that failed on its destination.
const MIGRATION_FAILED: &str = "failed";

/// What an evacuation brings to its destination besides the instance.
#[derive(Debug, Clone, Default)]
pub(super) struct EvacuationOrder {
    /// The api's `Migration` (status `accepted`), if it made one.
    pub(super) migration: Option<NovaObject>,
    /// The node the scheduler chose (none for a forced host: this host's node).
    pub(super) scheduled_node: Option<String>,
    /// The scheduler's limits.
    pub(super) limits: Map<String, Value>,
    /// 2.95: `stopped`.
    pub(super) target_state: Option<String>,
    /// Before 2.14 the caller's `onSharedStorage` (else none: the driver decides).
    pub(super) on_shared_storage: Option<bool>,
    /// Personality files for the guest spawned here (Nova's evacuate sends none).
    pub(super) injected_files: Vec<InjectedFile>,
}

impl ComputeFlows {
    /// Nova `rebuild_instance` with `recreate` true, on the destination.
    pub(super) async fn evacuate_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        order: EvacuationOrder,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        tracing::info!(instance = %uuid, source = instance.get("host").as_str().unwrap_or("-"), "Evacuating instance");
        let mut migration = order.migration;
        let node = order
            .scheduled_node
            .unwrap_or_else(|| self.tracker.nodename().to_owned());
        let claimed = if node == self.tracker.nodename() {
            self.tracker
                .rebuild_claim(ctx, &instance, &order.limits)
                .await
        } else {
            Err(ClaimError::ResourcesUnavailable(format!(
                "Attempt to claim move resources for instance {uuid} on unknown node {node} failed"
            )))
        };
        let compute_id = match claimed {
            Ok(compute_id) => compute_id,
            Err(error) => {
                let rollback = matches!(error, ClaimError::ResourcesUnavailable(_));
                let failure = RemoteFailure::runtime_error(format!(
                    "Build of instance {uuid} aborted: {error}"
                ));
                self.evacuation_failed(ctx, &instance, migration.as_mut(), rollback, &failure)
                    .await;
                return Err(OperationError::Refused(failure));
            }
        };
        if let Some(migration) = migration.as_mut() {
            // Nova `_claim_existing_migration`.
            migration.set("dest_compute", json!(self.host));
            migration.set("dest_node", json!(node));
            migration.set("dest_compute_id", compute_id.clone());
            migration.set("dest_host", json!(self.tracker.host_ip()));
            migration.set("status", json!("pre-migrating"));
            if let Err(error) = self.objects.migration_save(ctx, migration).await {
                tracing::warn!(instance = %uuid, %error, "could not save the evacuation's migration");
            }
        }
        let vm_state = instance.get("vm_state").as_str().unwrap_or_default();
        let end_stopped = match order.target_state.as_deref() {
            Some(target) if vm_state != vm_states::ERROR => target == vm_states::STOPPED,
            _ => vm_state == vm_states::STOPPED,
        };
        if self.driver.power_state(&uuid) != super::fake_driver::PowerState::NoState {
            // Nova `_check_instance_exists`.
            let failure = RemoteFailure::runtime_error(format!(
                "Instance {uuid} already exists on this host's hypervisor."
            ));
            self.evacuation_failed(ctx, &instance, migration.as_mut(), false, &failure)
                .await;
            return Err(OperationError::Refused(failure));
        }
        if order.on_shared_storage == Some(true) {
            // Nova compares with `driver.instance_on_disk`, which the fake driver's is not.
            let failure = RemoteFailure::runtime_error(
                "Invalid state of instance files on shared storage".to_owned(),
            );
            self.evacuation_failed(ctx, &instance, migration.as_mut(), false, &failure)
                .await;
            return Err(OperationError::Refused(failure));
        }
        let moved = MovedHere { node, compute_id };
        match self
            .do_rebuild(
                ctx,
                &instance,
                end_stopped,
                Some(moved),
                &order.injected_files,
            )
            .await
        {
            Ok(()) => {
                if let Some(migration) = migration.as_mut() {
                    set_status(self, ctx, migration, "done").await;
                }
                // Nova `_update_scheduler_instance_info`: the instance is this host's now.
                if self.track_instance_changes {
                    if let Err(error) = self
                        .scheduler
                        .update_instance_info(ctx, &self.host, vec![instance.to_primitive()])
                        .await
                    {
                        tracing::warn!(instance = %uuid, %error, "update_instance_info fanout failed");
                    }
                }
                Ok(())
            }
            Err(error) => {
                // `do_rebuild` already left the instance's state and fault.
                if let Some(migration) = migration.as_mut() {
                    set_status(self, ctx, migration, MIGRATION_FAILED).await;
                }
                self.tracker.release(ctx, &uuid).await;
                Err(error)
            }
        }
    }

    /// Nova's failure path before the guest was touched: the migration `failed`, the claim
    /// given back, the instance back to its state (`rollback`) or ERROR, without a task,
    /// with a fault.
    async fn evacuation_failed(
        &self,
        ctx: &RequestContext,
        instance: &NovaObject,
        migration: Option<&mut NovaObject>,
        rollback: bool,
        failure: &RemoteFailure,
    ) {
        let uuid = uuid_of(instance);
        tracing::warn!(instance = %uuid, reason = %failure.message, "Could not evacuate the instance to this host");
        if let Some(migration) = migration {
            set_status(self, ctx, migration, MIGRATION_FAILED).await;
        }
        self.tracker.release(ctx, &uuid).await;
        let mut revert = instance.clone();
        revert.changes.clear();
        if rollback {
            revert.set("task_state", Value::Null);
            if let Err(error) = self
                .save(
                    ctx,
                    &mut revert,
                    &super::conductor_objects::Expected::task(Some(task_states::REBUILDING)),
                )
                .await
            {
                tracing::warn!(instance = %uuid, %error, "could not revert the task state");
            }
        } else {
            self.set_error_state(ctx, &mut revert, true).await;
        }
        self.add_fault(ctx, &uuid, &failure.message, "").await;
    }
}

/// `migration.status = status; migration.save()`, logged when it cannot be written.
async fn set_status(
    flows: &ComputeFlows,
    ctx: &RequestContext,
    migration: &mut NovaObject,
    status: &str,
) {
    migration.set("status", json!(status));
    if let Err(error) = flows.objects.migration_save(ctx, migration).await {
        tracing::warn!(%error, status, "could not save the evacuation's migration status");
    }
}
