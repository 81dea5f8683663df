//! Resize and cold migration up to VERIFY_RESIZE (Nova: `ComputeManager.prep_resize`
//! on the destination, `resize_instance` on the source, `finish_resize` on the
//! destination):
//!
//! 1. `prep_resize` (destination): the new flavor stashed (`new_flavor`) with the old vm
//!    state (`system_metadata.old_vm_state`), a move claim for the new flavor in this
//!    node's tracker, the migration's destination filled in; `resize_instance` cast to
//!    the source.
//! 2. `resize_instance` (source): migration `migrating`, task `resize_migrating`, the
//!    guest powered off (the fake's `migrate_disk_and_power_off`), migration
//!    `post-migrating`, the instance's host and node moved to the destination with task
//!    `resize_migrated`; `finish_resize` cast to the destination.
//! 3. `finish_resize` (destination): the old flavor kept (`old_flavor`), the new one
//!    applied (`_set_instance_info`), task `resize_finish`, the guest started here
//!    (`finish_migration`; left off when the server was STOPPED), migration `finished`,
//!    vm state `resized` (VERIFY_RESIZE).
//!
//! A failure after the claim puts the migration in `error` (Nova's
//! `@errors_out_migration`) and the instance in ERROR with a fault; a failed
//! `prep_resize` gives the claim back and hands the move to the conductor for the next
//! alternate (`instance_resize_reschedule.rs`), or, with none, leaves the instance as it
//! was.

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::conductor_objects::Expected;
use super::fake_driver::{guest_size, PowerState};
use super::flows::{text_of, utc_text, uuid_of, ComputeFlows};
use super::instance_states::{task_states, vm_states};
use super::operation_failure::OperationError;
use super::resource_tracker::ClaimError;
use crate::objects::NovaObject;
use crate::rpcapi::compute_resize::{FinishResize, ResizeInstance};
use novactor::rpc::{RemoteFailure, RequestContext};

/// What `prep_resize` was asked (decoded by the handler).
#[derive(Debug, Clone)]
pub(super) struct PrepRequest {
    /// The new `Flavor` primitive.
    pub(super) flavor: Value,
    /// The `Migration` record.
    pub(super) migration: NovaObject,
    /// The scheduler's limits for this node.
    pub(super) limits: Map<String, Value>,
    /// The `RequestSpec` primitive, passed on.
    pub(super) request_spec: Option<Value>,
    /// `filter_properties`: with `retry`, a failure here is rescheduled.
    pub(super) filter_properties: Map<String, Value>,
    /// The alternates left for a reschedule.
    pub(super) host_list: Vec<Value>,
}

/// Nova `UnableToMigrateToSelf`.
fn unable_to_migrate_to_self(uuid: &str, host: &str) -> OperationError {
    OperationError::Refused(RemoteFailure::new(
        "nova.exception",
        "UnableToMigrateToSelf",
        format!("Unable to migrate instance ({uuid}) to current host ({host})."),
    ))
}

/// The instance's flavor-derived columns and flavor set to `flavor` (Nova
/// `_set_instance_info`).
pub(super) fn set_instance_info(instance: &mut NovaObject, flavor: &Value) {
    let data = flavor
        .get("nova_object.data")
        .cloned()
        .unwrap_or_else(|| flavor.clone());
    for (column, field) in [
        ("instance_type_id", "id"),
        ("memory_mb", "memory_mb"),
        ("vcpus", "vcpus"),
        ("root_gb", "root_gb"),
        ("ephemeral_gb", "ephemeral_gb"),
        ("swap", "swap"),
    ] {
        if let Some(value) = data.get(field) {
            instance.set(column, value.clone());
        }
    }
    instance.set("flavor", flavor.clone());
}

/// The instance's `system_metadata` with `key` set to `value` (or removed for `None`).
pub(super) fn set_system_metadata(instance: &mut NovaObject, key: &str, value: Option<&str>) {
    let mut metadata = instance
        .get("system_metadata")
        .as_object()
        .cloned()
        .unwrap_or_default();
    match value {
        Some(value) => metadata.insert(key.to_owned(), json!(value)),
        None => metadata.remove(key),
    };
    instance.set("system_metadata", Value::Object(metadata));
}

