//! The runtime's typed view: one plain struct per option group it reads, built through an
//! [`OptionReader`] (each option parsed with its registered type), plus the cross-option
//! rules. Intervals and timeouts are `Duration`s; counts are `usize`/`u32`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::config_error::ConfigError;
use super::config_sources::RawValues;
use super::option_reader::OptionReader;
use super::option_registry::OptionRegistry;
use super::option_value::parse_value;
use super::rabbit_options::{self, RabbitOptions};
use super::secret_url::SecretUrl;

/// The runtime's `[DEFAULT]` options: node name, messaging, shutdown and logging.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultOptions {
    /// `host`: this node's name (default: the machine's host name).
    pub host: String,
    /// `transport_url`; `None` means the in-process `memory://` transport. Its `Debug` and
    /// `Display` mask the password.
    pub transport_url: Option<SecretUrl>,
    /// `control_exchange` (the application sets its default).
    pub control_exchange: String,
    /// `rpc_response_timeout`: how long an RPC call waits for its reply.
    pub rpc_response_timeout: Duration,
    /// `executor_thread_pool_size`: concurrent handlers per actor.
    pub executor_thread_pool_size: usize,
    /// `graceful_shutdown_timeout`; `None` (configured as 0) waits forever.
    pub graceful_shutdown_timeout: Option<Duration>,
    /// `debug` (mutable).
    pub debug: bool,
    /// `log_file` as configured; see `log_path` for the file actually used.
    pub log_file: Option<PathBuf>,
    /// `log_dir` as configured.
    pub log_dir: Option<PathBuf>,
    /// `use_json`.
    pub use_json: bool,
}

impl DefaultOptions {
    /// The transport URL to connect to: `transport_url`, or `memory://` when unset.
    pub fn transport_url_or_memory(&self) -> &str {
        self.transport_url
            .as_ref()
            .map_or("memory://", SecretUrl::expose)
    }

    /// The log file, as oslo.log's `_get_log_file_path` computes it: `log_file` joined to
    /// `log_dir` if both are set (an absolute `log_file` wins), `log_file` alone, or
    /// `<log_dir>/<binary>.log`; `None` means log to stderr.
    pub fn log_path(&self, binary: &str) -> Option<PathBuf> {
        match (&self.log_dir, &self.log_file) {
            (Some(dir), Some(file)) => Some(dir.join(file)),
            (None, Some(file)) => Some(file.clone()),
            (Some(dir), None) => Some(dir.join(format!("{binary}.log"))),
            (None, None) => None,
        }
    }
}

/// `[database]` (oslo.db's names): where the database is and how the pool behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// `connection`; `None` means the application's embedded SQLite file. Its `Debug` and
    /// `Display` mask the password.
    pub connection: Option<SecretUrl>,
    /// `max_pool_size`: most open connections per process.
    pub max_pool_size: u32,
    /// `max_retries`: further attempts of the first connection at start; `None` (configured
    /// as -1) retries forever.
    pub max_retries: Option<u32>,
    /// `retry_interval`: wait between those attempts.
    pub retry_interval: Duration,
    /// `connection_recycle_time`: a pooled connection's longest life.
    pub connection_recycle_time: Duration,
}

/// How the supervisor treats an actor's exit (Erlang/OTP's child restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartType {
    /// Always restarted, whatever the exit.
    Permanent,
    /// Restarted only after a failure (panic or error), not after a normal stop.
    Transient,
    /// Never restarted.
    Temporary,
}

impl RestartType {
    fn from_config(text: &str) -> Option<Self> {
        match text {
            "permanent" => Some(RestartType::Permanent),
            "transient" => Some(RestartType::Transient),
            "temporary" => Some(RestartType::Temporary),
            _ => None,
        }
    }
}

/// `[supervisor]`: novactor's restart policy and periodic-task timing.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorOptions {
    /// `restart_intensity`: max restarts within `restart_period`.
    pub restart_intensity: u32,
    /// `restart_period`.
    pub restart_period: Duration,
    /// `restart_backoff_initial`.
    pub restart_backoff_initial: Duration,
    /// `restart_backoff_max` (>= `restart_backoff_initial`).
    pub restart_backoff_max: Duration,
    /// `restart_stable_period`.
    pub restart_stable_period: Duration,
    /// `escalate`: exit the process instead of isolating an actor over its intensity.
    pub escalate: bool,
    /// `restart_types`: per-actor restart type; actors not listed are `Permanent`.
    pub restart_types: BTreeMap<String, RestartType>,
    /// `periodic_jitter`: fraction (0..=1) of a task's spacing added at random (mutable).
    pub periodic_jitter: f64,
    /// `runtime_threads`: the threads actors run on (0 in the file: one per core).
    pub runtime_threads: usize,
}

impl SupervisorOptions {
    /// The restart type of `actor` (`Permanent` unless listed in `restart_types`).
    pub fn restart_type(&self, actor: &str) -> RestartType {
        self.restart_types
            .get(actor)
            .copied()
            .unwrap_or(RestartType::Permanent)
    }
}

/// `[dashboard]`: the operator's HTTP endpoint (dashboard, health, metrics, report).
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardOptions {
    /// `listen`: address to bind.
    pub listen: String,
    /// `port`; `None` when configured as 0 (disabled).
    pub port: Option<u16>,
    /// `admin_token`: bearer token operations need; `None` refuses every operation.
    pub admin_token: Option<SecretString>,
    /// `refresh_interval`: period of the live updates.
    pub refresh_interval: Duration,
    /// `require_token_for_reads`: reads need `admin_token` too.
    pub require_token_for_reads: bool,
    /// `allowed_hosts`: names a request's Host header may carry besides IP addresses.
    pub allowed_hosts: Vec<String>,
    /// `max_event_streams`: live event streams served at once.
    pub max_event_streams: usize,
}

