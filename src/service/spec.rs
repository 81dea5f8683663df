//! A service's identity and start options (oslo.service / OpenStack `Service.create`).

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

/// A service's identity and start options, as oslo.service and OpenStack's `Service.create`
/// take them, plus the supervisor's choices. [`ServiceSpec::new`] fills the runtime's part;
/// an application sets the heartbeat and periodic-task fields from its own options.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Actor name in the supervision tree and in `--actors`.
    pub name: String,
    /// Service binary, e.g. `nova-compute`.
    pub binary: String,
    /// RPC topic; `None` for a service that consumes no topic.
    pub topic: Option<String>,
    /// Further topics served by the same endpoints, each with its own topic, server and
    /// fanout queues (as an oslo.messaging service runs a second RPC server on the same
    /// endpoints, e.g. Nova's compute on `compute-alt`). Ignored without `topic`.
    pub alternate_topics: Vec<String>,
    /// Host the service runs as (`[DEFAULT] host` unless the application says otherwise).
    pub host: String,
    /// Heartbeat period; `None` for a service that does not report state.
    pub report_interval: Option<Duration>,
    /// Run periodic tasks at all.
    pub periodic_enable: bool,
    /// First periodic run is delayed by a random amount up to this.
    pub periodic_fuzzy_delay: Duration,
    /// Restart policy.
    pub restart: RestartType,
    /// Instances of this actor (`workers`): each its own consumers on the same queues.
    pub instances: usize,
    /// Every method of this actor is delivered at least once (acked after handling).
    pub at_least_once: bool,
}

impl ServiceSpec {
    /// `binary` on `topic` as `[DEFAULT] host`, with `[supervisor] restart_types`' choice for
    /// `name`; no heartbeat, periodic tasks on with no first-run delay, one instance.
    pub fn new(name: &str, binary: &str, topic: Option<&str>, config: &Config) -> Self {
        Self {
            name: name.to_owned(),
            binary: binary.to_owned(),
            topic: topic.map(str::to_owned),
            alternate_topics: Vec::new(),
            host: config.default.host.clone(),
            report_interval: None,
            periodic_enable: true,
            periodic_fuzzy_delay: Duration::ZERO,
            restart: config.supervisor.restart_type(name),
            instances: 1,
            at_least_once: false,
        }
    }
}
