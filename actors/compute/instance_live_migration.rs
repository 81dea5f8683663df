//! Live migration on the computes (Nova: `ComputeManager.check_can_live_migrate_destination`,
//! `check_can_live_migrate_source`, `live_migration` → `_do_live_migration`,
//! `pre_live_migration`, `_post_live_migration`, `post_live_migration_at_destination`,
//! `_rollback_live_migration`, `rollback_live_migration_at_destination`,
//! `live_migration_force_complete`, `live_migration_abort`).
//!
//! The source runs it: the record goes `queued` → `preparing` (the destination's
//! `pre_live_migration` defines the incoming guest) → `running` (the fake driver copies
//! the memory in steps; each step's counters are saved on the record) → `completed` (the
//! destination takes the instance: host, node, usage; the source forgets the guest and
//! gives its usage back). An abort — before the copy or during it — rolls back: the
//! instance stays on the source without a task, the destination forgets what it
//! prepared, and the record is `cancelled` (`error` when a step failed).

use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::fake_driver::{guest_size, PowerState};
use super::fake_driver_live_migration::{LiveMigrationProgress, LIVE_MIGRATION_STEPS};
use super::flows::{uuid_of, ComputeFlows};
use super::live_migration_controls::{LiveMigrationCommand, LiveMigrationHandle};
use super::operation_failure::OperationError;
use crate::exception::MODULE;
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

/// Nova `task_states.MIGRATING`: the task state of the whole live migration.
pub(super) const MIGRATING: &str = "migrating";

/// What the source needs to run one live migration.
#[derive(Debug)]
pub(super) struct LiveMigrationJob {
    /// The instance as the conductor sent it.
    pub(super) instance: NovaObject,
    /// The destination host.
    pub(super) dest: String,
    /// True, false or null (`auto`).
    pub(super) block_migration: Option<bool>,
    /// The `LiveMigrateData` primitive of the checks.
    pub(super) migrate_data: Value,
    /// The `Migration` record.
    pub(super) migration: NovaObject,
}

/// A `nova.exception.MigrationPreCheckError`.
fn pre_check_error(reason: &str) -> OperationError {
    OperationError::Refused(RemoteFailure::new(
        MODULE,
        "MigrationPreCheckError",
        format!("Migration pre-check error: {reason}"),
    ))
}

impl ComputeFlows {
    /// `check_can_live_migrate_destination` on the destination: the fake's data, checked
    /// by the source (`check_can_live_migrate_source`), returned to the conductor.
    pub(super) async fn check_can_live_migrate_destination(
        &self,
        ctx: &RequestContext,
        instance: &NovaObject,
        block_migration: Option<bool>,
        disk_over_commit: Option<bool>,
    ) -> Result<Value, OperationError> {
        let source = instance
            .get("host")
            .as_str()
            .ok_or_else(|| pre_check_error("the instance has no host"))?
            .to_owned();
        if source == self.host {
            return Err(pre_check_error(&format!(
                "the instance is already on {source}"
            )));
        }
        let dest_check_data = self
            .driver
            .live_migrate_data(block_migration, disk_over_commit);
        self.compute
            .check_can_live_migrate_source(ctx, &source, instance.to_primitive(), dest_check_data)
            .await
            .map_err(|e| pre_check_error(&format!("the source {source} refused: {e}")))
    }

    /// `live_migration` on the source, after its event: the record `queued` and the
    /// migration under way (the returned handle is how force-complete and abort reach it).
    pub(super) async fn queue_live_migration(
        &self,
        ctx: &RequestContext,
        job: &mut LiveMigrationJob,
    ) -> Result<LiveMigrationHandle, OperationError> {
        let uuid = uuid_of(&job.instance);
        let handle = self.driver.begin_live_migration(&uuid);
        self.migration_status(ctx, &mut job.migration, "queued")
            .await?;
        Ok(handle)
    }