/// A secret whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wrap `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// The runtime's typed groups.
#[derive(Debug)]
pub(crate) struct TypedGroups {
    pub(crate) default: DefaultOptions,
    pub(crate) database: DatabaseOptions,
    pub(crate) oslo_messaging_rabbit: RabbitOptions,
    pub(crate) supervisor: SupervisorOptions,
    pub(crate) dashboard: DashboardOptions,
}

/// Parses and checks every runtime option in `values` (already interpolated).
pub(crate) fn build(
    values: &RawValues,
    registry: &OptionRegistry,
) -> Result<TypedGroups, ConfigError> {
    let r = OptionReader::new(values, registry);
    let graceful = r.secs("DEFAULT", "graceful_shutdown_timeout")?;
    let default = DefaultOptions {
        host: r.string("DEFAULT", "host")?,
        transport_url: r
            .opt_string("DEFAULT", "transport_url")?
            .map(SecretUrl::new),
        control_exchange: r.string("DEFAULT", "control_exchange")?,
        rpc_response_timeout: r.secs("DEFAULT", "rpc_response_timeout")?,
        executor_thread_pool_size: r.count("DEFAULT", "executor_thread_pool_size")?,
        graceful_shutdown_timeout: (!graceful.is_zero()).then_some(graceful),
        debug: r.boolean("DEFAULT", "debug")?,
        log_file: r.opt_string("DEFAULT", "log_file")?.map(PathBuf::from),
        log_dir: r.opt_string("DEFAULT", "log_dir")?.map(PathBuf::from),
        use_json: r.boolean("DEFAULT", "use_json")?,
    };

    let backoff_initial = r.float_secs("supervisor", "restart_backoff_initial")?;
    let backoff_max = r.float_secs("supervisor", "restart_backoff_max")?;
    if backoff_max < backoff_initial {
        return Err(ConfigError::Conflict {
            group: "supervisor",
            name: "restart_backoff_max",
            origin: r.origin("supervisor", "restart_backoff_max"),
            other_group: "supervisor",
            other_name: "restart_backoff_initial",
            reason: format!(
                "restart_backoff_max ({}s) must be >= restart_backoff_initial ({}s)",
                backoff_max.as_secs_f64(),
                backoff_initial.as_secs_f64()
            ),
        });
    }
    let mut restart_types = BTreeMap::new();
    for (actor, kind) in r.dict("supervisor", "restart_types")? {
        let kind = RestartType::from_config(&kind)
            .ok_or_else(|| r.mismatch("supervisor", "restart_types", "a restart type"))?;
        restart_types.insert(actor, kind);
    }
    let supervisor = SupervisorOptions {
        restart_intensity: u32::try_from(r.int("supervisor", "restart_intensity")?)
            .unwrap_or(u32::MAX),
        restart_period: r.secs("supervisor", "restart_period")?,
        restart_backoff_initial: backoff_initial,
        restart_backoff_max: backoff_max,
        restart_stable_period: r.secs("supervisor", "restart_stable_period")?,
        escalate: r.boolean("supervisor", "escalate")?,
        restart_types,
        periodic_jitter: r.float("supervisor", "periodic_jitter")?,
        runtime_threads: match r.count("supervisor", "runtime_threads")? {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            threads => threads,
        },
    };

    let dashboard_port = r.int("dashboard", "port")?;
    let dashboard = DashboardOptions {
        listen: r.string("dashboard", "listen")?,
        port: u16::try_from(dashboard_port)
            .map_err(|_| r.mismatch("dashboard", "port", "a port"))
            .map(Some)?
            .filter(|port| *port != 0),
        admin_token: r
            .opt_string("dashboard", "admin_token")?
            .filter(|token| !token.is_empty())
            .map(SecretString::new),
        refresh_interval: r.float_secs("dashboard", "refresh_interval")?,
        require_token_for_reads: r.boolean("dashboard", "require_token_for_reads")?,
        allowed_hosts: r.list("dashboard", "allowed_hosts")?,
        max_event_streams: r.count("dashboard", "max_event_streams")?,
    };

    if dashboard.require_token_for_reads && dashboard.admin_token.is_none() {
        return Err(ConfigError::Conflict {
            group: "dashboard",
            name: "require_token_for_reads",
            origin: r.origin("dashboard", "require_token_for_reads"),
            other_group: "dashboard",
            other_name: "admin_token",
            reason: "reads cannot need a token that is not set: set [dashboard] admin_token"
                .to_owned(),
        });
    }

    Ok(TypedGroups {
        default,
        database: DatabaseOptions {
            connection: r.opt_string("database", "connection")?.map(SecretUrl::new),
            max_pool_size: u32::try_from(r.int("database", "max_pool_size")?).unwrap_or(u32::MAX),
            // The registry's minimum is -1, the only negative value: "forever".
            max_retries: u32::try_from(r.int("database", "max_retries")?).ok(),
            retry_interval: r.secs("database", "retry_interval")?,
            connection_recycle_time: r.secs("database", "connection_recycle_time")?,
        },
        oslo_messaging_rabbit: rabbit_options::from_values(values)?,
        supervisor,
        dashboard,
    })
}

/// Parses every known option present in `values` (including ones the typed view does not
/// read yet), so an invalid value is always an error.
pub(crate) fn validate_all(
    values: &RawValues,
    registry: &OptionRegistry,
) -> Result<(), ConfigError> {
    for ((group, name), entry) in values {
        if let Some(spec) = registry.spec(group, name) {
            parse_value(spec, Some(&entry.value), &entry.origin)?;
        }
    }
    Ok(())
}