impl ComputeFlows {
    /// Nova `prep_resize` on this (destination) host.
    pub(super) async fn prep_resize(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        request: PrepRequest,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let mut migration = request.migration.clone();
        let outcome = self
            .prep_resize_locked(ctx, &uuid, &mut migration, &request.flavor, &request.limits)
            .await;
        let working = match outcome {
            Ok(working) => working,
            Err(error) => {
                // The audit gives the claim back; then the next alternate, else
                // `@reverts_task_state` and the migration to error.
                self.reaudit(ctx).await;
                if self.reschedule_resize(ctx, &uuid, &request, &error).await {
                    return Ok(());
                }
                self.move_failed(ctx, &uuid, &mut migration, &error, false)
                    .await;
                return Err(error);
            }
        };
        let source = text_of(&working, "host").unwrap_or_default();
        tracing::info!(instance = %uuid, %source, "Migrating");
        let args = ResizeInstance {
            instance: working.to_primitive(),
            migration: migration.to_primitive(),
            image: Some(json!({})),
            flavor: Some(request.flavor),
            clean_shutdown: Some(true),
            request_spec: request.request_spec,
        };
        if let Err(error) = self.compute.resize_instance(ctx, &source, args).await {
            let error = OperationError::Refused(RemoteFailure::runtime_error(format!(
                "could not send resize_instance to {source}: {error}"
            )));
            self.move_failed(ctx, &uuid, &mut migration, &error, false)
                .await;
            self.reaudit(ctx).await;
            return Err(error);
        }
        Ok(())
    }

    async fn prep_resize_locked(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &mut NovaObject,
        flavor: &Value,
        limits: &Map<String, Value>,
    ) -> Result<NovaObject, OperationError> {
        let mut working = self.objects.instance_for_move(ctx, uuid).await?;
        let same_host = text_of(&working, "host").as_deref() == Some(self.host.as_str());
        if same_host && !self.allow_resize_to_same_host {
            return Err(unable_to_migrate_to_self(uuid, &self.host));
        }
        let vm_state = text_of(&working, "vm_state").unwrap_or_else(|| vm_states::ACTIVE.into());
        working.set("new_flavor", flavor.clone());
        set_system_metadata(&mut working, "old_vm_state", Some(&vm_state));
        self.save(ctx, &mut working, &Expected::Anything).await?;
        let mut sized = Map::new();
        sized.insert("flavor".into(), flavor.clone());
        let node_id = self
            .tracker
            .resize_claim(ctx, uuid, guest_size(&sized), limits)
            .await
            .map_err(|error| match error {
                ClaimError::Object(object) => OperationError::Object(object),
                resources @ ClaimError::ResourcesUnavailable(_) => {
                    OperationError::Refused(RemoteFailure::new(
                        "nova.exception",
                        "ComputeResourcesUnavailable",
                        resources.to_string(),
                    ))
                }
            })?;
        migration.set("dest_compute", json!(self.host));
        migration.set("dest_node", json!(self.tracker.nodename()));
        migration.set("dest_compute_id", json!(node_id));
        migration.set("dest_host", json!(self.host));
        migration.set("status", json!("pre-migrating"));
        self.objects.migration_save(ctx, migration).await?;
        Ok(working)
    }

    /// Nova `resize_instance` on this (source) host.
    pub(super) async fn resize_instance(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        mut migration: NovaObject,
        request_spec: Option<Value>,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let outcome = self
            .resize_instance_locked(ctx, &uuid, &mut migration)
            .await;
        let working = match outcome {
            Ok(working) => working,
            Err(error) => {
                self.move_failed(ctx, &uuid, &mut migration, &error, true)
                    .await;
                return Err(error);
            }
        };
        // The instance left: this node now holds its old flavor for a revert.
        self.reaudit(ctx).await;
        let destination = text_of(&migration, "dest_compute").unwrap_or_default();
        let args = FinishResize {
            instance: working.to_primitive(),
            migration: migration.to_primitive(),
            image: Some(json!({})),
            disk_info: Some(json!("{}")),
            request_spec,
        };
        if let Err(error) = self.compute.finish_resize(ctx, &destination, args).await {
            let error = OperationError::Refused(RemoteFailure::runtime_error(format!(
                "could not send finish_resize to {destination}: {error}"
            )));
            self.move_failed(ctx, &uuid, &mut migration, &error, true)
                .await;
            return Err(error);
        }
        Ok(())
    }

