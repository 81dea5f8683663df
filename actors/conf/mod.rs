//! Nova's configuration, as `nova/conf` holds it: Nova's option table, registered with the
//! runtime's options into one registry, and the typed groups the services read.
//!
//! ```text
//! conf/options.rs  NOVA_OPTIONS (data) and NOVA_DEFAULTS (Nova's set_defaults)
//! conf/auth_options.rs  keystone logins, [api] auth_strategy, [keystone_authtoken], [oslo_policy]
//! conf/auth_groups.rs   AuthConf: how the API authenticates (noauth2 / Keystone) and its policy file
//! conf/groups.rs   ServiceConf, ApiConf, ConductorConf, SchedulerConf, ComputeConf, FakeDriverConf,
//!                  PlacementConf (keystoneauth's [placement] options, checked per auth plugin)
//! conf/lab_network.rs   [lab_network]: LabNetworkConf, the built-in network, and its pools' arithmetic
//! ```
//!
//! [`NovaConfig`] is what Nova's code takes: the runtime's [`Config`] (messaging, database,
//! supervisor, dashboard, and every raw value) plus Nova's typed groups, built once at load.

mod auth_groups;
mod auth_options;
mod groups;
mod lab_network;
mod options;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use novactor::config::{Config, ConfigError, ConfigSources, OptionNote, OptionRegistry};

pub use auth_groups::{
    AuthConf, AuthStrategy, AuthTokenConf, KeystonePassword, NameOrId, ProjectScope,
};
pub use groups::{
    AllocationRatio, ApiConf, ComputeConf, ConductorConf, FakeDriverConf, InjectedFileQuota,
    PlacementAuth, PlacementConf, SchedulerConf, ServiceConf, ServiceZones,
};
pub use lab_network::{LabNetworkConf, LAB_NETWORK_OPTIONS};
pub use options::{FAKE_COMPUTE_DRIVER, NOVA_DEFAULTS, NOVA_OPTIONS};

/// The project name oslo.config is given: `./nova.conf`, `/etc/nova/nova.conf`.
pub const PROJECT: &str = "nova";

static REGISTRY: LazyLock<Arc<OptionRegistry>> = LazyLock::new(|| {
    let registry = NOVA_DEFAULTS.iter().fold(
        OptionRegistry::runtime()
            .with_table(NOVA_OPTIONS)
            .with_table(&auth_options::PLACEMENT_LOGIN_OPTIONS)
            .with_table(&auth_options::AUTHTOKEN_LOGIN_OPTIONS)
            .with_table(auth_options::AUTH_OPTIONS)
            .with_table(lab_network::LAB_NETWORK_OPTIONS),
        |registry, (group, name, default)| registry.with_default(group, name, *default),
    );
    Arc::new(registry)
});

/// Every option a novactor process reads: the runtime's and Nova's, with Nova's defaults.
pub fn registry() -> Arc<OptionRegistry> {
    Arc::clone(&REGISTRY)
}

/// Nova's search for its file when none is given: `./nova.conf`, then `/etc/nova/nova.conf`.
pub fn sources() -> ConfigSources {
    ConfigSources::for_project(PROJECT)
}

/// The runtime's configuration plus Nova's typed groups. It dereferences to the runtime's
/// [`Config`], so `config.default.rpc_response_timeout` or `config.database` read the
/// runtime's groups and `config.service`, `config.api`, … Nova's.
#[derive(Debug, Clone)]
pub struct NovaConfig {
    runtime: Arc<Config>,
    /// Service model: heartbeats, periodic tasks, state path, long RPC timeout.
    pub service: ServiceConf,
    /// The compute API.
    pub api: ApiConf,
    /// `[conductor]`.
    pub conductor: ConductorConf,
    /// `[scheduler]` and `[filter_scheduler]`.
    pub scheduler: SchedulerConf,
    /// Compute nodes.
    pub compute: ComputeConf,
    /// `[fake_driver]`.
    pub fake_driver: FakeDriverConf,
    /// `[placement]`; `None` when `auth_type` is unset (placement not configured).
    pub placement: Option<PlacementConf>,
    /// `[lab_network]`: the built-in network servers get their addresses from.
    pub lab_network: LabNetworkConf,
}

impl std::ops::Deref for NovaConfig {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.runtime
    }
}

/// What [`NovaConfig::load`] produced, and what it read.
#[derive(Debug, Clone)]
pub struct LoadedNovaConfig {
    /// The configuration.
    pub config: NovaConfig,
    /// Unknown options (one line per source) and Nova's `service_down_time` adjustment.
    /// Log each at WARN.
    pub warnings: Vec<String>,
    /// The files actually read, in order (re-read them on SIGHUP).
    pub files: Vec<PathBuf>,
}

