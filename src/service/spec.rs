//! A service's identity and start options (Nova: `Service.create`).

use std::time::Duration;

use crate::config::Config;

/// What the supervisor does when an actor's incarnation ends (OTP's restart types):
///
/// | type | panic / error | normal exit | operator stop |
/// |---|---|---|---|
/// | `Permanent` | restart | restart | stays stopped |
/// | `Transient` | restart | stays stopped | stays stopped |
/// | `Temporary` | stays stopped | stays stopped | stays stopped |
pub use crate::config::RestartType;

/// Nova `Service.create(host, binary, topic, manager, report_interval, periodic_enable,
/// periodic_fuzzy_delay, periodic_interval_max)`, plus the supervisor's choices.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Actor name in the supervision tree and in `--actors`.
    pub name: String,
    /// Service binary, e.g. `nova-compute`.
    pub binary: String,
    /// RPC topic; `None` for a service that consumes no topic.
    pub topic: Option<String>,
    /// Host the service runs as (`CONF.host`).
    pub host: String,
    /// Heartbeat period; `None` for a service that does not report state.
    pub report_interval: Option<Duration>,
    /// Run periodic tasks at all.
    pub periodic_enable: bool,
    /// First periodic run is delayed by a random amount up to this.
    pub periodic_fuzzy_delay: Duration,
    /// Kept for compatibility; see `conf/nova.conf`.
    pub periodic_interval_max: Duration,
    /// Restart policy.
    pub restart: RestartType,
    /// Instances of this actor (Nova `workers`): each its own consumers on the same queues.
    pub instances: usize,
    /// Every method of this actor is delivered at least once (acked after handling).
    pub at_least_once: bool,
}

impl ServiceSpec {
    /// Nova's defaults from `config` for `binary` on `topic`.
    pub fn create(name: &str, binary: &str, topic: Option<&str>, config: &Config) -> Self {
        let defaults = &config.default;
        Self {
            name: name.to_owned(),
            binary: binary.to_owned(),
            topic: topic.map(str::to_owned),
            host: defaults.host.clone(),
            report_interval: topic.map(|_| defaults.report_interval),
            periodic_enable: defaults.periodic_enable,
            periodic_fuzzy_delay: defaults.periodic_fuzzy_delay,
            periodic_interval_max: defaults.periodic_interval_max,
            restart: config.supervisor.restart_type(name),
            instances: 1,
            at_least_once: false,
        }
    }
}
