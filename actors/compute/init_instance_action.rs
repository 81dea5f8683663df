//! What a restarted compute does with each instance of its host that a killed predecessor
//! left mid-operation (Nova: `ComputeManager._init_instance`'s decision), as a pure
//! function of the instance's states and the driver's power state. `init_host.rs` runs it.

use super::fake_driver::PowerState;
use super::instance_states::{task_states, vm_states};

/// What [`ComputeFlows::init_host`] does with one instance of this host after a restart:
/// Nova `ComputeManager._init_instance`'s decision, for the states novactor has. Pure, so
/// each rule is unit-tested; the actions run through the flows (`init_host.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InitAction {
    /// Nothing to settle: idle, stopped, in error, soft-deleted, or not this host's.
    Leave,
    /// The process died during a build (`vm_state` building or a build task state):
    /// `vm_state=error`, task state cleared (Nova `_set_instance_obj_error_state(
    /// clean_task_state=True)`, "Instance failed to spawn correctly, setting to ERROR
    /// state").
    FailBuild,
    /// `task_state=deleting`: restart the deletion (Nova `_delete_instance`; here the
    /// terminate flow, so the guest, the usage, the schedulers' view and the row are
    /// handled as a delete is).
    FinishDelete,
    /// `vm_state=deleted` but the row is not soft-deleted yet (the process died between
    /// the two writes of a delete): Nova `_complete_partial_deletion`.
    CompletePartialDeletion,
    /// Retry the reboot (Nova `_retry_reboot`); `hard` as Nova's `get_reboot_type` says:
    /// hard when the guest is not running or the task was a hard one. A soft task state
    /// is moved to `reboot_pending_hard` first when the retry is hard.
    RetryReboot {
        /// Reboot type `HARD` (else `SOFT`).
        hard: bool,
    },
    /// `reboot_started[_hard]` with the guest running: the reboot happened, only its
    /// last save is missing: `vm_state=active`, task state cleared. Nova does the same
    /// for `pausing` / `unpausing` with the guest running.
    FinishReboot,
    /// `unpausing` with the guest still paused: retry the unpause (Nova).
    RetryUnpause,
    /// `powering-off`: retry the stop.
    RetryStop,
    /// `powering-on`: retry the start.
    RetryStart,
    /// `task_state=migrating`: the live migration died with the process (Nova
    /// `_reset_live_migration`): its `running` record to `error`, the task cleared.
    ResetLiveMigration,
    /// A reboot task state no retry applies to (say `reboot_pending` on a stopped
    /// instance): novactor clears it so the instance is usable again (Nova leaves it);
    /// and, as Nova, a snapshot the restart interrupted (`image_snapshot*`,
    /// `image_pending_upload`, `image_uploading`).
    ClearTask,
}

