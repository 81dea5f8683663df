//! `nova-conductor` as an actor: the database's front door for services without one, and
//! the multi-service `compute_task` flows. Its wire contract (argument structs, proxies) is
//! `rpcapi/conductor.rs` and `rpcapi/compute_task.rs`; this folder serves it.
//!
//! ```text
//! manager.rs     ConductorManager: endpoints (null namespace 3.0, compute_task 1.26,
//!                baseapi) and their handlers
//! definition.rs  how the supervisor hosts it ([conductor] workers, the flows' proxies)
//! objects.rs     object indirection: the (object, method) registry run against NovaDb
//! tasks.rs       compute_task flows: schedule_and_build_instances, build_instances
//! rebuild.rs     rebuild_instance: a rebuild in place, cast to the instance's host
//! shelve.rs      unshelve_instance: power on in place, or schedule and cast to a compute
//! evacuate.rs    rebuild_instance with recreate: an evacuation, scheduled or forced
//! migrate.rs     migrate_server: cold migration and resize (migration record, scheduling,
//!                prep_resize to the destination)
//! live_migrate.rs live_migrate_instance: the live migration record, checks and
//!                destination, then the cast to the source
//! group_setup.rs setup_instance_group: the spec's server group as the database has it
//! ```
//!
//! Dependency order inside: `definition` → `manager` → `rebuild` → `evacuate` → `objects`,
//! `tasks` → `group_setup`.

mod definition;
pub mod evacuate;
mod group_setup;
pub mod live_migrate;
mod manager;
pub mod migrate;
pub mod objects;
pub mod rebuild;
pub mod shelve;
pub mod tasks;

pub use definition::definition;
pub use manager::{ConductorManager, MANAGER_VERSION};
