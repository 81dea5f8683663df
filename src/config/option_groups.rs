//! The typed view: one plain struct per option group, built from the merged raw values by
//! parsing every known option with its registry type, then applying Nova's cross-option
//! rules. Intervals and timeouts are `Duration`s; counts are `usize`/`u32`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::config_error::ConfigError;
use super::config_sources::RawValues;
use super::option_registry::{option_spec, OptionSpec};
use super::option_value::{parse_value, TypedValue};
use super::rabbit_options::{self, RabbitOptions};
use super::secret_url::SecretUrl;

/// `[DEFAULT]` options other than the API ones (those are in `ApiOptions`).
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultOptions {
    /// `host`: this node's name (default: the machine's host name).
    pub host: String,
    /// `transport_url`; `None` means the in-process `memory://` transport. Its `Debug` and
    /// `Display` mask the password.
    pub transport_url: Option<SecretUrl>,
    /// `control_exchange` (Nova: `nova`).
    pub control_exchange: String,
    /// `rpc_response_timeout`: how long an RPC call waits for its reply.
    pub rpc_response_timeout: Duration,
    /// `executor_thread_pool_size`: concurrent handlers per actor.
    pub executor_thread_pool_size: usize,
    /// `report_interval`: heartbeat period.
    pub report_interval: Duration,
    /// Effective `service_down_time`: the configured value, or 2.5 × `report_interval`
    /// (truncated to whole seconds, as Nova does) when the configured one is not greater.
    pub service_down_time: Duration,
    /// `service_down_time` as configured, before Nova's adjustment.
    pub service_down_time_configured: Duration,
    /// `periodic_enable`.
    pub periodic_enable: bool,
    /// `periodic_fuzzy_delay`: upper bound of the random delay before the first periodic run.
    pub periodic_fuzzy_delay: Duration,
    /// `periodic_interval_max`.
    pub periodic_interval_max: Duration,
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
    /// `state_path`.
    pub state_path: PathBuf,
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

/// The compute API's options. In nova.conf they live in `[DEFAULT]`, as in Nova.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOptions {
    /// `enabled_apis`.
    pub enabled_apis: Vec<String>,
    /// `osapi_compute_listen`.
    pub osapi_compute_listen: String,
    /// `osapi_compute_listen_port`; 0 picks a free port.
    pub osapi_compute_listen_port: u16,
    /// `osapi_compute_workers` (unset ⇒ 1).
    pub osapi_compute_workers: usize,
    /// `[api] noauth_notused_is_admin`: the token `notused` means `admin:admin`.
    pub noauth_notused_is_admin: bool,
}

/// `[conductor]` / `[scheduler]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkersOptions {
    /// `workers`: number of actor instances (unset ⇒ 1).
    pub workers: usize,
}

/// `[database]` (oslo.db's names): where the database is and how the pool behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// `connection`; `None` means the SQLite file `<state_path>/novactor.sqlite`. Its
    /// `Debug` and `Display` mask the password.
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

/// All typed groups, plus warnings from cross-option rules.
#[derive(Debug)]
pub(crate) struct TypedGroups {
    pub(crate) default: DefaultOptions,
    pub(crate) api: ApiOptions,
    pub(crate) conductor: WorkersOptions,
    pub(crate) scheduler: WorkersOptions,
    pub(crate) database: DatabaseOptions,
    pub(crate) oslo_messaging_rabbit: RabbitOptions,
    pub(crate) supervisor: SupervisorOptions,
    pub(crate) dashboard: DashboardOptions,
    pub(crate) warnings: Vec<String>,
}

/// Parses and checks every known option in `values` (already interpolated).
pub(crate) fn build(values: &RawValues) -> Result<TypedGroups, ConfigError> {
    let r = Reader { values };
    let report_interval = r.secs("DEFAULT", "report_interval")?;
    let service_down_time_configured = r.secs("DEFAULT", "service_down_time")?;
    let mut warnings = Vec::new();
    // Nova: nova/servicegroup/api.py API.__init__.
    let service_down_time = if service_down_time_configured <= report_interval {
        // Saturating: report_interval has no upper bound (found by tests/fuzz_config.rs:
        // report_interval = 2^63 − 1 overflowed the multiplication).
        let adjusted = Duration::from_secs(report_interval.as_secs().saturating_mul(5) / 2);
        warnings.push(format!(
            "Report interval must be less than service down time. Current config: \
             <service_down_time: {}, report_interval: {}>. Setting service_down_time to: {}",
            service_down_time_configured.as_secs(),
            report_interval.as_secs(),
            adjusted.as_secs()
        ));
        adjusted
    } else {
        service_down_time_configured
    };
    let graceful = r.secs("DEFAULT", "graceful_shutdown_timeout")?;

    let default = DefaultOptions {
        host: r.string("DEFAULT", "host")?,
        transport_url: r
            .opt_string("DEFAULT", "transport_url")?
            .map(SecretUrl::new),
        control_exchange: r.string("DEFAULT", "control_exchange")?,
        rpc_response_timeout: r.secs("DEFAULT", "rpc_response_timeout")?,
        executor_thread_pool_size: r.count("DEFAULT", "executor_thread_pool_size")?,
        report_interval,
        service_down_time,
        service_down_time_configured,
        periodic_enable: r.boolean("DEFAULT", "periodic_enable")?,
        periodic_fuzzy_delay: r.secs("DEFAULT", "periodic_fuzzy_delay")?,
        periodic_interval_max: r.secs("DEFAULT", "periodic_interval_max")?,
        graceful_shutdown_timeout: (!graceful.is_zero()).then_some(graceful),
        debug: r.boolean("DEFAULT", "debug")?,
        log_file: r.opt_string("DEFAULT", "log_file")?.map(PathBuf::from),
        log_dir: r.opt_string("DEFAULT", "log_dir")?.map(PathBuf::from),
        use_json: r.boolean("DEFAULT", "use_json")?,
        state_path: PathBuf::from(r.string("DEFAULT", "state_path")?),
    };

    let port = r.int("DEFAULT", "osapi_compute_listen_port")?;
    let api = ApiOptions {
        enabled_apis: r.list("DEFAULT", "enabled_apis")?,
        osapi_compute_listen: r.string("DEFAULT", "osapi_compute_listen")?,
        osapi_compute_listen_port: u16::try_from(port)
            .map_err(|_| r.mismatch("DEFAULT", "osapi_compute_listen_port", "a port"))?,
        osapi_compute_workers: r.count_or_one("DEFAULT", "osapi_compute_workers")?,
        noauth_notused_is_admin: r.boolean("api", "noauth_notused_is_admin")?,
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
    };

    Ok(TypedGroups {
        default,
        api,
        conductor: WorkersOptions {
            workers: r.count_or_one("conductor", "workers")?,
        },
        scheduler: WorkersOptions {
            workers: r.count_or_one("scheduler", "workers")?,
        },
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
        warnings,
    })
}

