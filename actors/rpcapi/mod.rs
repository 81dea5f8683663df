//! The RPC APIs between Nova's services, one file per API: its target, its version history
//! (as Nova's `rpcapi.py` keeps it), one argument struct per method — which the proxy encodes
//! and the serving handler decodes, so a method's name and argument names are spelled once —
//! and the typed client proxy. Services and the api depend on this folder, never on each
//! other: a service's handlers live in its own folder, its wire contract here.
//!
//! ```text
//! rpc_args.rs      RpcArgs: a method's arguments, encoded by a proxy and decoded by a
//!                  handler with oslo's TypeError / ValueError replies; call() / cast()
//! baseapi.rs       every service's base API (ping, get_backdoor_port): both sides
//! conductor.rs     ConductorApi: object indirection (3.0), wait_until_ready
//! compute_task.rs  ComputeTaskApi: the conductor's compute_task flows (1.17, 1.19)
//! scheduler.rs     SchedulerApi: select_destinations, the instance-info fanouts
//! compute.rs       ComputeApi: build, terminate, stop, start, reboot, uptime (6.0)
//! compute_instance_ops.rs  pause, suspend, rescue, password, console, crash dump (6.0)
//! compute_deferred_delete.rs  soft_delete_instance, restore_instance (6.0)
//! compute_rebuild.rs  rebuild_instance: conductor (1.25) and compute (6.2)
//! compute_shelve.rs  shelve, shelve_offload, unshelve (6.0); conductor unshelve (1.14)
//! compute_snapshot.rs snapshot_instance, backup_instance, inject_network_info (6.0)
//! compute_resize.rs   migrate_server (conductor 1.20); prep_resize … finish_revert_resize (6.0)
//! compute_live_migration.rs  live_migrate_instance (1.15) and the computes' live
//!                  migration methods (6.0)
//! ```

pub mod baseapi;
pub mod compute;
pub mod compute_deferred_delete;
pub mod compute_instance_ops;
pub mod compute_live_migration;
pub mod compute_rebuild;
pub mod compute_resize;
pub mod compute_shelve;
pub mod compute_snapshot;
pub mod compute_task;
pub mod conductor;
pub mod rpc_args;
pub mod scheduler;

pub use baseapi::BaseApi;
pub use compute::ComputeApi;
pub use compute_task::ComputeTaskApi;
pub use conductor::{wait_until_ready, ConductorApi, IndirectionError};
pub use rpc_args::RpcArgs;
pub use scheduler::SchedulerApi;
