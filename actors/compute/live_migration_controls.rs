//! The live migrations a host is the source of, and how a force-complete or an abort
//! reaches one while its memory copy runs (Nova keeps `_waiting_live_migrations` and the
//! driver's flags): a registry by instance uuid, a handle per migration that wakes its copy
//! when a command arrives, and forgets it when dropped. A leaf: the fake driver holds the
//! registry, its live migration file hands out the handles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

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
    pub(super) fn send(&self, uuid: &str, command: LiveMigrationCommand) -> bool {
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

impl LiveMigrationControls {
    /// Register a live migration of `uuid` whose copy wakes every `step`.
    pub(super) fn begin(controls: &Arc<Self>, uuid: &str, step: Duration) -> LiveMigrationHandle {
        let control = Arc::new(Control::default());
        controls
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uuid.to_owned(), Arc::clone(&control));
        LiveMigrationHandle {
            controls: Arc::clone(controls),
            uuid: uuid.to_owned(),
            control,
            step,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_abort_wins_over_a_later_force_complete_and_wakes_the_copy() {
        let controls = Arc::new(LiveMigrationControls::default());
        let handle = LiveMigrationControls::begin(&controls, "u", Duration::from_secs(3600));
        assert!(controls.send("u", LiveMigrationCommand::Abort));
        assert!(controls.send("u", LiveMigrationCommand::ForceComplete));
        assert_eq!(handle.next_step().await, Some(LiveMigrationCommand::Abort));
        assert!(handle.aborted());
        drop(handle);
        assert!(!controls.send("u", LiveMigrationCommand::Abort));
    }
}
