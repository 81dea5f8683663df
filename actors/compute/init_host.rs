//! `init_host`'s settling pass (Nova: `ComputeManager.init_host` →
//! `_destroy_evacuated_instances` (`evacuated_cleanup.rs`), then `_init_instance` per
//! instance): before the actor serves, each instance of this host a killed compute left
//! mid-operation is settled as [`init_instance_action`] decides — through the flows of
//! the sibling files (terminate, stop, start, reboot) or a single guarded save.

use serde_json::{json, Value};

use super::conductor_objects::ObjectCallError;
use super::fake_driver::PowerState;
use super::flows::{expected_as_read, text_of, uuid_of, ComputeFlows};
use super::init_instance_action::{init_instance_action, InitAction};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

impl ComputeFlows {
    /// Nova `ComputeManager.init_host`'s pass over this host's instances (`_init_instance`
    /// each): settle what a killed compute left mid-operation, before the actor serves
    /// (the supervisor starts the RPC consumers after `init_host` and `pre_start_hook`).
    /// The rules are [`init_instance_action`]'s.
    ///
    /// Each instance is handled on its own: a failure is logged with its uuid and the pass
    /// goes on (Nova catches and logs per instance); an instance deleted meanwhile is
    /// skipped. Only the listing failing fails the pass (and so the start: the supervisor
    /// retries it), as Nova's `init_host` raises when `InstanceList.get_by_host` does.
    ///
    /// Guests the fake driver lost: its guests live in memory ([`super::fake_driver`]),
    /// so after a process restart the hypervisor has none (after an actor restart within
    /// the process they are still there). Nova's `nova/virt/fake.py` is in-memory too, and
    /// Nova's `_init_instance` then sees `NOSTATE`: interrupted operations are settled as
    /// above (a retried reboot or start is a hard one, which redefines the guest; a retried
    /// stop finds it already off), and an idle ACTIVE instance is left as it is — Nova's
    /// `resume_guests_state_on_host_boot` is off by default and the fake driver's
    /// `resume_state_on_host_boot` does nothing. The `_sync_power_states` periodic then
    /// records `power_state` NOSTATE and only logs ("Instance is not found on the
    /// hypervisor"), as Nova's does ("Instance is unexpectedly not found. Ignore."); a hard
    /// reboot, or a stop and a start, brings the guest back.
    pub(super) async fn init_host(&self, ctx: &RequestContext) -> Result<(), ObjectCallError> {
        let evacuated = self.destroy_evacuated_instances(ctx).await?;
        if evacuated > 0 {
            tracing::info!(host = %self.host, evacuated, "init_host: instances evacuated away from this host cleaned up");
        }
        let instances = self.objects.instances_on_host(ctx, &self.host).await?;
        let mut settled = 0usize;
        let mut failed = 0usize;
        for instance in instances {
            let uuid = uuid_of(&instance);
            match self.init_instance(ctx, instance).await {
                Ok(true) => settled += 1,
                Ok(false) => {}
                Err(error) => {
                    failed += 1;
                    tracing::error!(instance = %uuid, failure = %error.to_failure(), "init_host: could not settle the instance; going on with the others");
                }
            }
        }
        tracing::info!(host = %self.host, settled, failed, "init_host: instances of this host checked");
        Ok(())
    }

