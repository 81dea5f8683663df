//! Which services a process hosts: their definitions for the supervisor, in start order
//! (the composition `novactor run` and the tests use).

use std::sync::Arc;

use novactor::service::ServiceDefinition;

use crate::conf::NovaConfig;
use crate::nova_service::NovaService;
use crate::{api, compute, conductor, db, scheduler};

/// `service`'s definition for the supervisor; services with database access use `db`.
pub fn definition(
    service: NovaService,
    config: &NovaConfig,
    db: &db::NovaDb,
) -> Arc<ServiceDefinition> {
    match service {
        NovaService::Conductor => conductor::definition(config, db),
        NovaService::Scheduler => scheduler::definition(config, db),
        NovaService::Compute => compute::definition(config),
        NovaService::Api => api::definition(config, db),
    }
}

/// A service that needs the database was asked for without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} needs the database, and none was opened")]
pub struct MissingDatabase(pub NovaService);

/// Definitions of `selected`, in start order, each once. `db` may be `None` when no
/// selected service needs it (a compute-only process opens no database at all).
pub fn definitions(
    config: &NovaConfig,
    selected: &[NovaService],
    db: Option<&db::NovaDb>,
) -> Result<Vec<Arc<ServiceDefinition>>, MissingDatabase> {
    let mut services = selected.to_vec();
    services.sort();
    services.dedup();
    services
        .into_iter()
        .map(|service| match (service, db) {
            (NovaService::Compute, _) => Ok(compute::definitions(config)),
            (service, Some(db)) => Ok(vec![definition(service, config, db)]),
            (service, None) => Err(MissingDatabase(service)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|groups| groups.into_iter().flatten().collect())
}
