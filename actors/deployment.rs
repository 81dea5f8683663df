//! Which services a process hosts: their definitions for the supervisor, in start order
//! (the composition `novactor run` and the tests use).

use std::sync::Arc;

use novactor::service::ServiceDefinition;

use crate::conf::NovaConfig;
use crate::nova_service::NovaService;
use crate::{api, compute, conductor, db, scheduler};

/// `service`'s definition for the supervisor; services with database access use `db`
/// (a compute reports to placement when `[placement]` is configured).
pub fn definition(
    service: NovaService,
    config: &NovaConfig,
    db: &db::NovaDb,
) -> Result<Arc<ServiceDefinition>, DeploymentError> {
    Ok(match service {
        NovaService::Conductor => conductor::definition(config, db),
        NovaService::Scheduler => scheduler::definition(config, db),
        NovaService::Compute => {
            compute::definition(config, crate::placement::ReportClient::from_config(config)?)
        }
        NovaService::Api => api::definition(config, db)?,
    })
}

/// Why the services could not be defined.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// A service that needs the database was asked for without one.
    #[error("{0:?} needs the database, and none was opened")]
    MissingDatabase(NovaService),
    /// The API's access control cannot be set up (`[keystone_authtoken]`, the policy file).
    #[error("the compute API: {0}")]
    ApiAccess(#[from] crate::api::access::AccessError),
    /// `[placement]` is configured but its client cannot be built.
    #[error("[placement]: {0}")]
    Placement(#[from] crate::placement::PlacementError),
}

/// Definitions of `selected`, in start order, each once. `db` may be `None` when no
/// selected service needs it (a compute-only process opens no database at all).
pub fn definitions(
    config: &NovaConfig,
    selected: &[NovaService],
    db: Option<&db::NovaDb>,
) -> Result<Vec<Arc<ServiceDefinition>>, DeploymentError> {
    let mut services = selected.to_vec();
    services.sort();
    services.dedup();
    services
        .into_iter()
        .map(|service| match (service, db) {
            (NovaService::Compute, _) => Ok(compute::definitions(config)?),
            (service, Some(db)) => Ok(vec![definition(service, config, db)?]),
            (service, None) => Err(DeploymentError::MissingDatabase(service)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|groups| groups.into_iter().flatten().collect())
}
