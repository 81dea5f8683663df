//! The fake driver's live migration (Nova: `FakeDriver.live_migration`,
//! `live_migration_force_complete`, `live_migration_abort`,
//! `check_can_live_migrate_destination`, `pre_live_migration`): the guest's memory moves in
//! [`LIVE_MIGRATION_STEPS`] steps over `[fake_driver] live_migration_duration` (novactor's
//! lab knob, so the progress can be watched), and a force-complete or an abort sent
//! meanwhile ends it at the next wake-up, as Nova's fake ends its wait loop. The destination
//! defines the incoming guest in `pre_live_migration` and starts it in
//! `post_live_migration_at_destination`; the source forgets it once the destination has it.

use serde_json::{json, Value};

use super::fake_driver::{FakeDriver, FakeGuest, GuestSize, PowerState};
use super::live_migration_controls::{
    LiveMigrationCommand, LiveMigrationControls, LiveMigrationHandle,
};

/// How many steps the memory moves in.
pub(super) const LIVE_MIGRATION_STEPS: u32 = 10;

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
        let step = self.settings().live_migration_duration / LIVE_MIGRATION_STEPS;
        LiveMigrationControls::begin(self.live_migrations(), uuid, step)
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
                // The source's files stay behind: the fake's hosts share no disks.
                files: Vec::new(),
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
                files: Vec::new(),
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
}
