//! The fake driver's live migration (Nova: `FakeDriver.live_migration`,
//! `live_migration_force_complete`, `live_migration_abort`,
//! `check_can_live_migrate_destination`, `pre_live_migration`): the guest's memory moves in
//! [`LIVE_MIGRATION_STEPS`] steps over `[fake_driver] live_migration_duration` (novactor's
//! lab knob, so the progress can be watched), and a force-complete or an abort sent
//! meanwhile ends it at the next wake-up, as Nova's fake ends its wait loop. The destination
//! defines the incoming guest in `pre_live_migration` and starts it in
//! `post_live_migration_at_destination`; the source forgets it once the destination has it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Notify;

use super::fake_driver::{FakeDriver, FakeGuest, GuestSize, PowerState};

/// How many steps the memory moves in.
pub(super) const LIVE_MIGRATION_STEPS: u32 = 10;

/// What was asked of a running live migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LiveMigrationCommand {
    /// `live_migration_force_complete`: finish at once.
    ForceComplete,
    /// `live_migration_abort`: stop and roll back.
    Abort,
}

#[derive(Debug, Default)]
struct Control {
    command: Mutex<Option<LiveMigrationCommand>>,
    wake: Notify,
}

impl Control {
    fn command(&self) -> Option<LiveMigrationCommand> {
        *self.command.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The live migrations this host is the source of, by instance uuid.
#[derive(Debug, Default)]
pub(super) struct LiveMigrationControls {
    running: Mutex<HashMap<String, Arc<Control>>>,
}

impl LiveMigrationControls {
    fn send(&self, uuid: &str, command: LiveMigrationCommand) -> bool {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(control) = running.get(uuid) else {
            return false;
        };
        let mut slot = control
            .command
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // An abort is final; a force-complete does not undo it.
        if *slot != Some(LiveMigrationCommand::Abort) {
            *slot = Some(command);
        }
        control.wake.notify_one();
        true
    }
}

/// One live migration from this host, from `queued` to its end; dropping it forgets it.
#[derive(Debug)]
pub(super) struct LiveMigrationHandle {
    controls: Arc<LiveMigrationControls>,
    uuid: String,
    control: Arc<Control>,
    step: Duration,
}

impl LiveMigrationHandle {
    /// True once an abort was asked for.
    pub(super) fn aborted(&self) -> bool {
        self.control.command() == Some(LiveMigrationCommand::Abort)
    }

    /// Wait for the next step of the memory copy: `None` when it elapsed, the command when
    /// one came first (or was there already).
    pub(super) async fn next_step(&self) -> Option<LiveMigrationCommand> {
        if let Some(command) = self.control.command() {
            return Some(command);
        }
        tokio::select! {
            () = tokio::time::sleep(self.step) => self.control.command(),
            () = self.control.wake.notified() => self.control.command(),
        }
    }
}

impl Drop for LiveMigrationHandle {
    fn drop(&mut self) {
        self.controls
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.uuid);
    }
}

/// The counters a step leaves, in bytes (Nova's `Migration.memory_*` and `disk_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LiveMigrationProgress {
    /// Guest RAM.
    pub memory_total: i64,
    /// RAM copied.
    pub memory_processed: i64,
    /// RAM left.
    pub memory_remaining: i64,
    /// Local disk copied with a block migration (0 on the fake's shared storage).
    pub disk_total: i64,
    /// Disk copied.
    pub disk_processed: i64,
    /// Disk left.
    pub disk_remaining: i64,
}

impl LiveMigrationProgress {
    /// After `done` of [`LIVE_MIGRATION_STEPS`] steps of a guest of `size`.
    pub(super) fn after(size: GuestSize, block_migration: bool, done: u32) -> Self {
        let steps = i64::from(LIVE_MIGRATION_STEPS);
        let done = i64::from(done.min(LIVE_MIGRATION_STEPS));
        let memory_total = size.memory_mb.max(0) * (1 << 20);
        let disk_total = if block_migration {
            size.disk_gb.max(0) * (1 << 30)
        } else {
            0
        };
        let part = |total: i64| total.saturating_mul(done) / steps;
        Self {
            memory_total,
            memory_processed: part(memory_total),
            memory_remaining: memory_total - part(memory_total),
            disk_total,
            disk_processed: part(disk_total),
            disk_remaining: disk_total - part(disk_total),
        }
    }
}

