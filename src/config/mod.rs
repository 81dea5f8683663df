//! nova.conf: the options novactor reads, where their values come from, and the typed view the
//! rest of the crate uses. oslo.config semantics, as Nova's `config.parse_args` applies them:
//! defaults < config files < `OS_<GROUP>__<OPTION>` environment < command line; unknown options
//! are warnings (a real nova.conf has hundreds novactor ignores), invalid values are errors
//! naming the source, option, value and expected type.
//!
//! Layout, one concept per file:
//! ```text
//! option_registry.rs     OptionSpec table: every option, its type, default, help, Nova source
//! config_sources.rs      ConfigSources: files, config dirs, env, CLI → raw values with origins
//! value_interpolation.rs $option / ${group.option} / $$ substitution
//! option_value.rs        raw string → typed value (oslo types.py); URL password masking
//! option_groups.rs       typed view: DefaultOptions, ApiOptions, WorkersOptions, DatabaseOptions,
//!                        SupervisorOptions
//! rabbit_options.rs      typed view of [oslo_messaging_rabbit]: RabbitOptions, transport_url query
//! secret_url.rs          ServerUrl (transport_url / [database] connection parser), URL masking,
//!                        SecretUrl, a URL whose Debug/Display hide the password
//! config_sample.rs       sample_config(), the generated conf/nova.conf
//! config_error.rs        ConfigError, ValueOrigin
//! ```
//! Logging is left to the caller: `Config::load` returns warnings, `main` logs them once.

mod config_error;
mod config_sample;
mod config_sources;
mod option_groups;
mod option_registry;
mod option_value;
mod rabbit_options;
mod secret_url;
mod value_interpolation;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;

pub use config_error::{ConfigError, ValueOrigin};
pub use config_sample::sample_config;
pub use config_sources::{CliOverride, ConfigSources};
pub use option_groups::{
    ApiOptions, DashboardOptions, DatabaseOptions, DefaultOptions, RestartType, SecretString,
    SupervisorOptions, WorkersOptions,
};
pub use option_registry::{option_spec, registry, OptionDefault, OptionKind, OptionSpec};
pub use option_value::mask_url;
pub use rabbit_options::{
    FailoverStrategy, LoginMethod, RabbitOptions, MAX_TRANSIENT_QUEUES_TTL_SECS,
};
pub use secret_url::{SecretUrl, ServerHost, ServerUrl, ServerUrlError};

use config_sources::{normalize_group, RawValues};
use option_value::masked;

/// The effective configuration: typed groups plus every raw value (known or not) with its
/// origin. `Debug` shows the typed groups only, with secrets masked.
#[derive(Clone)]
pub struct Config {
    /// `[DEFAULT]` (service identity, RPC, heartbeats, periodic tasks, logging, paths).
    pub default: DefaultOptions,
    /// The compute API options (in nova.conf's `[DEFAULT]`, as in Nova).
    pub api: ApiOptions,
    /// `[conductor]`.
    pub conductor: WorkersOptions,
    /// `[scheduler]`.
    pub scheduler: WorkersOptions,
    /// `[database]`, oslo.db's options: the database URL and pool.
    pub database: DatabaseOptions,
    /// `[oslo_messaging_rabbit]`, the RabbitMQ driver (before any `transport_url` query
    /// override: see `RabbitOptions::with_url_query`).
    pub oslo_messaging_rabbit: RabbitOptions,
    /// `[supervisor]`, novactor's own group.
    pub supervisor: SupervisorOptions,
    /// `[dashboard]`, novactor's operator endpoint.
    pub dashboard: DashboardOptions,
    /// Every option's effective raw value (interpolated for known options) and origin.
    values: RawValues,
}

/// What `Config::load` produced, and what it read.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration.
    pub config: Config,
    /// Things the operator should see but that do not stop the process: unknown options
    /// (one line per source) and Nova's `service_down_time` adjustment. Log each at WARN.
    pub warnings: Vec<String>,
    /// The files actually read, in order (re-read them on SIGHUP).
    pub files: Vec<PathBuf>,
}

/// One option whose effective value differs between two configurations (values masked;
/// `None` = unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChange {
    /// Option group.
    pub group: &'static str,
    /// Option name.
    pub name: &'static str,
    /// Value before.
    pub old: Option<String>,
    /// Value after.
    pub new: Option<String>,
}

impl fmt::Display for OptionChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "<None>".to_owned());
        write!(
            f,
            "[{}] {}: {} -> {}",
            self.group,
            self.name,
            show(&self.old),
            show(&self.new)
        )
    }
}

impl Config {
    /// Reads every source, validates every option novactor knows, and builds the typed view.
    pub fn load(sources: &ConfigSources) -> Result<LoadedConfig, ConfigError> {
        let collected = config_sources::collect(sources)?;
        let values = value_interpolation::interpolate_all(&collected.values)?;
        option_groups::validate_all(&values)?;
        let typed = option_groups::build(&values)?;
        let mut warnings = collected.warnings;
        warnings.extend(typed.warnings);
        let config = Config {
            default: typed.default,
            api: typed.api,
            conductor: typed.conductor,
            scheduler: typed.scheduler,
            database: typed.database,
            oslo_messaging_rabbit: typed.oslo_messaging_rabbit,
            supervisor: typed.supervisor,
            dashboard: typed.dashboard,
            values,
        };
        Ok(LoadedConfig {
            config,
            warnings,
            files: collected.files,
        })
    }

