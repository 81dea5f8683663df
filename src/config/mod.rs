//! The configuration engine (oslo.config's semantics): the options a process reads, where
//! their values come from, and the typed view of the runtime's own groups. Values layer as
//! defaults < config files < `OS_<GROUP>__<OPTION>` environment < command line; unknown
//! options are warnings (a real service's file has hundreds a process ignores), invalid values
//! are errors naming the source, option, value and expected type.
//!
//! The runtime registers its own options (oslo.messaging, oslo.log, oslo.db, oslo.service,
//! `[supervisor]`, `[dashboard]`); an application adds its option tables and default overrides
//! to an [`OptionRegistry`] and loads with it, then builds its own typed structs through
//! [`Config::reader`].
//!
//! Layout, one concept per file:
//! ```text
//! option_spec.rs         OptionSpec, OptionKind, OptionDefault: what an option is
//! runtime_options.rs     the runtime's option table (data)
//! option_registry.rs     OptionRegistry: tables + default overrides, lookups
//! config_sources.rs      ConfigSources: files, config dirs, env, CLI → raw values with origins
//! value_interpolation.rs $option / ${group.option} / $$ substitution
//! option_value.rs        raw string → typed value (oslo types.py); URL password masking
//! option_reader.rs       OptionReader: typed reads of any registered option
//! option_groups.rs       the runtime's typed groups: DefaultOptions, DatabaseOptions,
//!                        SupervisorOptions, DashboardOptions
//! rabbit_options.rs      typed view of [oslo_messaging_rabbit]: RabbitOptions, transport_url query
//! server_url.rs          ServerUrl: the one transport_url / [database] connection reader
//! secret_query.rs        which query parameters are secret (oslo.utils' rule)
//! url_masking.rs         every password shape masked (mask_url)
//! secret_url.rs          SecretUrl, a URL whose Debug/Display hide the password
//! config_sample.rs       sample_config(): the commented sample file
//! config_error.rs        ConfigError, ValueOrigin
//! ```
//! Logging is left to the caller: `Config::load` returns warnings, `main` logs them once.

mod config_error;
mod config_sample;
mod config_sources;
mod option_groups;
mod option_reader;
mod option_registry;
mod option_spec;
mod option_value;
mod rabbit_options;
mod runtime_options;
mod secret_query;
mod secret_url;
mod server_url;
mod url_masking;
mod value_interpolation;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use config_error::{ConfigError, ValueOrigin};
pub use config_sample::sample_config;
pub use config_sources::{CliOverride, ConfigSources};
pub use option_groups::{
    DashboardOptions, DatabaseOptions, DefaultOptions, RestartType, SecretString, SupervisorOptions,
};
pub use option_reader::OptionReader;
pub use option_registry::OptionRegistry;
pub use option_spec::{OptionDefault, OptionKind, OptionSpec};
pub use option_value::{mask_url, parse_list};
pub use rabbit_options::{
    FailoverStrategy, LoginMethod, RabbitOptions, MAX_TRANSIENT_QUEUES_TTL_SECS,
};
pub use runtime_options::RUNTIME_OPTIONS;
pub use secret_url::SecretUrl;
pub use server_url::{ServerHost, ServerUrl, ServerUrlError};

use config_sources::{normalize_group, RawValues};
use option_value::masked;

/// The effective configuration: the runtime's typed groups plus every raw value (known or
/// not) with its origin, and the registry it was loaded with. `Debug` shows the typed groups
/// only, with secrets masked.
#[derive(Clone)]
pub struct Config {
    /// The runtime's `[DEFAULT]` options (messaging, shutdown, logging).
    pub default: DefaultOptions,
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
    /// The options this configuration was loaded with.
    registry: Arc<OptionRegistry>,
    /// Notes `show` adds after an option's value (`OptionNote`).
    notes: Vec<OptionNote>,
}

