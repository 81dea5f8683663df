//! `[oslo_messaging_rabbit]`, the RabbitMQ driver's options (oslo.messaging 18.3.1,
//! `oslo_messaging/_drivers/impl_rabbit.py` and `amqp.py`), as the typed `RabbitOptions`.
//!
//! One code path types a value whatever its source: each option is parsed with its registry
//! type (`parse_value`), stored by `RabbitOptions::set` (which also refuses what novactor does
//! not implement), and the finished group is checked across options by `check`. The file
//! path (`from_values`) and the transport URL's query (`RabbitOptions::with_url_query`, which
//! oslo lets override the group) both go through it.

use std::path::PathBuf;
use std::time::Duration;

use super::config_error::{ConfigError, ValueOrigin};
use super::config_sources::RawValues;
use super::option_spec::OptionSpec;
use super::option_value::{parse_value, TypedValue};
use super::runtime_options::{runtime_spec, RABBIT, RUNTIME_OPTIONS};

/// Largest `rabbit_transient_queues_ttl` whose `x-expires` (TTL × 1000 ms) fits the signed
/// 32-bit AMQP field RabbitMQ and oslo peers use (`I`, `AMQPValue::LongInt`).
pub const MAX_TRANSIENT_QUEUES_TTL_SECS: u64 = (i32::MAX / 1000) as u64;

/// `kombu_failover_strategy`: how the next broker of a multi-host `transport_url` is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverStrategy {
    /// `round-robin`: the hosts in the order `transport_url` lists them (oslo's default).
    RoundRobin,
    /// `shuffle`: a random host.
    Shuffle,
}

/// `rabbit_login_method`: the SASL mechanism novactor's AMQP client (lapin) logs in with.
/// oslo also accepts `RABBIT-CR-DEMO` and `EXTERNAL`; novactor refuses them at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// `PLAIN`.
    Plain,
    /// `AMQPLAIN` (oslo's default).
    AmqPlain,
}

impl LoginMethod {
    /// The mechanism's name as in nova.conf and on the wire (`PLAIN`, `AMQPLAIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            LoginMethod::Plain => "PLAIN",
            LoginMethod::AmqPlain => "AMQPLAIN",
        }
    }
}

/// `[oslo_messaging_rabbit]`: how the RabbitMQ transport declares, consumes and reconnects.
/// Times are `Duration`s; `None` stands for oslo's "0 disables". Built from the files, the
/// environment and the command line (`Config::oslo_messaging_rabbit`); apply the
/// `transport_url` query on top with `with_url_query`. None of these options is mutable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RabbitOptions {
    /// `amqp_durable_queues`: control exchange, topic and server queues durable.
    pub amqp_durable_queues: bool,
    /// `amqp_auto_delete`: control exchange, topic and server queues auto_delete.
    pub amqp_auto_delete: bool,
    /// `rabbit_quorum_queue`: topic and server queues are quorum queues (and durable).
    pub rabbit_quorum_queue: bool,
    /// `rabbit_transient_quorum_queue`: reply and fanout queues are durable quorum queues.
    pub rabbit_transient_quorum_queue: bool,
    /// `rabbit_quorum_delivery_limit`: `x-delivery-limit`; 0 sends none.
    pub rabbit_quorum_delivery_limit: u64,
    /// `rabbit_quorum_max_memory_length`: `x-max-in-memory-length`; 0 sends none.
    pub rabbit_quorum_max_memory_length: u64,
    /// `rabbit_quorum_max_memory_bytes`: `x-max-in-memory-bytes`; 0 sends none.
    pub rabbit_quorum_max_memory_bytes: u64,
    /// `rabbit_ha_queues`: `x-ha-policy: all` on every queue (never with quorum queues).
    pub rabbit_ha_queues: bool,
    /// `rabbit_transient_queues_ttl`: reply/fanout queue expiry; `None` (configured as 0)
    /// declares them without `x-expires`. At most `MAX_TRANSIENT_QUEUES_TTL_SECS`.
    pub rabbit_transient_queues_ttl: Option<Duration>,
    /// `rabbit_qos_prefetch_count`: `Basic.Qos` on consuming channels; 0 sends none.
    pub rabbit_qos_prefetch_count: u16,
    /// `heartbeat_timeout_threshold`: AMQP heartbeat timeout; `None` (0) disables heartbeats.
    /// At most 65535 s (the 16-bit `Connection.Tune` field).
    pub heartbeat_timeout_threshold: Option<Duration>,
    /// `heartbeat_rate`: accepted for compatibility; lapin schedules heartbeats itself.
    pub heartbeat_rate: u32,
    /// `rabbit_retry_interval`: wait before the first reconnection attempt.
    pub rabbit_retry_interval: Duration,
    /// `rabbit_retry_backoff`: added to the wait after each failed attempt.
    pub rabbit_retry_backoff: Duration,
    /// `rabbit_interval_max`: longest wait between reconnection attempts.
    pub rabbit_interval_max: Duration,
    /// `kombu_missing_consumer_retry_timeout`: how long a reply to a missing reply queue is
    /// retried before it is dropped.
    pub kombu_missing_consumer_retry_timeout: Duration,
    /// `kombu_failover_strategy`.
    pub kombu_failover_strategy: FailoverStrategy,
    /// `rabbit_login_method`.
    pub rabbit_login_method: LoginMethod,
    /// `ssl`: connect over TLS.
    pub ssl: bool,
    /// `ssl_ca_file`; `None` uses the system's trust roots.
    pub ssl_ca_file: Option<PathBuf>,
    /// `ssl_cert_file`: client certificate.
    pub ssl_cert_file: Option<PathBuf>,
    /// `ssl_key_file`: client key.
    pub ssl_key_file: Option<PathBuf>,
    /// `ssl_version`: accepted and ignored (rustls negotiates TLS 1.2/1.3).
    pub ssl_version: Option<String>,
    /// `rabbit_stream_fanout`: always `false` (true is refused: not supported yet).
    pub rabbit_stream_fanout: bool,
    /// `use_queue_manager`: always `false` (true is refused: not supported yet).
    pub use_queue_manager: bool,
}