impl NovaConfig {
    /// Reads `sources` with every option novactor knows and builds Nova's groups.
    pub fn load(sources: &ConfigSources) -> Result<LoadedNovaConfig, ConfigError> {
        let loaded = Config::load(sources, &registry())?;
        let (mut config, mut warnings) = Self::from_runtime(loaded.config)?;
        config.api.auth.policy_file = find_beside(&config.api.auth.policy_file, &loaded.files);
        warnings.splice(0..0, loaded.warnings);
        Ok(LoadedNovaConfig {
            config,
            warnings,
            files: loaded.files,
        })
    }

    /// Nova's groups over `runtime`, which must have been loaded with [`registry`]; also
    /// returns the warnings of Nova's cross-option rules.
    pub fn from_runtime(mut runtime: Config) -> Result<(NovaConfig, Vec<String>), ConfigError> {
        let warnings = Self::check(&mut runtime)?;
        let groups = groups::build(&runtime.reader())?;
        let lab_network = lab_network::build(&runtime.reader())?;
        let config = NovaConfig {
            runtime: Arc::new(runtime),
            service: groups.service,
            api: groups.api,
            conductor: groups.conductor,
            scheduler: groups.scheduler,
            compute: groups.compute,
            fake_driver: groups.fake_driver,
            placement: groups.placement,
            lab_network,
        };
        Ok((config, warnings))
    }

    /// Nova's rules on a loaded configuration, for start and SIGHUP alike: the typed groups
    /// must build; an adjusted `service_down_time` is noted where `config show` prints it.
    pub fn check(runtime: &mut Config) -> Result<Vec<String>, ConfigError> {
        let groups = groups::build(&runtime.reader())?;
        lab_network::build(&runtime.reader())?;
        let service = &groups.service;
        if service.service_down_time != service.service_down_time_configured {
            runtime.annotate(OptionNote {
                group: "DEFAULT",
                name: "service_down_time",
                note: format!(
                    "effective {} after Nova's adjustment to report_interval",
                    service.service_down_time.as_secs()
                ),
            });
        }
        Ok(groups.warnings)
    }

    /// Defaults plus `overrides` (`(group, name, value)`, as command-line overrides), no file
    /// and no environment. For tests and embedding.
    pub fn with_overrides(overrides: &[(&str, &str, &str)]) -> Result<NovaConfig, ConfigError> {
        let runtime = Config::with_overrides_in(&registry(), overrides)?;
        Self::from_runtime(runtime).map(|(config, _warnings)| config)
    }

    /// The defaults only.
    ///
    /// # Panics
    /// Only if a registered default is invalid, which the unit tests rule out.
    pub fn default_for_tests() -> NovaConfig {
        match Self::with_overrides(&[]) {
            Ok(config) => config,
            Err(e) => panic!("novactor's built-in defaults are invalid: {e}"),
        }
    }

    /// The runtime's part: messaging, database, supervisor, dashboard and every raw value.
    pub fn runtime(&self) -> &Arc<Config> {
        &self.runtime
    }

    /// `[DEFAULT] host`.
    pub fn host(&self) -> &str {
        &self.runtime.default.host
    }
}

/// oslo.config's `find_file` for a relative path: beside the configuration files read (in
/// order), then in `/etc/nova`; unchanged (relative to the working directory) when none has it.
fn find_beside(path: &std::path::Path, files: &[PathBuf]) -> PathBuf {
    if path.is_absolute() {
        return path.to_owned();
    }
    files
        .iter()
        .filter_map(|file| file.parent())
        .chain([std::path::Path::new("/etc/nova")])
        .map(|dir| dir.join(path))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| path.to_owned())
}

/// The header of `conf/nova.conf`, the sample `novactor config sample` prints.
pub const SAMPLE_HEADER: &str = "\
# nova.conf sample for novactor: every option novactor reads, with its default.
#
# Generated from the option tables (src/config/runtime_options.rs and
# actors/conf/options.rs); do not edit by hand.
# Regenerate with: cargo run -- config sample > conf/nova.conf
#
# Use it:
#     novactor run --config-file conf/nova.conf
# Every option below is commented out, so this runs the whole control plane on
# the defaults: all four actors in one process over the in-process memory://
# transport. You should see one 'actor ready' log line per actor (conductor,
# scheduler, compute, api), and `novactor config show` report every option with
# `(default)` as its
# source. Uncomment a line and change its value to override that default; later
# files, OS_<GROUP>__<OPTION> environment variables and command-line flags
# override this file, in that order.
#
# Options novactor does not read (a full Nova nova.conf has hundreds) are
# ignored with one warning per file, so an existing nova.conf works as is.
";

/// The sample nova.conf text (`conf/nova.conf`).
pub fn sample() -> String {
    novactor::config::sample_config(&registry(), SAMPLE_HEADER)
}
