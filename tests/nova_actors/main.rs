//! Nova's four services as actors (actors/compute, conductor, scheduler and their rpcapi),
//! in one process on `memory://` and SQLite: every actor answers `baseapi.ping`; the
//! compute runs Nova's instance flows through the conductor and settles interrupted
//! instances at `init_host`; computes without a database reach it through the conductor's
//! object indirection; the scheduler places instances with Nova's filters and weighers.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/nova.rs"]
mod nova;

mod conductor;

mod answer_ping;
mod compute_init_host_settles_interrupted_instances;
mod compute_runs_novas_instance_flows_through_the_conductor;
mod db_object_indirection_through_the_conductor;
mod scheduler_places_instances;