impl RabbitOptions {
    /// `x-expires` of reply and fanout queues in milliseconds (`rabbit_transient_queues_ttl`
    /// × 1000), as the signed 32-bit value to send (`AMQPValue::LongInt`); `None`: omit it.
    pub fn x_expires_ms(&self) -> Option<i32> {
        self.rabbit_transient_queues_ttl
            .map(|ttl| i32::try_from(ttl.as_millis()).unwrap_or(i32::MAX))
    }

    /// The heartbeat to propose in `Connection.TuneOk`, in seconds; 0 disables heartbeats.
    pub fn heartbeat_secs(&self) -> u16 {
        self.heartbeat_timeout_threshold
            .map_or(0, |t| u16::try_from(t.as_secs()).unwrap_or(u16::MAX))
    }

    /// These options with the driver options of a `transport_url` query applied on top, as
    /// oslo does (`rabbit://u:p@h:5672/?rabbit_qos_prefetch_count=10` overrides
    /// `[oslo_messaging_rabbit]`). `query` is the part after `?` (a leading `?` is skipped).
    /// Keys and values are percent-decoded (`+` is a space); a key given twice gets its
    /// values joined with commas, and a key with an empty value is skipped, as Python's
    /// `parse_qs` does. Values are validated exactly as in nova.conf; errors name the
    /// origin "transport_url query". Keys that are not `[oslo_messaging_rabbit]` options
    /// novactor reads are ignored and reported in the returned warnings (keys only, never
    /// values).
    pub fn with_url_query(&self, query: &str) -> Result<(RabbitOptions, Vec<String>), ConfigError> {
        let origin = ValueOrigin::TransportUrlQuery;
        let mut options = self.clone();
        let mut warnings = Vec::new();
        for (key, values) in parse_query(query) {
            let Some(spec) = runtime_spec(RABBIT, &key) else {
                warnings.push(format!(
                    "ignoring transport_url query parameter {key:?}: not an \
                     [{RABBIT}] option novactor reads"
                ));
                continue;
            };
            let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                warnings.push(format!(
                    "ignoring transport_url query parameter {key:?}: empty value"
                ));
                continue;
            }
            let typed = parse_value(spec, Some(&values.join(",")), &origin)?;
            options.set(spec, typed, &origin)?;
        }
        options.check(|_| origin.clone())?;
        Ok((options, warnings))
    }

    /// A blank value every field of which `set` overwrites (the group's every option has a
    /// registry entry, so `from_values` visits them all).
    fn blank() -> Self {
        RabbitOptions {
            amqp_durable_queues: false,
            amqp_auto_delete: false,
            rabbit_quorum_queue: false,
            rabbit_transient_quorum_queue: false,
            rabbit_quorum_delivery_limit: 0,
            rabbit_quorum_max_memory_length: 0,
            rabbit_quorum_max_memory_bytes: 0,
            rabbit_ha_queues: false,
            rabbit_transient_queues_ttl: None,
            rabbit_qos_prefetch_count: 0,
            heartbeat_timeout_threshold: None,
            heartbeat_rate: 1,
            rabbit_retry_interval: Duration::ZERO,
            rabbit_retry_backoff: Duration::ZERO,
            rabbit_interval_max: Duration::ZERO,
            kombu_missing_consumer_retry_timeout: Duration::ZERO,
            kombu_failover_strategy: FailoverStrategy::RoundRobin,
            rabbit_login_method: LoginMethod::AmqPlain,
            ssl: false,
            ssl_ca_file: None,
            ssl_cert_file: None,
            ssl_key_file: None,
            ssl_version: None,
            rabbit_stream_fanout: false,
            use_queue_manager: false,
        }
    }

    /// Stores one option's typed value (already checked against its registry type), refusing
    /// values novactor does not implement.
    fn set(
        &mut self,
        spec: &'static OptionSpec,
        value: TypedValue,
        origin: &ValueOrigin,
    ) -> Result<(), ConfigError> {
        let mismatch = |expected| ConfigError::RegistryMismatch {
            group: spec.group,
            name: spec.name,
            expected,
        };
        let unsupported = |value: &str, reason: &str| ConfigError::Unsupported {
            group: spec.group,
            name: spec.name,
            value: value.to_owned(),
            origin: origin.clone(),
            reason: reason.to_owned(),
        };
        let flag = |v: &TypedValue| match v {
            TypedValue::Bool(b) => Ok(*b),
            _ => Err(mismatch("a boolean")),
        };
        let number = |v: &TypedValue| match v {
            TypedValue::Int(n) => u64::try_from(*n).map_err(|_| mismatch("an integer >= 0")),
            _ => Err(mismatch("an integer")),
        };
        let text = |v: TypedValue| match v {
            TypedValue::Str(s) => Ok(Some(s)),
            TypedValue::Unset => Ok(None),
            _ => Err(mismatch("a string")),
        };
        let secs = |v: &TypedValue| number(v).map(Duration::from_secs);
        let secs_or_none = |v: &TypedValue| secs(v).map(|d| (!d.is_zero()).then_some(d));
        match spec.name {
            "amqp_durable_queues" => self.amqp_durable_queues = flag(&value)?,
            "amqp_auto_delete" => self.amqp_auto_delete = flag(&value)?,
            "rabbit_quorum_queue" => self.rabbit_quorum_queue = flag(&value)?,
            "rabbit_transient_quorum_queue" => self.rabbit_transient_quorum_queue = flag(&value)?,
            "rabbit_quorum_delivery_limit" => self.rabbit_quorum_delivery_limit = number(&value)?,
            "rabbit_quorum_max_memory_length" => {
                self.rabbit_quorum_max_memory_length = number(&value)?;
            }
            "rabbit_quorum_max_memory_bytes" => {
                self.rabbit_quorum_max_memory_bytes = number(&value)?;
            }
            "rabbit_ha_queues" => self.rabbit_ha_queues = flag(&value)?,
            "rabbit_transient_queues_ttl" => {
                let ttl = number(&value)?;
                if ttl > MAX_TRANSIENT_QUEUES_TTL_SECS {
                    return Err(ConfigError::InvalidValue {
                        group: spec.group,
                        name: spec.name,
                        value: ttl.to_string(),
                        origin: origin.clone(),
                        expected: format!(
                            "an integer between 0 and {MAX_TRANSIENT_QUEUES_TTL_SECS}: \
                             x-expires is the TTL in milliseconds as a signed 32-bit \
                             integer, so TTL*1000 must not exceed {}",
                            i32::MAX
                        ),
                    });
                }
                self.rabbit_transient_queues_ttl = secs_or_none(&value)?;
            }
            "rabbit_qos_prefetch_count" => {
                self.rabbit_qos_prefetch_count =
                    u16::try_from(number(&value)?).map_err(|_| mismatch("0..=65535"))?;
            }
            "heartbeat_timeout_threshold" => {
                self.heartbeat_timeout_threshold = secs_or_none(&value)?;
            }
            "heartbeat_rate" => {
                self.heartbeat_rate = u32::try_from(number(&value)?).unwrap_or(u32::MAX);
            }
            "rabbit_retry_interval" => self.rabbit_retry_interval = secs(&value)?,
            "rabbit_retry_backoff" => self.rabbit_retry_backoff = secs(&value)?,
            "rabbit_interval_max" => self.rabbit_interval_max = secs(&value)?,
            "kombu_missing_consumer_retry_timeout" => {
                self.kombu_missing_consumer_retry_timeout = secs(&value)?;
            }
            "kombu_failover_strategy" => {
                self.kombu_failover_strategy = match text(value)?.as_deref() {
                    Some("round-robin") => FailoverStrategy::RoundRobin,
                    Some("shuffle") => FailoverStrategy::Shuffle,
                    _ => return Err(mismatch("a failover strategy")),
                };
            }
            "rabbit_login_method" => {
                self.rabbit_login_method = match text(value)?.as_deref() {
                    Some("PLAIN") => LoginMethod::Plain,
                    Some("AMQPLAIN") => LoginMethod::AmqPlain,
                    Some(other) => {
                        return Err(unsupported(
                            other,
                            "novactor's AMQP client (lapin) authenticates with PLAIN or \
                             AMQPLAIN only; set rabbit_login_method = AMQPLAIN (oslo's \
                             default) or PLAIN",
                        ))
                    }
                    None => return Err(mismatch("a login method")),
                };
            }
            "ssl" => self.ssl = flag(&value)?,
            "ssl_ca_file" => self.ssl_ca_file = text(value)?.map(PathBuf::from),
            "ssl_cert_file" => self.ssl_cert_file = text(value)?.map(PathBuf::from),
            "ssl_key_file" => self.ssl_key_file = text(value)?.map(PathBuf::from),
            "ssl_version" => self.ssl_version = text(value)?,
            "rabbit_stream_fanout" => {
                if flag(&value)? {
                    return Err(unsupported(
                        "true",
                        "stream fanout queues are not implemented; novactor declares one \
                         classic fanout queue per server. Set rabbit_stream_fanout = false",
                    ));
                }
                self.rabbit_stream_fanout = false;
            }
            "use_queue_manager" => {
                if flag(&value)? {
                    return Err(unsupported(
                        "true",
                        "stable queue names are not implemented; novactor names reply and \
                         fanout queues with random UUIDs. Set use_queue_manager = false",
                    ));
                }
                self.use_queue_manager = false;
            }
            _ => {
                return Err(mismatch(
                    "an [oslo_messaging_rabbit] option of RabbitOptions",
                ))
            }
        }
        Ok(())
    }

    /// Rules across options; `origin_of(name)` says where an option's value came from.
    fn check(&self, origin_of: impl Fn(&'static str) -> ValueOrigin) -> Result<(), ConfigError> {
        // oslo: impl_rabbit.py _get_queue_arguments raises at the first declaration;
        // novactor refuses the configuration before starting.
        if self.rabbit_quorum_queue && self.rabbit_ha_queues {
            return Err(ConfigError::Conflict {
                group: RABBIT,
                name: "rabbit_quorum_queue",
                origin: origin_of("rabbit_quorum_queue"),
                other_group: RABBIT,
                other_name: "rabbit_ha_queues",
                reason: "rabbit_quorum_queue and rabbit_ha_queues are both true; a queue is \
                         either quorum or HA (mirrored), not both: set one of them to false"
                    .to_owned(),
            });
        }
        Ok(())
    }
}

