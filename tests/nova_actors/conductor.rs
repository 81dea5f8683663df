//! The fixture of the conductor-backed tests: a conductor over an embedded SQLite database,
//! on a memory broker other nodes of the test can join (the compute tests start their
//! computes on the same transport).
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::Transport;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::conf::NovaConfig;
use novactor_nova::db::{DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::{definitions, NovaService};

/// The running conductor, its database and the shared transport.
pub struct Conductor {
    pub node: Node,
    pub db: NovaDb,
    pub transport: Arc<dyn Transport>,
}

/// Open `config`'s database, start a conductor with its heartbeats in the `services`
/// table, on a fresh memory transport.
pub async fn start_conductor(config: &NovaConfig) -> Conductor {
    let db = novactor_nova::db::open(config)
        .await
        .expect("embedded database");
    let transport: Arc<dyn Transport> = Arc::new(MemoryTransport::new());
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(
        Arc::clone(config.runtime()),
        Arc::clone(&transport),
        servicegroup,
    );
    let node = Node::start_with(
        env,
        definitions(config, &[NovaService::Conductor], Some(&db)).expect("definitions"),
    )
    .await
    .expect("conductor starts");
    Conductor {
        node,
        db,
        transport,
    }
}