    /// `_do_live_migration`: prepare the destination, copy, then finish or roll back.
    pub(super) async fn do_live_migration(
        &self,
        ctx: &RequestContext,
        mut job: LiveMigrationJob,
        handle: LiveMigrationHandle,
    ) {
        let uuid = uuid_of(&job.instance);
        if handle.aborted() {
            self.rollback_live_migration(ctx, &mut job, false, "cancelled")
                .await;
            return;
        }
        if let Err(error) = self
            .migration_status(ctx, &mut job.migration, "preparing")
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not mark the migration preparing");
        }
        let prepared = self
            .compute
            .pre_live_migration(
                ctx,
                &job.dest,
                job.instance.to_primitive(),
                job.migrate_data.clone(),
            )
            .await;
        match prepared {
            Ok(data) => job.migrate_data = data,
            Err(error) => {
                tracing::error!(instance = %uuid, dest = %job.dest, %error, "Pre live migration failed");
                self.add_fault(ctx, &uuid, &error.to_string(), "").await;
                self.rollback_live_migration(ctx, &mut job, true, "error")
                    .await;
                return;
            }
        }
        if handle.aborted() {
            self.rollback_live_migration(ctx, &mut job, true, "cancelled")
                .await;
            return;
        }
        if let Err(error) = self
            .migration_status(ctx, &mut job.migration, "running")
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not mark the migration running");
        }
        let size = guest_size(&job.instance.data);
        let block = job.block_migration.unwrap_or(false);
        // The counters are saved after each step but the last (Nova's response schema
        // wants them null or positive; the record is over when nothing remains).
        let mut outcome = None;
        for done in 1..=LIVE_MIGRATION_STEPS {
            if let Some(command) = handle.next_step().await {
                outcome = Some(command);
                break;
            }
            if done < LIVE_MIGRATION_STEPS {
                self.save_progress(ctx, &mut job.migration, size, block, done)
                    .await;
            }
        }
        drop(handle);
        if outcome == Some(LiveMigrationCommand::Abort) {
            tracing::info!(instance = %uuid, "live migration aborted");
            self.rollback_live_migration(ctx, &mut job, true, "cancelled")
                .await;
            return;
        }
        self.post_live_migration(ctx, &mut job).await;
    }

    /// The record's memory and disk counters after `done` steps.
    async fn save_progress(
        &self,
        ctx: &RequestContext,
        migration: &mut NovaObject,
        size: super::fake_driver::GuestSize,
        block_migration: bool,
        done: u32,
    ) {
        let progress = LiveMigrationProgress::after(size, block_migration, done);
        migration.set("memory_total", json!(progress.memory_total));
        migration.set("memory_processed", json!(progress.memory_processed));
        migration.set("memory_remaining", json!(progress.memory_remaining));
        if block_migration {
            // Without a block migration no disk is copied: the counters stay null.
            migration.set("disk_total", json!(progress.disk_total));
            migration.set("disk_processed", json!(progress.disk_processed));
            migration.set("disk_remaining", json!(progress.disk_remaining));
        }
        if let Err(error) = self.objects.migration_save(ctx, migration).await {
            tracing::warn!(%error, "could not save the live migration's progress");
        }
    }

    /// `_post_live_migration` on the source: the destination takes the instance, this
    /// host forgets the guest and its usage, the record is `completed`.
    async fn post_live_migration(&self, ctx: &RequestContext, job: &mut LiveMigrationJob) {
        let uuid = uuid_of(&job.instance);
        let moved = self
            .compute
            .post_live_migration_at_destination(
                ctx,
                &job.dest,
                job.instance.to_primitive(),
                job.block_migration,
            )
            .await;
        if let Err(error) = moved {
            // Nova: the guest runs on the destination already; the instance is in
            // ERROR there with the record `error`.
            tracing::error!(instance = %uuid, dest = %job.dest, %error, "Post live migration at destination failed");
            self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            let mut instance = job.instance.clone();
            self.set_error_state(ctx, &mut instance, true).await;
            let _ = self
                .migration_status(ctx, &mut job.migration, "error")
                .await;
            return;
        }
        self.driver.destroy(&uuid);
        self.tracker.release(ctx, &uuid).await;
        // Nova `_delete_scheduler_instance_info`: the schedulers forget it here.
        if self.track_instance_changes {
            if let Err(error) = self
                .scheduler
                .delete_instance_info(ctx, &self.host, &uuid)
                .await
            {
                tracing::warn!(instance = %uuid, %error, "delete_instance_info fanout failed");
            }
        }
        if let Err(error) = self
            .migration_status(ctx, &mut job.migration, "completed")
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not mark the migration completed");
        }
        tracing::info!(instance = %uuid, dest = %job.dest, "Migrating instance to destination finished successfully.");
    }

    /// `_rollback_live_migration` on the source: no task, the guest still here; the
    /// destination told to forget what it prepared; the record in `status`.
    async fn rollback_live_migration(
        &self,
        ctx: &RequestContext,
        job: &mut LiveMigrationJob,
        destination_prepared: bool,
        status: &str,
    ) {
        let uuid = uuid_of(&job.instance);
        let mut instance = job.instance.clone();
        instance.set("task_state", Value::Null);
        instance.set("progress", json!(0));
        if let Err(error) = self
            .save(ctx, &mut instance, &Expected::task(Some(MIGRATING)))
            .await
        {
            tracing::warn!(instance = %uuid, %error, "could not clear the migrating task state");
        }
        if destination_prepared {
            let cast = self
                .compute
                .rollback_live_migration_at_destination(
                    ctx,
                    &job.dest,
                    job.instance.to_primitive(),
                    job.migrate_data.clone(),
                )
                .await;
            if let Err(error) = cast {
                tracing::warn!(instance = %uuid, dest = %job.dest, %error, "could not reach the destination to roll back");
            }
        }
        if let Err(error) = self.migration_status(ctx, &mut job.migration, status).await {
            tracing::warn!(instance = %uuid, %error, "could not save the rolled-back migration");
        }
    }

    /// `migration.status = status; migration.save()`.
    async fn migration_status(
        &self,
        ctx: &RequestContext,
        migration: &mut NovaObject,
        status: &str,
    ) -> Result<(), OperationError> {
        migration.set("status", json!(status));
        self.objects.migration_save(ctx, migration).await?;
        Ok(())
    }

    /// Nova `_reset_live_migration` at start-up: the `running` record of the instance to
    /// `error` (its copy died with the process), the task state cleared.
    pub(super) async fn reset_live_migration(
        &self,
        ctx: &RequestContext,
        instance: &mut NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        if let Some(mut migration) = self
            .objects
            .migration_by_instance_and_status(ctx, &uuid, "running")
            .await
        {
            if let Err(error) = self.migration_status(ctx, &mut migration, "error").await {
                tracing::warn!(instance = %uuid, %error, "could not set the migration to error");
            }
        }
        instance.set("task_state", Value::Null);
        self.save(ctx, instance, &Expected::task(Some(MIGRATING)))
            .await
            .map_err(OperationError::from)
    }

    /// `pre_live_migration` on the destination: the incoming guest, defined paused.
    pub(super) async fn pre_live_migration(
        &self,
        instance: &NovaObject,
        migrate_data: Value,
    ) -> Result<Value, OperationError> {
        let name = instance.get("display_name").as_str().unwrap_or_default();
        self.driver
            .define_incoming_guest(&uuid_of(instance), name, guest_size(&instance.data));
        Ok(migrate_data)
    }

    /// `post_live_migration_at_destination`: the guest runs here in the state it had, the
    /// instance is this host's (host, node, usage) without a task.
    pub(super) async fn post_live_migration_at_destination(
        &self,
        ctx: &RequestContext,
        mut instance: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let state = match instance.get("power_state").as_i64() {
            Some(code) if PowerState::from_code(code) == PowerState::Paused => PowerState::Paused,
            _ => PowerState::Running,
        };
        let name = instance
            .get("display_name")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.driver
            .finish_incoming_guest(&uuid, &name, guest_size(&instance.data), state);
        instance.set("power_state", json!(state.code()));
        instance.set("task_state", Value::Null);
        instance.set("progress", json!(0));
        self.tracker
            .migrated_in(ctx, &mut instance, &Expected::task(Some(MIGRATING)))
            .await?;
        // Nova `_update_scheduler_instance_info`: the schedulers see it here now.
        if self.track_instance_changes {
            let update =
                self.scheduler
                    .update_instance_info(ctx, &self.host, vec![instance.to_primitive()]);
            if let Err(error) = update.await {
                tracing::warn!(instance = %uuid, %error, "update_instance_info fanout failed");
            }
        }
        tracing::info!(instance = %uuid, host = %self.host, "live migration arrived");
        Ok(())
    }

    /// `rollback_live_migration_at_destination`: forget the incoming guest.
    pub(super) fn rollback_live_migration_at_destination(&self, instance: &NovaObject) {
        let uuid = uuid_of(instance);
        // The guest may not have been defined yet; nothing to forget then.
        if self.driver.get_info(&uuid).is_ok() {
            self.driver.destroy(&uuid);
        }
    }

    /// `live_migration_force_complete` on the source.
    pub(super) fn live_migration_force_complete(
        &self,
        instance: &NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        if self.driver.live_migration_force_complete(&uuid) {
            Ok(())
        } else {
            Err(no_migration(&uuid, "force complete"))
        }
    }

    /// `live_migration_abort` on the source (a queued or preparing one is cancelled before
    /// its copy starts).
    pub(super) fn live_migration_abort(
        &self,
        instance: &NovaObject,
        migration_id: i64,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(instance);
        if self.driver.live_migration_abort(&uuid) {
            tracing::info!(instance = %uuid, migration_id, "live migration abort requested");
            Ok(())
        } else {
            Err(no_migration(&uuid, "abort"))
        }
    }
}

/// Nova's driver error when there is no migration to act on.
fn no_migration(uuid: &str, what: &str) -> OperationError {
    OperationError::Refused(RemoteFailure::new(
        MODULE,
        "MigrationNotFoundByStatus",
        format!("Cannot {what}: no live migration of instance {uuid} runs on this host"),
    ))
}