/// A remark shown after an option's value by [`Config::show`], e.g. the effective value an
/// application derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionNote {
    /// Option group.
    pub group: &'static str,
    /// Option name.
    pub name: &'static str,
    /// The remark, e.g. `effective 25 after the adjustment to report_interval`.
    pub note: String,
}

/// What `Config::load` produced, and what it read.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration.
    pub config: Config,
    /// Things the operator should see but that do not stop the process: unknown options
    /// (one line per source). Log each at WARN.
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
    /// Reads every source, validates every option `registry` knows, and builds the runtime's
    /// typed view.
    pub fn load(
        sources: &ConfigSources,
        registry: &Arc<OptionRegistry>,
    ) -> Result<LoadedConfig, ConfigError> {
        let collected = config_sources::collect(sources, registry)?;
        let values = value_interpolation::interpolate_all(&collected.values, registry)?;
        option_groups::validate_all(&values, registry)?;
        let typed = option_groups::build(&values, registry)?;
        let config = Config {
            default: typed.default,
            database: typed.database,
            oslo_messaging_rabbit: typed.oslo_messaging_rabbit,
            supervisor: typed.supervisor,
            dashboard: typed.dashboard,
            values,
            registry: registry.clone(),
            notes: Vec::new(),
        };
        Ok(LoadedConfig {
            config,
            warnings: collected.warnings,
            files: collected.files,
        })
    }

    /// Defaults of the runtime's options plus `overrides` (`(group, name, value)`, applied as
    /// command-line overrides), without reading any file or the process environment;
    /// validated like `load`. For tests and embedding:
    /// `Config::with_overrides(&[("DEFAULT", "debug", "true")])?`. Unknown options (e.g.
    /// `("test", "spacing", "5")`) are kept for `raw` without a warning.
    pub fn with_overrides(overrides: &[(&str, &str, &str)]) -> Result<Config, ConfigError> {
        Self::with_overrides_in(&Arc::new(OptionRegistry::runtime()), overrides)
    }

    /// Like [`Config::with_overrides`], with the options of `registry`.
    pub fn with_overrides_in(
        registry: &Arc<OptionRegistry>,
        overrides: &[(&str, &str, &str)],
    ) -> Result<Config, ConfigError> {
        let sources = ConfigSources {
            cli: overrides
                .iter()
                .map(|(group, name, value)| CliOverride::new(*group, *name, *value))
                .collect(),
            ..ConfigSources::default()
        };
        Config::load(&sources, registry).map(|loaded| loaded.config)
    }

    /// The runtime's defaults only (no file, no environment).
    ///
    /// # Panics
    /// Only if a registry default is invalid, which the unit tests rule out.
    pub fn default_for_tests() -> Config {
        match Config::with_overrides(&[]) {
            Ok(config) => config,
            Err(e) => panic!("novactor's built-in defaults are invalid: {e}"),
        }
    }

    /// The options this configuration was loaded with (SIGHUP re-reads with the same).
    pub fn registry(&self) -> &Arc<OptionRegistry> {
        &self.registry
    }

    /// Typed reads of any registered option, for an application's own option structs.
    pub fn reader(&self) -> OptionReader<'_> {
        OptionReader::new(&self.values, &self.registry)
    }

    /// Adds a remark `show` prints after `[group] name`'s value.
    pub fn annotate(&mut self, note: OptionNote) {
        self.notes.push(note);
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
        match self
            .registry
            .spec(&group, &name.trim().to_lowercase())?
            .default
        {
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
        for spec in self.registry.iter() {
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
            let note: String = self
                .notes
                .iter()
                .filter(|n| n.group == spec.group && n.name == spec.name)
                .map(|n| format!("; {}", n.note))
                .collect();
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
        self.registry
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
            .field("database", &self.database)
            .field("oslo_messaging_rabbit", &self.oslo_messaging_rabbit)
            .field("supervisor", &self.supervisor)
            .field("raw_values", &self.values.len())
            .finish()
    }
}