    /// Nova `_init_instance` for one instance; `Ok(true)` when it acted.
    async fn init_instance(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<bool, OperationError> {
        let uuid = uuid_of(&instance);
        let vm_state = text_of(&instance, "vm_state");
        let task_state = text_of(&instance, "task_state");
        let power = self.driver.power_state(&uuid);
        let action = init_instance_action(
            &self.host,
            text_of(&instance, "host").as_deref(),
            vm_state.as_deref(),
            task_state.as_deref(),
            power,
        );
        let vm = vm_state.as_deref().unwrap_or("None");
        let task = task_state.as_deref().unwrap_or("None");
        let outcome = match action {
            InitAction::Leave => {
                if vm_state.as_deref() == Some(vm_states::ACTIVE)
                    && task_state.is_none()
                    && power == PowerState::NoState
                {
                    tracing::info!(instance = %uuid, "Instance's guest is not on the hypervisor (the fake driver lost it with the previous process); leaving it ACTIVE, a hard reboot re-creates it");
                }
                return Ok(false);
            }
            InitAction::FailBuild => {
                tracing::warn!(instance = %uuid, vm_state = vm, task_state = task, "Instance failed to spawn correctly, setting to ERROR state");
                self.settle(ctx, &mut instance, Some(vm_states::ERROR))
                    .await
            }
            InitAction::FinishDelete => {
                tracing::info!(instance = %uuid, "Service started deleting the instance during the previous run, but did not finish. Restarting the deletion now.");
                self.terminate_instance(ctx, instance).await
            }
            InitAction::CompletePartialDeletion => {
                tracing::info!(instance = %uuid, "Instance is deleted but its row is not: completing the deletion");
                self.complete_partial_deletion(ctx, instance).await
            }
            InitAction::RetryReboot { hard } => {
                tracing::info!(instance = %uuid, task_state = task, power_state = power.code(), hard, "Instance in transitional state at start-up, triggering reboot");
                self.retry_reboot(ctx, instance, hard).await
            }
            InitAction::FinishReboot => {
                tracing::warn!(instance = %uuid, task_state = task, power_state = power.code(), "Instance in transitional state at start-up and its guest is running, clearing task state");
                self.settle(ctx, &mut instance, Some(vm_states::ACTIVE))
                    .await
            }
            InitAction::ClearTask => {
                tracing::warn!(instance = %uuid, vm_state = vm, task_state = task, "Instance in transitional state at start-up, clearing task state");
                self.settle(ctx, &mut instance, None).await
            }
            InitAction::RetryUnpause => {
                tracing::warn!(instance = %uuid, "Instance in transitional state unpausing at start-up and its guest is paused, unpausing the instance");
                self.unpause_instance(ctx, instance).await
            }
            InitAction::RetryStop => {
                tracing::info!(instance = %uuid, "Instance in transitional state powering-off at start-up, retrying stop request");
                self.stop_instance(ctx, instance).await
            }
            InitAction::ResetLiveMigration => {
                tracing::info!(instance = %uuid, "Instance found in migrating state during startup. Resetting task_state");
                self.reset_live_migration(ctx, &mut instance).await
            }
            InitAction::RetryStart => {
                tracing::info!(instance = %uuid, "Instance in transitional state powering-on at start-up, retrying start request");
                self.start_instance(ctx, instance).await
            }
        };
        match outcome {
            Err(error) if error.instance_not_found() => {
                tracing::info!(instance = %uuid, "Instance disappeared during init_host");
                Ok(true)
            }
            other => other.map(|()| true),
        }
    }

    /// Clear the task state (and set `vm_state`, if given) under the instance's lock,
    /// expecting the task state as read. A change made meanwhile (the API's delete) or a
    /// vanished instance wins: logged, not a failure.
    async fn settle(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
        vm_state: Option<&'static str>,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        let _lock = self.locks.lock(&uuid).await;
        let expected = expected_as_read(instance);
        if let Some(vm_state) = vm_state {
            instance.set("vm_state", json!(vm_state));
        }
        instance.set("task_state", Value::Null);
        match self.save(ctx, instance, &expected).await {
            Ok(()) => Ok(()),
            Err(
                error @ (ObjectCallError::UnexpectedTaskState(_)
                | ObjectCallError::Deleting(_)
                | ObjectCallError::InstanceNotFound(_)),
            ) => {
                tracing::info!(instance = %uuid, %error, "Instance changed meanwhile; leaving it to what changed it");
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Nova `_complete_partial_deletion`: soft-delete the row, then `_complete_deletion`.
    async fn complete_partial_deletion(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        match self.objects.instance_destroy(ctx, &mut instance).await {
            Ok(()) | Err(ObjectCallError::InstanceNotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
        self.complete_deletion(ctx, &uuid).await;
        tracing::info!(instance = %uuid, "Instance destroyed");
        Ok(())
    }

    /// `_init_instance`'s reboot retry: a soft task state becomes `reboot_pending_hard`
    /// when the retry is hard (Nova's "we've just become a hard reboot"), then the reboot
    /// flow runs.
    async fn retry_reboot(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
        hard: bool,
    ) -> Result<(), OperationError> {
        let soft_task = instance
            .get("task_state")
            .as_str()
            .is_some_and(|task| task_states::SOFT_REBOOT_STATES.contains(&task));
        if hard && soft_task {
            let uuid = uuid_of(&instance);
            let expected = expected_as_read(&instance);
            instance.set("task_state", json!(task_states::REBOOT_PENDING_HARD));
            let _lock = self.locks.lock(&uuid).await;
            if let Err(error) = self.save(ctx, &mut instance, &expected).await {
                if matches!(error, ObjectCallError::UnexpectedTaskState(_))
                    || error.instance_disappeared()
                {
                    tracing::info!(instance = %uuid, %error, "Instance changed meanwhile; not retrying its reboot");
                    return Ok(());
                }
                return Err(error.into());
            }
        }
        self.reboot_instance(ctx, instance, if hard { "HARD" } else { "SOFT" })
            .await
    }
}
