//! `nova-scheduler` as an actor (Nova: `nova/scheduler/manager.py` `SchedulerManager`). Its
//! wire contract (argument structs, proxy) is `rpcapi/scheduler.rs`; this folder serves it.
//!
//! ```text
//! manager.rs            SchedulerManager: endpoint (null namespace 4.5 + baseapi), handlers
//! definition.rs         how the supervisor hosts it ([scheduler] workers, one shared state)
//! scheduler_state.rs    SchedulerState: host states + instance view behind one lock
//! scheduler_options.rs  SchedulerOptions: the options read once per incarnation
//! host_manager.rs       HostManager: refresh from rows, select + consume
//! host_state.rs         HostState: one node's resources, consumption, service status
//! host_rows.rs          reading compute_nodes + services: all, or what changed since
//! filters.rs            ComputeFilter, RamFilter, DiskFilter, CoreFilter, SameHostFilter,
//!                       DifferentHostFilter, the server group filters, ignore_hosts
//! weights.rs            RAMWeigher, the soft-(anti-)affinity weighers, Nova's normalization
//! instance_placement.rs where the instances a request's hints and group name run
//! instance_info.rs      per-host instance view kept by the compute fanouts
//! ```
//!
//! Dependency order inside: `definition` → `manager` → `scheduler_state` → `host_manager`
//! → `filters`, `weights`, `host_rows` → `host_state` → `scheduler_options`;
//! `instance_info` and `instance_placement` are leaves.
//!
//! ## Why concurrent requests never double-book
//!
//! `select_destinations` must not block the actor while it reads the database, yet two
//! requests in flight must not both take the last room on a host. The handler therefore
//! works in two steps: (1) an `await`ed read of the `compute_nodes` and `nova-compute`
//! `services` rows, which any number of requests may do at once, then (2) one synchronous
//! section that takes the [`SchedulerState`] lock, refreshes the host states from those
//! rows, filters, weighs, picks and consumes, and releases the lock — never held across an
//! `await`. A request whose rows are older than another's consumption does not undo it:
//! a host state is only rebuilt from a row newer than the state (see `host_manager.rs`).
//! So the decisions are serialized exactly as Nova's single-threaded `_schedule` is,
//! while the I/O overlaps.
//!
//! The state is shared by every worker (`[scheduler] workers`) and every incarnation of
//! this definition: it is a cache of the database plus what this process placed since the
//! computes last reported, and dropping it on a restart would only forget consumptions
//! (Nova loses them too when its process restarts). A panic while the lock is held would
//! leave it half-updated, so a poisoned lock is cleared and the state reset to empty; the
//! next request rebuilds it from the database.
//!
//! The per-host instance view (`instance_info.rs`) lives under the same lock; nothing in the
//! slice reads it for placement (no affinity filters), it is kept for Nova parity and so
//! `sync_instance_info` behaves as Nova's.

mod definition;
pub mod filters;
pub mod host_manager;
pub mod host_rows;
pub mod host_state;
pub mod instance_info;
pub mod instance_placement;
mod manager;
pub mod scheduler_options;
mod scheduler_state;
pub mod weights;

pub use definition::{definition, definition_with_state};
pub use manager::{SchedulerManager, MANAGER_VERSION, NO_VALID_HOST};
pub use scheduler_state::SchedulerState;
