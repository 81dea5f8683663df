//! Nova's instance flows end to end in one process: memory transport, SQLite.

mod common;

use common::*;

const BROKER: Broker = Broker::Memory;

/// Keeps the SQLite directory alive for the test.
type Guard = tempfile::TempDir;

async fn database(config: &novactor_nova::conf::NovaConfig) -> (novactor_nova::db::NovaDb, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().to_str().unwrap().to_owned();
    let mut config = config.clone();
    config.service.state_path = std::path::PathBuf::from(state_path);
    (novactor_nova::db::open(&config).await.expect("SQLite"), dir)
}

include!("scenarios/flows.rs");
