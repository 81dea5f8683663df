//! `nova-compute` as an actor: one per host (`CONF.host`, or `[compute] fake_hosts` of
//! them), without database access. Its wire contract (argument structs, proxy) is
//! `rpcapi/compute.rs`; this folder serves it.
//!
//! ```text
//! manager.rs               ComputeManager: the RPC face — endpoints (null namespace 6.5 +
//!                          baseapi), handlers, periodic-task table, lifecycle hooks
//! definition.rs            how the supervisor hosts it: one definition per host, each
//!                          incarnation assembled from the configuration
//! flows.rs                 ComputeFlows: what the flows share (host, driver, tracker,
//!                          proxies, locks), the guarded Instance.save
//! instance_build.rs        build_and_run_instance: claim … spawn, reschedule, ERROR
//! instance_terminate.rs    terminate_instance: destroy, delete, give the usage back
//! instance_power.rs        stop_instance, start_instance
//! instance_reboot.rs       reboot_instance
//! instance_rebuild.rs      rebuild_instance (in place, and the steps evacuation shares)
//! instance_evacuate.rs     rebuild_instance with recreate: an evacuation to this host
//! evacuated_cleanup.rs     init_host's _destroy_evacuated_instances on the source
//! instance_pause.rs        pause, unpause, suspend, resume (and the shared transition)
//! instance_rescue.rs       rescue_instance, unrescue_instance
//! instance_resize.rs       prep_resize, resize_instance, finish_resize (to VERIFY_RESIZE)
//! instance_resize_reschedule.rs  a failed prep_resize handed back for the next alternate
//! instance_resize_confirm.rs  confirm_resize, revert_resize, finish_revert_resize
//! instance_resize_autoconfirm.rs  _poll_unconfirmed_resizes (resize_confirm_window)
//! manager_resize.rs        the handlers of the move methods and the auto-confirm's task
//! instance_guest_requests.rs  set_admin_password, get_console_output, trigger_crash_dump
//! manager_instance_ops.rs  the handlers of those methods
//! instance_deferred_delete.rs  soft_delete_instance, restore_instance,
//!                          _reclaim_queued_deletes
//! manager_deferred_delete.rs  their handlers and the reclaim's periodic task
//! instance_shelve.rs       shelve_instance, shelve_offload_instance, unshelve_instance,
//!                          _poll_shelved_instances (the shelve snapshot step)
//! manager_shelve.rs        their handlers and the poll's periodic task
//! instance_snapshot.rs     snapshot_instance, backup_instance (with the rotation),
//!                          inject_network_info; snapshot_into_image, shelve's part
//! manager_snapshot.rs      their handlers
//! image_service.rs         the compute's image service: the conductor's ImageCatalog
//! instance_live_migration.rs  live migration: the checks, the source's run (queued →
//!                          preparing → running → completed), the destination's
//!                          pre/post, rollback, force-complete, abort
//! manager_live_migration.rs  their handlers
//! operation_failure.rs     OperationError; fault, ERROR state, reverted task state
//! init_instance_action.rs  what a restart does with an interrupted instance (pure)
//! init_host.rs             the settling pass over this host's instances at start
//! periodic_tasks.rs        _sync_power_states, _sync_scheduler_instance_info,
//!                          _check_instance_build_time
//! instance_events.rs       wrap_instance_event: each operation recorded as an action event
//! instance_states.rs       Nova's vm_states and task_states values
//! instance_locks.rs        Nova's per-instance lock
//! resource_tracker.rs      the compute_nodes row and usage, claims
//! resource_tracker_moves.rs  resize_claim and the usage held for moves in progress
//! node_identity.rs         the node uuid kept in state_path across restarts
//! placement_report.rs      the node as a placement resource provider; allocations on delete
//! fake_driver.rs           the in-memory hypervisor (nova/virt/fake.py) with fault injection
//! diagnostics.rs           get_diagnostics, get_instance_diagnostics: the fake driver's values
//! fake_driver_guest_ops.rs its pause, suspend, rescue, password, console, crash dump
//! fake_guest_files.rs      the personality files a fake guest keeps, and its console lines
//! fake_driver_live_migration.rs  its live migration: the memory copy in steps, force
//!                          complete, abort, the incoming guest
//! live_migration_controls.rs  the running live migrations; force-complete and abort
//!                          reach them here
//! conductor_objects.rs     every DB read/write, as object calls through the conductor
//! conductor_migrations.rs  the Migration object calls among them
//! conductor_move_objects.rs  the move flows' calls: Instance with flavors, Migration.save,
//!                          MigrationList.get_in_progress_by_host_and_node
//! servicegroup.rs          heartbeats through the conductor
//! ```
//!
//! Dependency order inside: `manager` and `definition` on the flow files, the flow files
//! on `flows`, `operation_failure` and the leaves (`instance_states`, `instance_locks`,
//! `fake_driver`, `conductor_objects`, `resource_tracker`); nothing points back up.

mod conductor_migrations;
mod conductor_move_objects;
mod conductor_objects;
mod definition;
mod diagnostics;
mod evacuated_cleanup;
pub mod fake_driver;
mod fake_driver_guest_ops;
mod fake_driver_live_migration;
mod fake_guest_files;
mod flows;
mod image_service;
mod init_host;
mod init_instance_action;
mod instance_build;
mod instance_deferred_delete;
mod instance_evacuate;
mod instance_events;
mod instance_guest_requests;
mod instance_live_migration;
mod instance_locks;
mod instance_pause;
mod instance_power;
mod instance_reboot;
mod instance_rebuild;
mod instance_rescue;
mod instance_resize;
mod instance_resize_autoconfirm;
mod instance_resize_confirm;
mod instance_resize_reschedule;
mod instance_shelve;
mod instance_snapshot;
mod instance_states;
mod instance_terminate;
mod live_migration_controls;
mod manager;
mod manager_deferred_delete;
mod manager_instance_ops;
mod manager_live_migration;
mod manager_resize;
mod manager_shelve;
mod manager_snapshot;
mod node_identity;
mod operation_failure;
mod periodic_tasks;
mod placement_report;
pub mod resource_tracker;
mod resource_tracker_moves;
pub mod servicegroup;

pub use conductor_objects::{ConductorObjects, Expected, ObjectCallError};
pub use definition::{definition, definitions};
pub use manager::{ComputeManager, MANAGER_VERSION};