    async fn resize_instance_locked(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &mut NovaObject,
    ) -> Result<NovaObject, OperationError> {
        let mut working = self.objects.instance_for_move(ctx, uuid).await?;
        migration.set("status", json!("migrating"));
        self.objects.migration_save(ctx, migration).await?;
        working.set("task_state", json!(task_states::RESIZE_MIGRATING));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_PREP)),
        )
        .await?;
        // The fake's `migrate_disk_and_power_off`: the guest stops; its disk stays here
        // until the confirm (a revert starts it again).
        self.driver.power_off(uuid)?;
        migration.set("status", json!("post-migrating"));
        self.objects.migration_save(ctx, migration).await?;
        working.set("host", migration.get("dest_compute").clone());
        working.set("node", migration.get("dest_node").clone());
        working.set("compute_id", migration.get("dest_compute_id").clone());
        working.set("power_state", json!(PowerState::Shutdown.code()));
        working.set("task_state", json!(task_states::RESIZE_MIGRATED));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_MIGRATING)),
        )
        .await?;
        Ok(working)
    }

    /// Nova `finish_resize` on this (destination) host.
    pub(super) async fn finish_resize(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        mut migration: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        let outcome = self.finish_resize_locked(ctx, &uuid, &mut migration).await;
        if let Err(error) = &outcome {
            self.move_failed(ctx, &uuid, &mut migration, error, true)
                .await;
        }
        self.reaudit(ctx).await;
        outcome
    }

    async fn finish_resize_locked(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &mut NovaObject,
    ) -> Result<(), OperationError> {
        let mut working = self.objects.instance_for_move(ctx, uuid).await?;
        let old_vm_state = working
            .get("system_metadata")
            .get("old_vm_state")
            .and_then(Value::as_str)
            .unwrap_or(vm_states::ACTIVE)
            .to_owned();
        let old_flavor = working.get("flavor").clone();
        working.set("old_flavor", old_flavor);
        if migration.get("old_instance_type_id") != migration.get("new_instance_type_id") {
            let new_flavor = working.get("new_flavor").clone();
            set_instance_info(&mut working, &new_flavor);
        } else {
            // A cold migration keeps its flavor; the snapshot is written with the rest.
            let flavor = working.get("flavor").clone();
            working.set("flavor", flavor);
        }
        working.set("task_state", json!(task_states::RESIZE_FINISH));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_MIGRATED)),
        )
        .await?;
        // The fake's `finish_migration`: the guest defined here with the new size, powered
        // on unless the server was stopped; on its own host it keeps its files (another
        // host's fake hypervisor has none of them).
        let name = text_of(&working, "display_name").unwrap_or_default();
        let files = self.driver.guest_files(uuid);
        self.driver
            .spawn(uuid, &name, guest_size(&working.data), files)
            .await?;
        let power_on = old_vm_state != vm_states::STOPPED;
        if !power_on {
            self.driver.power_off(uuid)?;
        }
        migration.set("status", json!("finished"));
        self.objects.migration_save(ctx, migration).await?;
        working.set("power_state", json!(self.driver.power_state(uuid).code()));
        working.set("vm_state", json!(vm_states::RESIZED));
        working.set("task_state", Value::Null);
        working.set("launched_at", json!(utc_text(Utc::now())));
        self.save(
            ctx,
            &mut working,
            &Expected::task(Some(task_states::RESIZE_FINISH)),
        )
        .await?;
        Ok(())
    }

    /// Nova's move claims and their drops: a new audit counts the moves in progress as
    /// they now stand (a failed one is logged; the periodic audit tries again).
    pub(super) async fn reaudit(&self, ctx: &RequestContext) {
        if let Err(error) = self.tracker.update_available_resource(ctx).await {
            tracing::warn!(host = %self.host, %error, "could not update the usage after a move step");
        }
    }

    /// A move step failed: the migration to `error` (Nova `@errors_out_migration`), and
    /// either the instance to ERROR (`_error_out_instance_on_exception`, once the guest
    /// was touched) or only its task state cleared (`@reverts_task_state`); a fault either
    /// way, unless the instance is gone.
    pub(super) async fn move_failed(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        migration: &mut NovaObject,
        error: &OperationError,
        error_out: bool,
    ) {
        tracing::error!(instance = %uuid, %error, "move failed");
        migration.set("status", json!("error"));
        if let Err(e) = self.objects.migration_save(ctx, migration).await {
            tracing::warn!(instance = %uuid, error = %e, "could not set the migration to error");
        }
        if error.instance_not_found() {
            return;
        }
        match self.objects.instance_for_move(ctx, uuid).await {
            Ok(mut instance) => {
                if error_out {
                    self.set_error_state(ctx, &mut instance, true).await;
                } else {
                    instance.set("task_state", Value::Null);
                    if let Err(e) = self.save(ctx, &mut instance, &Expected::Anything).await {
                        tracing::warn!(instance = %uuid, error = %e, "could not revert the task state");
                    }
                }
            }
            Err(e) => tracing::warn!(instance = %uuid, error = %e, "could not read the instance"),
        }
        self.add_fault(ctx, uuid, &error.to_string(), "").await;
    }
}
