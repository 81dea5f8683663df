//! Nova's database layer (actors/db over the runtime's pool and migrator), each scenario
//! run on SQLite (a file in a temp dir, as the embedded default), PostgreSQL and MariaDB:
//! module `sqlite`, `postgres` or `mysql` under the file of the scenario, e.g.
//! `services::postgres::disabling_a_service_does_not_touch_last_seen_up`. Every test gets a
//! database of its own (`novactor_test_<hex>` on the servers of `NOVACTOR_TEST_POSTGRES_URL`
//! and `NOVACTOR_TEST_MYSQL_URL`, defaults the local ones), dropped at the end; a server
//! that is down fails its tests, never skips them (`bash scripts/services.sh` starts both).

#[path = "../common/mod.rs"]
mod common;

mod scenario;

mod busy_threads;
mod compute_nodes;
mod images;
mod instance_groups;
mod instances;
mod key_pairs;
mod lab_network_ports;
mod migration_records;
mod schema_and_flavors;
mod services;
mod tags_and_action_pages;
