//! The runtime's supervision (src/supervisor, src/service, src/signals), a target of the
//! runtime package: echo test services on `memory://`, nothing of Nova. Restarts and
//! isolation after failures, periodic tasks on their own timers, graceful shutdown, a
//! real SIGTERM to this very process, actors on a pool of runtime threads, and the start
//! order (services one after another, the actors of one service together).

#[path = "../common/mod.rs"]
mod common;

mod actors_run_on_a_pool_of_threads;
mod periodic_tasks_run_on_their_own_timers;
mod restarts_and_isolates_failed_actors;
mod services_start_in_order_their_actors_together;
mod shutdown_drains_in_flight_calls;
mod sigterm_lets_in_flight_calls_finish;
