//! Nova's instance flows end to end over RabbitMQ and PostgreSQL (each test its own
//! exchange, topics-by-host and fresh database `novactor_flows_<hex>`, dropped at the end).

mod common;

use common::*;

const BROKER: Broker = Broker::Rabbit;

#[path = "common/postgres.rs"]
mod postgres;

/// Drops the test database when the test ends.
type Guard = postgres::FreshPostgres;

async fn database(_config: &novactor_nova::conf::NovaConfig) -> (novactor_nova::db::NovaDb, Guard) {
    let fresh = postgres::fresh_postgres("novactor_flows").await;
    (fresh.db.clone(), fresh)
}

include!("scenarios/flows.rs");
