//! Where the instance flows run: in one process (`memory://`, SQLite in a temp dir) or over
//! RabbitMQ and PostgreSQL; and the turns clouds on one RabbitMQ take.

use std::sync::{Arc, OnceLock};

use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::common::{Backend, Broker};
use crate::nova::{fresh_nova_db, FreshNovaDb};

/// A broker and a database server for one cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deployment {
    /// `memory://` and SQLite.
    InProcess,
    /// The test RabbitMQ and PostgreSQL.
    RabbitPostgres,
}

impl Deployment {
    pub(crate) fn broker(self) -> Broker {
        match self {
            Deployment::InProcess => Broker::Memory,
            Deployment::RabbitPostgres => Broker::Rabbit,
        }
    }

    pub(crate) fn backend(self) -> Backend {
        match self {
            Deployment::InProcess => Backend::Sqlite,
            Deployment::RabbitPostgres => Backend::Postgres,
        }
    }

    /// A fresh database with Nova's schema (`novactor_flows_<hex>` on a server).
    pub(crate) async fn database(self) -> FreshNovaDb {
        fresh_nova_db(self.backend(), "novactor_flows").await
    }
}

/// Held for a test's life while it runs Nova's services over RabbitMQ: Nova's topic queues
/// (`conductor`, `scheduler`) are named without the exchange, so concurrent clouds on one
/// broker would serve each other's requests; they take turns instead.
pub(crate) async fn nova_on_rabbit_turn() -> OwnedMutexGuard<()> {
    static TURNS: OnceLock<Arc<Mutex<()>>> = OnceLock::new();
    Arc::clone(TURNS.get_or_init(Arc::default))
        .lock_owned()
        .await
}