/// Nova `_init_instance`'s decision for an instance with `host`, `vm_state` and
/// `task_state`, whose guest the driver reports in `power` (`NoState` when it has none),
/// seen by the compute of `this_host`. In Nova's order, with two novactor deviations:
///
/// - `deleting` is looked at before the build states, so a delete accepted during a
///   build that the restart interrupted still deletes (novactor's "a delete that races a
///   build wins"; Nova would put it in ERROR and rely on the still-queued
///   `terminate_instance` cast, which the in-process memory transport loses with the
///   process);
/// - `rebooting` / `rebooting_hard` (the API's state before the compute started the
///   reboot) are retried too, as Nova retries `reboot_pending*`: the cast may have died
///   with the process. With a broker that kept it, the late cast then finds no reboot
///   task state and is refused as `UnexpectedTaskStateError`, as Nova's own retried
///   start is when its cast arrives after `init_host`.
pub(super) fn init_instance_action(
    this_host: &str,
    host: Option<&str>,
    vm_state: Option<&str>,
    task_state: Option<&str>,
    power: PowerState,
) -> InitAction {
    use task_states::*;
    use vm_states::*;
    if host != Some(this_host) {
        // Evacuated away, or a listing that raced a move: not ours to touch (Nova).
        return InitAction::Leave;
    }
    // Nova: soft-deleted and error instances are not recovered, except a pending delete.
    if vm_state == Some(SOFT_DELETED) || (vm_state == Some(ERROR) && task_state != Some(DELETING)) {
        return InitAction::Leave;
    }
    if vm_state == Some(DELETED) {
        return InitAction::CompletePartialDeletion;
    }
    if task_state == Some(DELETING) {
        return InitAction::FinishDelete;
    }
    if vm_state == Some(BUILDING)
        || matches!(
            task_state,
            Some(SCHEDULING | BLOCK_DEVICE_MAPPING | NETWORKING | SPAWNING)
        )
    {
        return InitAction::FailBuild;
    }
    let Some(task) = task_state else {
        return InitAction::Leave;
    };
    let soft_task = SOFT_REBOOT_STATES.contains(&task);
    if soft_task || HARD_REBOOT_STATES.contains(&task) {
        let running = power == PowerState::Running;
        // Nova `compute_utils.get_reboot_type`.
        let hard = !running || !soft_task;
        let allows_soft = vm_state == Some(ACTIVE);
        let allows_hard = vm_state.is_some_and(|vm| ALLOW_HARD_REBOOT.contains(&vm));
        let retry = match task {
            REBOOTING | REBOOT_PENDING => allows_soft,
            REBOOTING_HARD | REBOOT_PENDING_HARD => allows_hard,
            _ => !running, // reboot_started[_hard]
        };
        return if retry {
            InitAction::RetryReboot { hard }
        } else if running && matches!(task, REBOOT_STARTED | REBOOT_STARTED_HARD) {
            InitAction::FinishReboot
        } else {
            InitAction::ClearTask
        };
    }
    if power == PowerState::Running && matches!(task, PAUSING | UNPAUSING) {
        return InitAction::FinishReboot;
    }
    if power == PowerState::Paused && task == UNPAUSING {
        return InitAction::RetryUnpause;
    }
    match task {
        POWERING_OFF => InitAction::RetryStop,
        POWERING_ON => InitAction::RetryStart,
        // Nova: a snapshot the restart interrupted is not resumed; its task is cleared.
        IMAGE_SNAPSHOT_PENDING | IMAGE_PENDING_UPLOAD | IMAGE_UPLOADING | IMAGE_SNAPSHOT => {
            InitAction::ClearTask
        }
        "migrating" => InitAction::ResetLiveMigration,
        _ => InitAction::Leave,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `init_instance_action` for an instance of host `h1`, seen by the compute of `h1`.
    fn decide(vm: Option<&str>, task: Option<&str>, power: PowerState) -> InitAction {
        init_instance_action("h1", Some("h1"), vm, task, power)
    }

    const NO_GUEST: PowerState = PowerState::NoState;
    const RUNNING: PowerState = PowerState::Running;

    #[test]
    fn init_builds_interrupted_go_to_error() {
        for task in [
            None,
            Some("scheduling"),
            Some("networking"),
            Some("block_device_mapping"),
            Some("spawning"),
        ] {
            for power in [NO_GUEST, RUNNING] {
                assert_eq!(
                    decide(Some("building"), task, power),
                    InitAction::FailBuild,
                    "{task:?}"
                );
            }
        }
        // A build task state under another vm_state is a failed build too (Nova).
        assert_eq!(
            decide(Some("active"), Some("spawning"), RUNNING),
            InitAction::FailBuild
        );
    }

    #[test]
    fn init_resets_a_live_migration_the_restart_interrupted() {
        for (vm, power) in [("active", RUNNING), ("paused", PowerState::Paused)] {
            assert_eq!(
                decide(Some(vm), Some("migrating"), power),
                InitAction::ResetLiveMigration
            );
        }
        // The destination's compute leaves it: the instance is the source's.
        assert_eq!(
            init_instance_action(
                "h2",
                Some("h1"),
                Some("active"),
                Some("migrating"),
                NO_GUEST
            ),
            InitAction::Leave
        );
    }

    #[test]
    fn init_deletes_interrupted_are_finished() {
        for vm in ["active", "stopped", "error", "building"] {
            assert_eq!(
                decide(Some(vm), Some("deleting"), NO_GUEST),
                InitAction::FinishDelete,
                "{vm}: the delete wins, also over a build"
            );
        }
        for task in [None, Some("deleting")] {
            assert_eq!(
                decide(Some("deleted"), task, NO_GUEST),
                InitAction::CompletePartialDeletion
            );
        }
    }

    #[test]
    fn init_reboots_interrupted_are_retried_hard_without_a_running_guest() {
        for task in [
            "rebooting",
            "reboot_pending",
            "reboot_started",
            "rebooting_hard",
            "reboot_pending_hard",
            "reboot_started_hard",
        ] {
            assert_eq!(
                decide(Some("active"), Some(task), NO_GUEST),
                InitAction::RetryReboot { hard: true },
                "{task}"
            );
        }
        // A hard reboot of a stopped instance is allowed, so it is retried.
        assert_eq!(
            decide(Some("stopped"), Some("reboot_pending_hard"), NO_GUEST),
            InitAction::RetryReboot { hard: true }
        );
    }

    #[test]
    fn init_reboots_not_started_keep_their_type_with_a_running_guest() {
        for (task, hard) in [
            ("rebooting", false),
            ("reboot_pending", false),
            ("rebooting_hard", true),
            ("reboot_pending_hard", true),
        ] {
            assert_eq!(
                decide(Some("active"), Some(task), RUNNING),
                InitAction::RetryReboot { hard },
                "{task}"
            );
        }
    }

    #[test]
    fn init_reboots_started_with_a_running_guest_are_finished() {
        for task in ["reboot_started", "reboot_started_hard"] {
            assert_eq!(
                decide(Some("active"), Some(task), RUNNING),
                InitAction::FinishReboot,
                "{task}"
            );
        }
    }

    #[test]
    fn init_reboot_states_no_retry_applies_to_are_cleared() {
        // A soft reboot is only for ACTIVE instances.
        assert_eq!(
            decide(Some("stopped"), Some("reboot_pending"), RUNNING),
            InitAction::ClearTask
        );
        assert_eq!(
            decide(Some("stopped"), Some("rebooting"), NO_GUEST),
            InitAction::ClearTask
        );
    }

    #[test]
    fn init_power_operations_interrupted_are_retried() {
        for power in [NO_GUEST, RUNNING, PowerState::Shutdown] {
            assert_eq!(
                decide(Some("active"), Some("powering-off"), power),
                InitAction::RetryStop
            );
            assert_eq!(
                decide(Some("stopped"), Some("powering-on"), power),
                InitAction::RetryStart
            );
        }
    }

    #[test]
    fn init_leaves_idle_error_soft_deleted_and_foreign_instances() {
        for (vm, task, power) in [
            ("active", None, RUNNING),
            // The guest the fake driver lost with the process: left ACTIVE (see init_host).
            ("active", None, NO_GUEST),
            ("stopped", None, PowerState::Shutdown),
            // Nova does not recover error instances, whatever their task state.
            ("error", None, NO_GUEST),
            ("error", Some("spawning"), NO_GUEST),
            ("error", Some("powering-off"), RUNNING),
            ("error", Some("reboot_pending_hard"), NO_GUEST),
            ("soft-delete", Some("deleting"), NO_GUEST),
            ("active", Some("some-future-task"), RUNNING),
        ] {
            assert_eq!(
                decide(Some(vm), task, power),
                InitAction::Leave,
                "{vm}/{task:?}"
            );
        }
        for host in [Some("h2"), None] {
            assert_eq!(
                init_instance_action("h1", host, Some("building"), Some("spawning"), NO_GUEST),
                InitAction::Leave,
                "{host:?}"
            );
        }
    }

    #[test]
    fn init_an_interrupted_pause_is_cleared_and_an_unpause_retried() {
        assert_eq!(
            decide(Some("active"), Some("pausing"), RUNNING),
            InitAction::FinishReboot
        );
        assert_eq!(
            decide(Some("paused"), Some("unpausing"), RUNNING),
            InitAction::FinishReboot
        );
        assert_eq!(
            decide(Some("paused"), Some("unpausing"), PowerState::Paused),
            InitAction::RetryUnpause
        );
        assert_eq!(
            decide(Some("active"), Some("pausing"), NO_GUEST),
            InitAction::Leave
        );
    }

    #[test]
    fn init_an_interrupted_snapshot_has_its_task_cleared_but_not_a_backup() {
        for task in [
            "image_snapshot_pending",
            "image_snapshot",
            "image_pending_upload",
            "image_uploading",
        ] {
            assert_eq!(
                decide(Some("active"), Some(task), RUNNING),
                InitAction::ClearTask,
                "{task}"
            );
        }
        // Nova's list leaves image_backup alone, and an instance in ERROR too.
        assert_eq!(
            decide(Some("active"), Some("image_backup"), RUNNING),
            InitAction::Leave
        );
        assert_eq!(
            decide(Some("error"), Some("image_uploading"), RUNNING),
            InitAction::Leave
        );
    }
}