/// Typed access to the raw values; each getter parses with the registry's type.
struct Reader<'a> {
    values: &'a RawValues,
}

impl Reader<'_> {
    fn spec(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<&'static OptionSpec, ConfigError> {
        option_spec(group, name).ok_or_else(|| self.mismatch(group, name, "an option"))
    }

    fn origin(&self, group: &'static str, name: &'static str) -> super::config_error::ValueOrigin {
        self.values
            .get(&(group.to_owned(), name.to_owned()))
            .map_or(super::config_error::ValueOrigin::Default, |e| {
                e.origin.clone()
            })
    }

    fn typed(&self, group: &'static str, name: &'static str) -> Result<TypedValue, ConfigError> {
        let spec = self.spec(group, name)?;
        let entry = self.values.get(&(group.to_owned(), name.to_owned()));
        let origin = self.origin(group, name);
        parse_value(spec, entry.map(|e| e.value.as_str()), &origin)
    }

    fn mismatch(
        &self,
        group: &'static str,
        name: &'static str,
        expected: &'static str,
    ) -> ConfigError {
        ConfigError::RegistryMismatch {
            group,
            name,
            expected,
        }
    }

    fn opt_string(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Option<String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Str(s) => Ok(Some(s)),
            TypedValue::Unset => Ok(None),
            _ => Err(self.mismatch(group, name, "a string")),
        }
    }

    fn string(&self, group: &'static str, name: &'static str) -> Result<String, ConfigError> {
        self.opt_string(group, name)?
            .ok_or_else(|| self.mismatch(group, name, "a string with a default"))
    }

    fn opt_int(&self, group: &'static str, name: &'static str) -> Result<Option<i64>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Int(n) => Ok(Some(n)),
            TypedValue::Unset => Ok(None),
            _ => Err(self.mismatch(group, name, "an integer")),
        }
    }

    fn int(&self, group: &'static str, name: &'static str) -> Result<i64, ConfigError> {
        self.opt_int(group, name)?
            .ok_or_else(|| self.mismatch(group, name, "an integer with a default"))
    }

    /// Whole seconds (the registry's minimum keeps it >= 0).
    fn secs(&self, group: &'static str, name: &'static str) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(
            u64::try_from(self.int(group, name)?).unwrap_or(0),
        ))
    }

    fn count(&self, group: &'static str, name: &'static str) -> Result<usize, ConfigError> {
        Ok(usize::try_from(self.int(group, name)?).unwrap_or(usize::MAX))
    }

    fn count_or_one(&self, group: &'static str, name: &'static str) -> Result<usize, ConfigError> {
        Ok(self
            .opt_int(group, name)?
            .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX)))
    }

    fn float(&self, group: &'static str, name: &'static str) -> Result<f64, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Float(x) => Ok(x),
            _ => Err(self.mismatch(group, name, "a float with a default")),
        }
    }

    fn float_secs(&self, group: &'static str, name: &'static str) -> Result<Duration, ConfigError> {
        let secs = self.float(group, name)?;
        Duration::try_from_secs_f64(secs).map_err(|_| self.mismatch(group, name, "seconds"))
    }

    fn boolean(&self, group: &'static str, name: &'static str) -> Result<bool, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Bool(b) => Ok(b),
            _ => Err(self.mismatch(group, name, "a boolean with a default")),
        }
    }

    fn list(&self, group: &'static str, name: &'static str) -> Result<Vec<String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::List(items) => Ok(items),
            TypedValue::Unset => Ok(Vec::new()),
            _ => Err(self.mismatch(group, name, "a list")),
        }
    }

    fn dict(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Dict(map) => Ok(map),
            TypedValue::Unset => Ok(BTreeMap::new()),
            _ => Err(self.mismatch(group, name, "a dict")),
        }
    }
}

/// Parses every known option present in `values` (including ones the typed view does not
/// read yet), so an invalid value is always an error.
pub(crate) fn validate_all(values: &RawValues) -> Result<(), ConfigError> {
    for ((group, name), entry) in values {
        if let Some(spec) = option_spec(group, name) {
            parse_value(spec, Some(&entry.value), &entry.origin)?;
        }
    }
    Ok(())
}
