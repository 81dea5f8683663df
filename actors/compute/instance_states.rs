//! The `vm_state` and `task_state` values the compute reads and writes (Nova:
//! `nova/compute/vm_states.py`, `nova/compute/task_states.py`), as Nova's modules name them:
//! `vm_states::ACTIVE`, `task_states::SPAWNING`.

/// Nova `vm_states`.
pub(crate) mod vm_states {
    pub(crate) const BUILDING: &str = "building";
    pub(crate) const ACTIVE: &str = "active";
    pub(crate) const STOPPED: &str = "stopped";
    pub(crate) const PAUSED: &str = "paused";
    pub(crate) const SUSPENDED: &str = "suspended";
    pub(crate) const RESCUED: &str = "rescued";
    pub(crate) const ERROR: &str = "error";
    pub(crate) const DELETED: &str = "deleted";
    pub(crate) const SOFT_DELETED: &str = "soft-delete";
    pub(crate) const SHELVED: &str = "shelved";
    pub(crate) const SHELVED_OFFLOADED: &str = "shelved_offloaded";
    pub(crate) const RESIZED: &str = "resized";

    /// Nova `vm_states.ALLOW_HARD_REBOOT` (`ALLOW_SOFT_REBOOT` is `[ACTIVE]`).
    pub(crate) const ALLOW_HARD_REBOOT: [&str; 5] = [ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR];
}

/// Nova `task_states`.
pub(crate) mod task_states {
    pub(crate) const SCHEDULING: &str = "scheduling";
    pub(crate) const NETWORKING: &str = "networking";
    pub(crate) const BLOCK_DEVICE_MAPPING: &str = "block_device_mapping";
    pub(crate) const SPAWNING: &str = "spawning";
    pub(crate) const POWERING_OFF: &str = "powering-off";
    pub(crate) const POWERING_ON: &str = "powering-on";
    pub(crate) const REBOOTING: &str = "rebooting";
    pub(crate) const REBOOT_PENDING: &str = "reboot_pending";
    pub(crate) const REBOOT_STARTED: &str = "reboot_started";
    pub(crate) const REBOOTING_HARD: &str = "rebooting_hard";
    pub(crate) const REBOOT_PENDING_HARD: &str = "reboot_pending_hard";
    pub(crate) const REBOOT_STARTED_HARD: &str = "reboot_started_hard";
    pub(crate) const DELETING: &str = "deleting";
    pub(crate) const PAUSING: &str = "pausing";
    pub(crate) const UNPAUSING: &str = "unpausing";
    pub(crate) const SUSPENDING: &str = "suspending";
    pub(crate) const RESUMING: &str = "resuming";
    pub(crate) const RESCUING: &str = "rescuing";
    pub(crate) const UNRESCUING: &str = "unrescuing";
    pub(crate) const UPDATING_PASSWORD: &str = "updating_password";
    pub(crate) const SOFT_DELETING: &str = "soft-deleting";
    pub(crate) const RESTORING: &str = "restoring";
    pub(crate) const REBUILDING: &str = "rebuilding";
    pub(crate) const REBUILD_BLOCK_DEVICE_MAPPING: &str = "rebuild_block_device_mapping";
    pub(crate) const REBUILD_SPAWNING: &str = "rebuild_spawning";
    pub(crate) const SHELVING: &str = "shelving";
    pub(crate) const SHELVING_IMAGE_PENDING_UPLOAD: &str = "shelving_image_pending_upload";
    pub(crate) const SHELVING_IMAGE_UPLOADING: &str = "shelving_image_uploading";
    pub(crate) const SHELVING_OFFLOADING: &str = "shelving_offloading";
    pub(crate) const UNSHELVING: &str = "unshelving";
    pub(crate) const IMAGE_SNAPSHOT: &str = "image_snapshot";
    pub(crate) const IMAGE_SNAPSHOT_PENDING: &str = "image_snapshot_pending";
    pub(crate) const IMAGE_PENDING_UPLOAD: &str = "image_pending_upload";
    pub(crate) const IMAGE_UPLOADING: &str = "image_uploading";
    pub(crate) const IMAGE_BACKUP: &str = "image_backup";
    pub(crate) const RESIZE_PREP: &str = "resize_prep";
    pub(crate) const RESIZE_MIGRATING: &str = "resize_migrating";
    pub(crate) const RESIZE_MIGRATED: &str = "resize_migrated";
    pub(crate) const RESIZE_FINISH: &str = "resize_finish";
    pub(crate) const RESIZE_REVERTING: &str = "resize_reverting";

    /// Every task state above, to recover a `&'static str` for an `expected_task_state`.
    pub(crate) const ALL: [&str; 40] = [
        SCHEDULING,
        NETWORKING,
        BLOCK_DEVICE_MAPPING,
        SPAWNING,
        POWERING_OFF,
        POWERING_ON,
        REBOOTING,
        REBOOT_PENDING,
        REBOOT_STARTED,
        REBOOTING_HARD,
        REBOOT_PENDING_HARD,
        REBOOT_STARTED_HARD,
        DELETING,
        PAUSING,
        UNPAUSING,
        SUSPENDING,
        RESUMING,
        RESCUING,
        UNRESCUING,
        UPDATING_PASSWORD,
        SOFT_DELETING,
        RESTORING,
        REBUILDING,
        REBUILD_BLOCK_DEVICE_MAPPING,
        REBUILD_SPAWNING,
        SHELVING,
        SHELVING_IMAGE_PENDING_UPLOAD,
        SHELVING_IMAGE_UPLOADING,
        SHELVING_OFFLOADING,
        UNSHELVING,
        IMAGE_SNAPSHOT,
        IMAGE_SNAPSHOT_PENDING,
        IMAGE_PENDING_UPLOAD,
        IMAGE_UPLOADING,
        IMAGE_BACKUP,
        RESIZE_PREP,
        RESIZE_MIGRATING,
        RESIZE_MIGRATED,
        RESIZE_FINISH,
        RESIZE_REVERTING,
    ];
    /// Nova `task_states.soft_reboot_states`.
    pub(crate) const SOFT_REBOOT_STATES: [&str; 3] = [REBOOTING, REBOOT_PENDING, REBOOT_STARTED];
    /// Nova `task_states.hard_reboot_states`.
    pub(crate) const HARD_REBOOT_STATES: [&str; 3] =
        [REBOOTING_HARD, REBOOT_PENDING_HARD, REBOOT_STARTED_HARD];
}
