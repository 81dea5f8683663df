//! The end of a resize or cold migration (Nova: `ComputeManager.confirm_resize` on the
//! source, `revert_resize` on the destination then `finish_revert_resize` on the source):
//!
//! - confirm: the source's guest destroyed (`confirm_migration`), migration `confirmed`
//!   and the old flavor's usage dropped here (`drop_move_claim_at_source`), the stashed
//!   flavors cleared, vm state `active` (or `stopped` for a guest that is off).
//! - revert: the destination's guest destroyed, migration `reverted` and the new flavor's
//!   usage dropped there (`drop_move_claim_at_dest`); then on the source the old flavor,
//!   host and node back (`_revert_instance_flavor_host_node`), the guest started again
//!   (`finish_revert_migration`, unless it was stopped), vm state back.
//!
//! On one host (`allow_resize_to_same_host`) the guest is the same: nothing is destroyed,
//! it is resized back on a revert.

use chrono::Utc;
use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::fake_driver::{guest_size, PowerState};
use super::flows::{text_of, utc_text, uuid_of, ComputeFlows};
use super::instance_resize::{set_instance_info, set_system_metadata};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use crate::objects::NovaObject;
use crate::rpcapi::compute_resize::FinishRevertResize;
use novactor::rpc::{RemoteFailure, RequestContext};

/// The source and destination of a move are one host.
fn same_host(migration: &NovaObject) -> bool {
    migration.get("source_compute") == migration.get("dest_compute")
}

impl ComputeFlows {
    /// Nova `confirm_resize` on this (source) host.
    pub(super) async fn confirm_resize(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        mut migration: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        if migration.get("status").as_str() == Some("confirmed") {
            tracing::info!(instance = %uuid, "Migration is already confirmed");
            return Ok(());
        }
        let outcome = self.confirm_locked(ctx, &uuid, &mut migration).await;
        if let Err(error) = &outcome {
            self.move_failed(ctx, &uuid, &mut migration, error, true)
                .await;
        }
        self.reaudit(ctx).await;
        outcome
    }

    async fn confirm_locked(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &mut NovaObject,
    ) -> Result<(), OperationError> {
        let mut working = self.objects.instance_for_move(ctx, uuid).await?;
        if !same_host(migration) {
            // The fake's `confirm_migration`: the source's copy goes.
            self.driver.destroy(uuid);
        }
        migration.set("status", json!("confirmed"));
        self.objects.migration_save(ctx, migration).await?;
        working.set("old_flavor", Value::Null);
        working.set("new_flavor", Value::Null);
        set_system_metadata(&mut working, "old_vm_state", None);
        let off = working.get("power_state").as_i64() == Some(PowerState::Shutdown.code());
        let vm_state = if off {
            vm_states::STOPPED
        } else {
            vm_states::ACTIVE
        };
        working.set("vm_state", json!(vm_state));
        working.set("task_state", Value::Null);
        let expected = Expected::TaskState(vec![
            None,
            Some(task_states::DELETING),
            Some(task_states::SOFT_DELETING),
        ]);
        self.save(ctx, &mut working, &expected).await?;
        Ok(())
    }

    /// Nova `revert_resize` on this (destination) host.
    pub(super) async fn revert_resize(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        mut migration: NovaObject,
        request_spec: Option<Value>,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        if !same_host(&migration) {
            self.driver.destroy(&uuid);
        }
        migration.set("status", json!("reverted"));
        let saved = self.objects.migration_save(ctx, &mut migration).await;
        // `drop_move_claim_at_dest`: the audit no longer counts the new flavor here.
        self.reaudit(ctx).await;
        let source = text_of(&migration, "source_compute").unwrap_or_default();
        let sent = match saved {
            Err(error) => Err(OperationError::from(error)),
            Ok(()) => {
                let args = FinishRevertResize {
                    instance: instance.to_primitive(),
                    migration: migration.to_primitive(),
                    request_spec,
                };
                self.compute
                    .finish_revert_resize(ctx, &source, args)
                    .await
                    .map_err(|error| {
                        OperationError::Refused(RemoteFailure::runtime_error(format!(
                            "could not send finish_revert_resize to {source}: {error}"
                        )))
                    })
            }
        };
        if let Err(error) = &sent {
            self.move_failed(ctx, &uuid, &mut migration, error, true)
                .await;
        }
        sent
    }

    /// Nova `finish_revert_resize` on this (source) host.
    pub(super) async fn finish_revert_resize(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        mut migration: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let outcome = self.finish_revert_locked(ctx, &uuid, &migration).await;
        if let Err(error) = &outcome {
            self.move_failed(ctx, &uuid, &mut migration, error, true)
                .await;
        }
        self.reaudit(ctx).await;
        outcome
    }

    async fn finish_revert_locked(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &NovaObject,
    ) -> Result<(), OperationError> {
        let mut working = self.objects.instance_for_move(ctx, uuid).await?;
        let old_vm_state = working
            .get("system_metadata")
            .get("old_vm_state")
            .and_then(Value::as_str)
            .unwrap_or(vm_states::ACTIVE)
            .to_owned();
        // `_revert_instance_flavor_host_node`.
        let old_flavor = working.get("old_flavor").clone();
        if !old_flavor.is_null() {
            set_instance_info(&mut working, &old_flavor);
        }
        working.set("host", json!(self.host));
        working.set("node", json!(self.tracker.nodename()));
        working.set("compute_id", json!(self.tracker.node_id().await));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_REVERTING)),
        )
        .await?;
        // The fake's `finish_revert_migration`: the source's guest runs again (on one
        // host, the guest is sized back).
        let power_on = old_vm_state != vm_states::STOPPED;
        if same_host(migration) {
            let name = text_of(&working, "display_name").unwrap_or_default();
            let files = self.driver.guest_files(uuid);
            self.driver
                .spawn(uuid, &name, guest_size(&working.data), files)
                .await?;
            if !power_on {
                self.driver.power_off(uuid)?;
            }
        } else if power_on {
            self.driver.power_on(uuid)?;
        }
        working.set("launched_at", json!(utc_text(Utc::now())));
        working.set("power_state", json!(self.driver.power_state(uuid).code()));
        working.set(
            "vm_state",
            json!(if power_on {
                vm_states::ACTIVE
            } else {
                vm_states::STOPPED
            }),
        );
        working.set("task_state", Value::Null);
        // `_delete_stashed_flavor_info`, saved with the state.
        working.set("old_flavor", Value::Null);
        working.set("new_flavor", Value::Null);
        set_system_metadata(&mut working, "old_vm_state", None);
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_REVERTING)),
        )
        .await?;
        Ok(())
    }
}