/// Builds `[oslo_messaging_rabbit]` from the merged (interpolated) raw values.
pub(crate) fn from_values(values: &RawValues) -> Result<RabbitOptions, ConfigError> {
    let origin_of = |name: &str| {
        values
            .get(&(RABBIT.to_owned(), name.to_owned()))
            .map_or(ValueOrigin::Default, |e| e.origin.clone())
    };
    let mut options = RabbitOptions::blank();
    for spec in RUNTIME_OPTIONS.iter().filter(|spec| spec.group == RABBIT) {
        let entry = values.get(&(RABBIT.to_owned(), spec.name.to_owned()));
        let origin = origin_of(spec.name);
        let typed = parse_value(spec, entry.map(|e| e.value.as_str()), &origin)?;
        options.set(spec, typed, &origin)?;
    }
    options.check(origin_of)?;
    Ok(options)
}

/// A URL query as Python's `urllib.parse.parse_qs` reads it: `&`-separated `key=value`
/// pairs, `+` as space, percent-decoded (invalid UTF-8 replaced); a field without `=` is
/// skipped. Keys keep their first-appearance order, each with all its values.
fn parse_query(query: &str) -> Vec<(String, Vec<String>)> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut pairs: Vec<(String, Vec<String>)> = Vec::new();
    for field in query.split('&') {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        let (key, value) = (percent_decode(key), percent_decode(value));
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => pairs.push((key, vec![value])),
        }
    }
    pairs
}

/// `+` → space, `%XX` → that byte; a `%` not followed by two hex digits stays as is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => u8::try_from(hi * 16 + lo).ok(),
                _ => None,
            },
            _ => None,
        };
        match (decoded, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