    /// Defaults plus `overrides` (`(group, name, value)`, applied as command-line overrides),
    /// without reading any file or the process environment; validated like `load`. For tests
    /// and embedding: `Config::with_overrides(&[("DEFAULT", "host", "node1")])?`. Unknown
    /// options (e.g. `("test", "spacing", "5")`) are kept for `raw` without a warning.
    pub fn with_overrides(overrides: &[(&str, &str, &str)]) -> Result<Config, ConfigError> {
        let sources = ConfigSources {
            default_search: Vec::new(),
            cli: overrides
                .iter()
                .map(|(group, name, value)| CliOverride::new(*group, *name, *value))
                .collect(),
            ..ConfigSources::default()
        };
        Config::load(&sources).map(|loaded| loaded.config)
    }

    /// The defaults only (no file, no environment; `state_path` is `./novactor-state`).
    ///
    /// # Panics
    /// Only if a registry default is invalid, which the unit tests rule out.
    pub fn default_for_tests() -> Config {
        match Config::with_overrides(&[]) {
            Ok(config) => config,
            Err(e) => panic!("novactor's built-in defaults are invalid: {e}"),
        }
    }

    /// The effective raw string of any option, known or not (`[DEFAULT]` in any case; option
    /// names any case). Known options are interpolated; `None` if nothing set it.
    pub fn raw(&self, group: &str, name: &str) -> Option<&str> {
        let key = (normalize_group(group), name.trim().to_lowercase());
        self.values.get(&key).map(|e| e.value.as_str())
    }

    /// The effective text of a known option: its set value, else its registry default
    /// (`None` when unset without one). Values were validated against their type at load,
    /// so the typed accessors below parse them without surprises.
    pub fn value(&self, group: &str, name: &str) -> Option<String> {
        if let Some(value) = self.raw(group, name) {
            return Some(value.to_owned());
        }
        let group = config_sources::normalize_group(group);
        match option_spec(&group, &name.trim().to_lowercase())?.default {
            OptionDefault::Value(value) => Some(value.to_owned()),
            _ => None,
        }
    }

    /// A known integer option (see [`Config::value`]).
    pub fn integer(&self, group: &str, name: &str) -> Option<i64> {
        self.value(group, name)?.trim().parse().ok()
    }

    /// A known float option (see [`Config::value`]).
    pub fn float(&self, group: &str, name: &str) -> Option<f64> {
        self.value(group, name)?.trim().parse().ok()
    }

    /// A known boolean option (see [`Config::value`]).
    pub fn boolean(&self, group: &str, name: &str) -> Option<bool> {
        option_value::parse_bool(&self.value(group, name)?)
    }

    /// Where the effective value of `[group] name` came from; `None` if unset.
    pub fn origin(&self, group: &str, name: &str) -> Option<&ValueOrigin> {
        let key = (normalize_group(group), name.trim().to_lowercase());
        self.values.get(&key).map(|e| &e.origin)
    }

    /// Every known option as `name = value  (source)`, grouped by `[section]`, secrets
    /// masked; unset options show `<None>`. For `novactor config show` and the state report.
    pub fn show(&self) -> String {
        let mut out = String::new();
        let mut current_group = "";
        for spec in registry() {
            if spec.group != current_group {
                if !out.is_empty() {
                    out.push('\n');
                }
                current_group = spec.group;
                out.push_str(&format!("[{current_group}]\n"));
            }
            let (value, source) = match self.values.get(&key_of(spec)) {
                Some(entry) => (masked(spec, &entry.value), entry.origin.label()),
                None => ("<None>".to_owned(), ValueOrigin::Default.label()),
            };
            let note = if spec.group == "DEFAULT"
                && spec.name == "service_down_time"
                && self.default.service_down_time != self.default.service_down_time_configured
            {
                format!(
                    "; effective {} after Nova's adjustment to report_interval",
                    self.default.service_down_time.as_secs()
                )
            } else {
                String::new()
            };
            out.push_str(&format!("{} = {value}  ({source}{note})\n", spec.name));
        }
        out
    }

    /// Mutable options (re-read on SIGHUP) whose value differs in `new`.
    pub fn mutable_changes(&self, new: &Config) -> Vec<OptionChange> {
        self.changes(new, true)
    }

    /// Options that differ in `new` but only take effect after a restart.
    pub fn immutable_changes(&self, new: &Config) -> Vec<OptionChange> {
        self.changes(new, false)
    }

    fn changes(&self, new: &Config, mutable: bool) -> Vec<OptionChange> {
        registry()
            .iter()
            .filter(|spec| spec.mutable == mutable)
            .filter_map(|spec| {
                let key = key_of(spec);
                let old = self.values.get(&key).map(|e| e.value.as_str());
                let new = new.values.get(&key).map(|e| e.value.as_str());
                // Compare real values (a new password is a change), report masked ones.
                (old != new).then(|| OptionChange {
                    group: spec.group,
                    name: spec.name,
                    old: old.map(|v| masked(spec, v)),
                    new: new.map(|v| masked(spec, v)),
                })
            })
            .collect()
    }
}

fn key_of(spec: &OptionSpec) -> (String, String) {
    (spec.group.to_owned(), spec.name.to_owned())
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("default", &self.default)
            .field("api", &self.api)
            .field("conductor", &self.conductor)
            .field("scheduler", &self.scheduler)
            .field("database", &self.database)
            .field("oslo_messaging_rabbit", &self.oslo_messaging_rabbit)
            .field("supervisor", &self.supervisor)
            .field("raw_values", &self.values.len())
            .finish()
    }
}
