//! Nova's four services as names: the console-script binary, the `--actors` name, the topic,
//! and `Service.create`'s spec. What each service is made of lives in its own folder; which
//! of them a process hosts is `deployment.rs`.

use novactor::service::ServiceSpec;

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
        if self == Self::Compute {
            // Nova 34's compute serves `compute-alt` too: a control plane that sees service
            // version 74 sends migrations and external events there.
            spec.alternate_topics = vec![crate::rpcapi::compute::COMPUTE_ALT_TOPIC.to_owned()];
        }
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
