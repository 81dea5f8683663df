//! Nova's control-plane services as novactor actors. Everything Nova-specific lives here:
//! binaries, topics, namespaces, RPC method names, `nova.exception` classes.
//!
//! | Nova binary | topic | RPC endpoints (namespace → version) | folder |
//! |---|---|---|---|
//! | `nova-conductor` | `conductor` | null → 3.0, `compute_task` → 1.26, `baseapi` → 1.1 | `conductor/` |
//! | `nova-scheduler` | `scheduler` | null → 4.5, `baseapi` → 1.1 | `scheduler/` |
//! | `nova-compute` | `compute` | null → 6.5, `baseapi` → 1.1 | `compute/` |
//! | `nova-api` | none (as in Nova) | none | `api/` |
//!
//! The services talk through `rpcapi/` (per API: target, version history, one argument
//! struct per method, the proxy) and share `objects/`, `db/` and `exception.rs`; they never
//! import each other, so the order is: `exception`, `conf` → `objects`, `db` → `rpcapi` →
//! `conductor`, `scheduler`, `compute` → `api` → `app`.

pub mod api;
pub mod app;
pub mod cli;
pub mod compute;
pub mod conductor;
pub mod conf;
pub mod db;
pub mod exception;
pub mod manage;
pub mod objects;
pub mod rpcapi;
pub mod scheduler;

use std::sync::Arc;

use novactor::service::{ServiceDefinition, ServiceSpec};

use crate::conf::NovaConfig;

/// The four services, in start order (dependencies first; stop is the reverse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum NovaService {
    /// `nova-conductor`.
    Conductor,
    /// `nova-scheduler`.
    Scheduler,
    /// `nova-compute`.
    Compute,
    /// `nova-api`.
    Api,
}

impl NovaService {
    /// Every service, in start order.
    pub const ALL: [Self; 4] = [Self::Conductor, Self::Scheduler, Self::Compute, Self::Api];

    /// Actor name, as in `--actors`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Conductor => "conductor",
            Self::Scheduler => "scheduler",
            Self::Compute => "compute",
            Self::Api => "api",
        }
    }

    /// Nova's binary name: `nova-<name>`.
    pub fn binary(self) -> &'static str {
        match self {
            Self::Conductor => "nova-conductor",
            Self::Scheduler => "nova-scheduler",
            Self::Compute => "nova-compute",
            Self::Api => "nova-api",
        }
    }

    /// The service a console-script name stands for (`nova-compute` → compute), as Nova
    /// picks the service from the binary; any directory part is ignored.
    pub fn from_program_name(program: &str) -> Option<Self> {
        let base = program.rsplit('/').next().unwrap_or(program);
        Self::ALL.into_iter().find(|s| s.binary() == base)
    }

    /// Nova `Service.create` defaults for this service: topic = binary minus `nova-` (none
    /// for the api, which consumes no topic and reports no state), `report_interval`,
    /// `periodic_enable`, `periodic_fuzzy_delay`.
    pub fn spec(self, config: &NovaConfig) -> ServiceSpec {
        let binary = self.binary();
        let topic = match self {
            Self::Api => None,
            _ => binary.strip_prefix("nova-"),
        };
        let mut spec = ServiceSpec::new(self.name(), binary, topic, config.runtime());
        spec.report_interval = topic.map(|_| config.service.report_interval);
        spec.periodic_enable = config.service.periodic_enable;
        spec.periodic_fuzzy_delay = config.service.periodic_fuzzy_delay;
        spec
    }

    /// True for the services that use the database directly (all but compute, which
    /// goes through the conductor).
    pub fn needs_database(self) -> bool {
        !matches!(self, Self::Compute)
    }

    /// This service's definition for the supervisor; services with database access use `db`.
    pub fn definition(self, config: &NovaConfig, db: &db::NovaDb) -> Arc<ServiceDefinition> {
        match self {
            Self::Conductor => conductor::definition(config, db),
            Self::Scheduler => scheduler::definition(config, db),
            Self::Compute => compute::definition(config),
            Self::Api => api::definition(config, db),
        }
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
            (service, Some(db)) => Ok(vec![service.definition(config, db)]),
            (service, None) => Err(MissingDatabase(service)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|groups| groups.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_map_to_services() {
        assert_eq!(
            NovaService::from_program_name("/usr/bin/nova-compute"),
            Some(NovaService::Compute)
        );
        assert_eq!(
            NovaService::from_program_name("nova-api"),
            Some(NovaService::Api)
        );
        assert_eq!(NovaService::from_program_name("novactor"), None);
    }

    #[test]
    fn specs_follow_service_create_defaults() {
        let config = NovaConfig::with_overrides(&[("DEFAULT", "host", "node7")]).unwrap();
        let spec = NovaService::Compute.spec(&config);
        assert_eq!(spec.binary, "nova-compute");
        assert_eq!(spec.topic.as_deref(), Some("compute"));
        assert_eq!(spec.host, "node7");
        assert_eq!(spec.report_interval, Some(config.service.report_interval));
        let api = NovaService::Api.spec(&config);
        assert_eq!(api.topic, None);
        assert_eq!(api.report_interval, None);
    }
}