impl FakeDriver {
    /// Nova `check_can_live_migrate_destination`: the fake's `LibvirtLiveMigrateData`
    /// (shared storage, as Nova's fake says).
    pub(super) fn live_migrate_data(
        &self,
        block_migration: Option<bool>,
        disk_over_commit: Option<bool>,
    ) -> Value {
        let mut data = json!({
            "filename": "fake",
            "image_type": "default",
            "graphics_listen_addr_vnc": "127.0.0.1",
            "graphics_listen_addr_spice": "127.0.0.1",
            "serial_listen_addr": null,
            "disk_available_mb": 100000,
            "is_shared_block_storage": true,
            "is_shared_instance_path": true,
        });
        if let Some(block) = block_migration {
            data["block_migration"] = json!(block);
        }
        if let Some(over) = disk_over_commit {
            data["disk_over_commit"] = json!(over);
        }
        json!({
            "nova_object.name": "LibvirtLiveMigrateData",
            "nova_object.namespace": "nova",
            "nova_object.version": "1.14",
            "nova_object.data": data,
        })
    }

    /// A live migration of `uuid` from this host begins (`queued`).
    pub(super) fn begin_live_migration(&self, uuid: &str) -> LiveMigrationHandle {
        let control = Arc::new(Control::default());
        self.live_migrations()
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uuid.to_owned(), Arc::clone(&control));
        let steps = LIVE_MIGRATION_STEPS;
        LiveMigrationHandle {
            controls: Arc::clone(self.live_migrations()),
            uuid: uuid.to_owned(),
            control,
            step: self.settings().live_migration_duration / steps,
        }
    }

    /// Nova `live_migration_force_complete`: false when no migration of `uuid` runs here.
    pub(super) fn live_migration_force_complete(&self, uuid: &str) -> bool {
        self.live_migrations()
            .send(uuid, LiveMigrationCommand::ForceComplete)
    }

    /// Nova `live_migration_abort`: false when no migration of `uuid` runs here.
    pub(super) fn live_migration_abort(&self, uuid: &str) -> bool {
        self.live_migrations()
            .send(uuid, LiveMigrationCommand::Abort)
    }

    /// Nova `pre_live_migration` on the destination: the incoming guest, defined paused
    /// until the migration ends.
    pub(super) fn define_incoming_guest(&self, uuid: &str, name: &str, size: GuestSize) {
        self.hypervisor().guests().insert(
            uuid.to_owned(),
            FakeGuest {
                name: name.to_owned(),
                state: PowerState::Paused,
                size,
            },
        );
    }

    /// Nova `post_live_migration_at_destination`: the guest runs here now, in the power
    /// state it had on the source; the state it is in.
    pub(super) fn finish_incoming_guest(
        &self,
        uuid: &str,
        name: &str,
        size: GuestSize,
        state: PowerState,
    ) {
        self.hypervisor().guests().insert(
            uuid.to_owned(),
            FakeGuest {
                name: name.to_owned(),
                state,
                size,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_moves_the_memory_in_steps_and_the_disk_only_for_a_block_migration() {
        let size = GuestSize {
            vcpus: 1,
            memory_mb: 512,
            disk_gb: 1,
        };
        let start = LiveMigrationProgress::after(size, false, 0);
        assert_eq!(start.memory_total, 512 << 20);
        assert_eq!(start.memory_processed, 0);
        assert_eq!(start.disk_total, 0);
        let half = LiveMigrationProgress::after(size, true, LIVE_MIGRATION_STEPS / 2);
        assert_eq!(half.memory_processed + half.memory_remaining, 512 << 20);
        assert!(half.memory_processed > 0 && half.memory_remaining > 0);
        assert_eq!(half.disk_total, 1 << 30);
        let end = LiveMigrationProgress::after(size, true, LIVE_MIGRATION_STEPS + 3);
        assert_eq!(end.memory_remaining, 0);
        assert_eq!(end.disk_remaining, 0);
    }

    #[tokio::test]
    async fn an_abort_wins_over_a_later_force_complete_and_wakes_the_copy() {
        let controls = Arc::new(LiveMigrationControls::default());
        let control = Arc::new(Control::default());
        controls
            .running
            .lock()
            .unwrap()
            .insert("u".into(), Arc::clone(&control));
        let handle = LiveMigrationHandle {
            controls: Arc::clone(&controls),
            uuid: "u".into(),
            control,
            step: Duration::from_secs(3600),
        };
        assert!(controls.send("u", LiveMigrationCommand::Abort));
        assert!(controls.send("u", LiveMigrationCommand::ForceComplete));
        assert_eq!(handle.next_step().await, Some(LiveMigrationCommand::Abort));
        assert!(handle.aborted());
        drop(handle);
        assert!(!controls.send("u", LiveMigrationCommand::Abort));
    }
}
