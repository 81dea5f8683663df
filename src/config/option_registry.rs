//! The option registry: one `OptionSpec` per nova.conf option novactor reads. This table is the
//! one place defaults live; the typed view (`option_groups.rs`), `Config::show` and the sample
//! file (`config_sample.rs`) are all derived from it. Each entry cites where Nova or oslo
//! defines the option, and says so where novactor's default differs.

/// The type of an option's value, with its bounds (oslo.config: `oslo_config/types.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionKind {
    /// Any string.
    String,
    /// A whole number, optionally bounded (inclusive).
    Integer {
        /// Smallest accepted value.
        min: Option<i64>,
        /// Largest accepted value.
        max: Option<i64>,
    },
    /// A finite decimal number, optionally bounded.
    Float {
        /// Lower bound.
        min: Option<f64>,
        /// Whether `min` itself is rejected (`> min` instead of `>= min`).
        min_exclusive: bool,
        /// Upper bound (inclusive).
        max: Option<f64>,
    },
    /// true/false, yes/no, on/off, 1/0, any case.
    Boolean,
    /// Comma-separated, items trimmed; an empty value is an empty list.
    List,
    /// `key1:value1,key2:value2`; keys and values trimmed; keys unique.
    Dict {
        /// When set, every value must be one of these.
        value_choices: Option<&'static [&'static str]>,
    },
    /// One of a fixed set of strings.
    Choices(&'static [&'static str]),
    /// A URL such as `rabbit://user:password@host:5672/`; the password is masked when shown.
    Url,
    /// A filesystem path.
    Path,
    /// A host name: non-empty, no whitespace.
    Hostname,
}

impl OptionKind {
    /// Human text for error messages and the sample: "an integer >= 1", "a boolean", ….
    pub fn expected(&self) -> String {
        match self {
            OptionKind::String => "a string".to_owned(),
            OptionKind::Integer { min, max } => match (min, max) {
                (Some(lo), Some(hi)) => format!("an integer between {lo} and {hi}"),
                (Some(lo), None) => format!("an integer >= {lo}"),
                (None, Some(hi)) => format!("an integer <= {hi}"),
                (None, None) => "an integer".to_owned(),
            },
            OptionKind::Float {
                min,
                min_exclusive,
                max,
            } => {
                let op = if *min_exclusive { ">" } else { ">=" };
                match (min, max) {
                    (Some(lo), Some(hi)) if !min_exclusive => {
                        format!("a number between {lo} and {hi}")
                    }
                    (Some(lo), Some(hi)) => format!("a number {op} {lo} and <= {hi}"),
                    (Some(lo), None) => format!("a number {op} {lo}"),
                    (None, Some(hi)) => format!("a number <= {hi}"),
                    (None, None) => "a number".to_owned(),
                }
            }
            OptionKind::Boolean => "a boolean (true/false, yes/no, on/off, 1/0)".to_owned(),
            OptionKind::List => "a comma-separated list".to_owned(),
            OptionKind::Dict {
                value_choices: None,
            } => "a dict of key:value pairs separated by commas".to_owned(),
            OptionKind::Dict {
                value_choices: Some(choices),
            } => format!(
                "a dict of key:value pairs separated by commas, each value one of {}",
                choices.join(", ")
            ),
            OptionKind::Choices(choices) => format!("one of {}", choices.join(", ")),
            OptionKind::Url => "a URL like rabbit://user:password@host:5672/".to_owned(),
            OptionKind::Path => "a path".to_owned(),
            OptionKind::Hostname => "a host name (non-empty, no whitespace)".to_owned(),
        }
    }
}

/// An option's default value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionDefault {
    /// This literal (parsed like any other value, so `$state_path/x` works).
    Value(&'static str),
    /// No value: the typed view has `None` (or the documented fallback).
    Unset,
    /// The machine's host name (`hostname` crate), `localhost` if it cannot be read.
    MachineHostname,
    /// `$XDG_STATE_HOME/novactor`, else `$HOME/.local/state/novactor`, else `./novactor-state`.
    StatePath,
}

/// One option novactor reads: its place in nova.conf, type, default and documentation.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// Section: `DEFAULT` or a group name, verbatim as in nova.conf.
    pub group: &'static str,
    /// Option name, lowercase, verbatim as in nova.conf.
    pub name: &'static str,
    /// Value type and bounds.
    pub kind: OptionKind,
    /// Default value.
    pub default: OptionDefault,
    /// Help text (the sample file wraps it).
    pub help: &'static str,
    /// Re-read on SIGHUP without a restart (oslo.config `mutable=True`).
    pub mutable: bool,
    /// Never shown in full: a URL's password, or the whole value otherwise.
    pub secret: bool,
    /// Where Nova/oslo defines the option and its default, plus any deviation.
    pub source: &'static str,
}

/// `[supervisor] restart_types` accepted values (see `RestartType`).
pub(crate) const RESTART_TYPE_CHOICES: &[&str] = &["permanent", "transient", "temporary"];

/// The RabbitMQ driver's group (oslo.messaging's name).
pub(crate) const RABBIT: &str = "oslo_messaging_rabbit";

/// `[oslo_messaging_rabbit] kombu_failover_strategy` accepted values (see `FailoverStrategy`).
pub(crate) const FAILOVER_STRATEGY_CHOICES: &[&str] = &["round-robin", "shuffle"];

/// `[oslo_messaging_rabbit] rabbit_login_method`: oslo's choices; only PLAIN and AMQPLAIN
/// pass the typed view (see `LoginMethod`).
pub(crate) const LOGIN_METHOD_CHOICES: &[&str] =
    &["PLAIN", "AMQPLAIN", "EXTERNAL", "RABBIT-CR-DEMO"];

const fn int(min: Option<i64>, max: Option<i64>) -> OptionKind {
    OptionKind::Integer { min, max }
}

const fn opt(
    group: &'static str,
    name: &'static str,
    kind: OptionKind,
    default: OptionDefault,
    help: &'static str,
    source: &'static str,
) -> OptionSpec {
    OptionSpec {
        group,
        name,
        kind,
        default,
        help,
        mutable: false,
        secret: false,
        source,
    }
}

const fn mutable(spec: OptionSpec) -> OptionSpec {
    OptionSpec {
        mutable: true,
        ..spec
    }
}

const fn secret(spec: OptionSpec) -> OptionSpec {
    OptionSpec {
        secret: true,
        ..spec
    }
}

use OptionDefault::{Unset, Value};

static OPTIONS: &[OptionSpec] = &[
    // ---- [DEFAULT]: service identity and RPC ----
    opt(
        "DEFAULT",
        "host",
        OptionKind::Hostname,
        OptionDefault::MachineHostname,
        "Name of this node: the server part of RPC topics (compute.<host>) and the host \
         column of the services table. Must be unique among nodes and valid in an AMQP \
         routing key.",
        "nova/conf/netconf.py",
    ),
    secret(opt(
        "DEFAULT",
        "transport_url",
        OptionKind::Url,
        Unset,
        "Messaging transport URL, e.g. rabbit://nova:secret@rabbit1:5672,nova:secret@rabbit2:5672/. \
         Unset means novactor's in-process memory:// transport (one process, no broker).",
        "oslo_messaging/transport.py",
    )),
    opt(
        "DEFAULT",
        "control_exchange",
        OptionKind::String,
        Value("nova"),
        "The AMQP exchange RPC topics are scoped to.",
        "oslo_messaging/transport.py (oslo default 'openstack'; Nova sets 'nova' in nova/rpc.py)",
    ),
    opt(
        "DEFAULT",
        "rpc_response_timeout",
        int(Some(1), None),
        Value("60"),
        "Seconds to wait for a response from an RPC call.",
        "oslo_messaging/rpc/client.py",
    ),
    opt(
        "DEFAULT",
        "executor_thread_pool_size",
        int(Some(1), None),
        Value("64"),
        "How many RPC requests one actor handles concurrently (oslo: size of the executor \
         thread pool). Actor state changes stay serialized.",
        "oslo_messaging/_drivers/base.py",
    ),
    // ---- [DEFAULT]: service heartbeats and periodic tasks ----
    opt(
        "DEFAULT",
        "report_interval",
        int(Some(1), None),
        Value("10"),
        "Seconds between nodes reporting state to the datastore (service heartbeat).",
        "nova/conf/service.py",
    ),
    opt(
        "DEFAULT",
        "service_down_time",
        int(Some(1), None),
        Value("60"),
        "Maximum seconds since the last heartbeat for a service to count as up. If it is \
         not greater than report_interval, 2.5 x report_interval is used instead and a \
         warning is logged (as Nova does).",
        "nova/conf/service.py; adjustment from nova/servicegroup/api.py",
    ),
    opt(
        "DEFAULT",
        "periodic_enable",
        OptionKind::Boolean,
        Value("true"),
        "Enable periodic tasks.",
        "nova/conf/service.py",
    ),
    opt(
        "DEFAULT",
        "periodic_fuzzy_delay",
        int(Some(0), None),
        Value("60"),
        "Range of seconds to randomly delay the first run of periodic tasks to reduce \
         stampeding (0 disables the delay).",
        "nova/conf/service.py",
    ),
    opt(
        "DEFAULT",
        "periodic_interval_max",
        int(Some(1), None),
        Value("60"),
        "In Nova, the longest sleep of the one loop that checks every periodic task. \
         Accepted so existing nova.conf files load, but it has no effect: novactor runs one \
         timer per task and applies a changed spacing at once, so there is no loop to cap.",
        "nova/service.py Service.create (oslo.service dynamic timer)",
    ),
    opt(
        "DEFAULT",
        "graceful_shutdown_timeout",
        int(Some(0), None),
        Value("180"),
        "Seconds a graceful shutdown (SIGTERM) waits for in-flight work before exiting; \
         0 waits forever.",
        "oslo_service/_options.py (oslo default 60; Nova sets 180)",
    ),
    // ---- [DEFAULT]: logging and paths ----
    mutable(opt(
        "DEFAULT",
        "debug",
        OptionKind::Boolean,
        Value("false"),
        "Log at DEBUG level instead of the default INFO level.",
        "oslo_log/_options.py",
    )),
    opt(
        "DEFAULT",
        "log_file",
        OptionKind::Path,
        Unset,
        "Log to this file instead of stderr. A relative path is relative to log_dir.",
        "oslo_log/_options.py",
    ),
    opt(
        "DEFAULT",
        "log_dir",
        OptionKind::Path,
        Unset,
        "Directory for log_file. With log_dir but no log_file, logs go to \
         <log_dir>/<binary>.log.",
        "oslo_log/_options.py",
    ),
    opt(
        "DEFAULT",
        "use_json",
        OptionKind::Boolean,
        Value("false"),
        "Write logs as JSON objects, one per line.",
        "oslo_log/_options.py",
    ),
    opt(
        "DEFAULT",
        "state_path",
        OptionKind::Path,
        OptionDefault::StatePath,
        "Top-level directory for novactor's state (the embedded database will live here). Other options \
         may refer to it as $state_path. Default: $XDG_STATE_HOME/novactor, else \
         $HOME/.local/state/novactor, else ./novactor-state.",
        "nova/conf/paths.py (Nova: $pybasedir, the Python package directory, which has no \
         meaning for a binary; novactor uses the XDG state directory)",
    ),
    // ---- [DEFAULT]: API service (the typed view puts these in `Config::api`) ----
    opt(
        "DEFAULT",
        "enabled_apis",
        OptionKind::List,
        Value("osapi_compute,metadata"),
        "APIs the api actor starts: osapi_compute is the compute REST API; metadata is accepted and not served.",
        "nova/conf/service.py",
    ),
    opt(
        "DEFAULT",
        "osapi_compute_listen",
        OptionKind::String,
        Value("127.0.0.1"),
        "IP address the compute API listens on. Use 0.0.0.0 to listen on every interface.",
        "nova/conf/service.py (Nova: 0.0.0.0; novactor listens on loopback unless told \
         otherwise, since a laptop run has no auth in front of it)",
    ),
    opt(
        "DEFAULT",
        "osapi_compute_listen_port",
        int(Some(0), Some(65535)),
        Value("8774"),
        "Port the compute API listens on; 0 picks a free port.",
        "nova/conf/service.py (Nova: min 1; novactor accepts 0 for tests)",
    ),
    opt(
        "DEFAULT",
        "osapi_compute_workers",
        int(Some(1), None),
        Unset,
        "HTTP worker threads of the compute API. Unset means 1.",
        "nova/conf/service.py (Nova: unset means the CPU count)",
    ),
    opt(
        "api",
        "noauth_notused_is_admin",
        OptionKind::Boolean,
        Value("true"),
        "Treat the token `notused` (what keystoneauth's `none` plugin and `openstack --os-auth-type none` \
         send) as user and project `admin`. Turn off to make every caller name itself as \
         `<user>:<project>`, as Nova's noauth2 does.",
        "novactor (Nova's noauth2 has no such token; this is deviation D-AUTH)",
    ),
    // ---- [conductor] / [scheduler] ----
    opt(
        "conductor",
        "workers",
        int(Some(1), None),
        Unset,
        "Number of conductor actor instances. Unset means 1: concurrency inside one actor \
         comes from executor_thread_pool_size, not from processes.",
        "nova/conf/conductor.py (Nova: unset means the CPU count, one process each)",
    ),
    opt(
        "scheduler",
        "workers",
        int(Some(1), None),
        Unset,
        "Number of scheduler actor instances. Unset means 1: concurrency inside one actor \
         comes from executor_thread_pool_size, not from processes.",
        "nova/conf/scheduler.py (Nova: unset means the CPU count, one process each)",
    ),
    // ---- [database]: oslo.db's options (typed view: `DatabaseOptions`) ----
    secret(opt(
        "database",
        "connection",
        OptionKind::Url,
        Unset,
        "Database URL: mysql+pymysql://nova:secret@db/nova, postgresql://nova:secret@db/nova \
         or sqlite:////var/lib/nova/nova.sqlite (SQLAlchemy style: four slashes for an \
         absolute path). A +driver part is ignored. Unset means the SQLite file \
         $state_path/novactor.sqlite, created on first use.",
        "oslo_db/options.py (oslo.db: unset is an error; novactor embeds SQLite)",
    )),
    opt(
        "database",
        "max_pool_size",
        int(Some(1), None),
        Value("5"),
        "Most connections kept open to the database by one process.",
        "oslo_db/options.py",
    ),
    opt(
        "database",
        "max_retries",
        int(Some(-1), None),
        Value("10"),
        "How many more times the first connection is tried at start when the database \
         cannot be reached; -1 retries forever. Once running, every query uses the pool.",
        "oslo_db/options.py",
    ),
    opt(
        "database",
        "retry_interval",
        int(Some(0), None),
        Value("10"),
        "Seconds between those connection attempts at start.",
        "oslo_db/options.py",
    ),
    opt(
        "database",
        "connection_recycle_time",
        int(Some(1), None),
        Value("3600"),
        "Seconds after which a pooled connection is closed and replaced.",
        "oslo_db/options.py",
    ),
    // ---- [oslo_messaging_rabbit]: the RabbitMQ driver (typed view: `RabbitOptions`) ----
    opt(
        RABBIT,
        "amqp_durable_queues",
        OptionKind::Boolean,
        Value("false"),
        "Declare the control exchange and the topic and server queues durable. Every \
         service on the broker must agree, or RabbitMQ refuses the redeclaration (406 \
         PRECONDITION_FAILED inequivalent arg 'durable').",
        "oslo_messaging/_drivers/amqp.py (registered in [oslo_messaging_rabbit])",
    ),
    opt(
        RABBIT,
        "amqp_auto_delete",
        OptionKind::Boolean,
        Value("false"),
        "Declare the control exchange and the topic and server queues auto_delete. Every \
         service on the broker must agree.",
        "oslo_messaging/_drivers/amqp.py (registered in [oslo_messaging_rabbit])",
    ),
    opt(
        RABBIT,
        "rabbit_quorum_queue",
        OptionKind::Boolean,
        Value("false"),
        "Declare topic and server queues as quorum queues (durable, x-queue-type: quorum; \
         the control exchange becomes durable too). Needs RabbitMQ 3.8+. Cannot be \
         combined with rabbit_ha_queues.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_transient_quorum_queue",
        OptionKind::Boolean,
        Value("false"),
        "Declare reply and fanout queues as durable quorum queues too (and the fanout \
         exchanges durable).",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_quorum_delivery_limit",
        int(Some(0), None),
        Value("0"),
        "x-delivery-limit on quorum queues: redeliveries before a message is dropped or \
         dead-lettered. 0 sets no limit. Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "rabbit_quorum_max_memory_length",
        int(Some(0), None),
        Value("0"),
        "x-max-in-memory-length on quorum queues: messages kept in memory. 0 sets no \
         limit. Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "rabbit_quorum_max_memory_bytes",
        int(Some(0), None),
        Value("0"),
        "x-max-in-memory-bytes on quorum queues: bytes kept in memory. 0 sets no limit. \
         Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "rabbit_ha_queues",
        OptionKind::Boolean,
        Value("false"),
        "Declare every queue with x-ha-policy: all (classic mirrored queues; RabbitMQ 3.0+ \
         ignores the argument and uses policies instead). Cannot be combined with \
         rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_transient_queues_ttl",
        int(Some(0), None),
        Value("1800"),
        "Seconds an unused reply or fanout queue lives: declared with x-expires = TTL x \
         1000 ms. 0 declares them without x-expires (then a broker policy must delete \
         them). At most 2147483: x-expires is a signed 32-bit number of milliseconds.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor also rejects values whose x-expires \
         overflows 32 bits, which oslo would send as a 64-bit integer)",
    ),
    opt(
        RABBIT,
        "rabbit_qos_prefetch_count",
        int(Some(0), Some(65535)),
        Value("0"),
        "Basic.Qos on every consuming channel; 0 sends none (unlimited).",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: 0..65535, the 16-bit \
         prefetch_count of Basic.Qos; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "heartbeat_timeout_threshold",
        int(Some(0), Some(65535)),
        Value("60"),
        "AMQP heartbeat timeout in seconds proposed in Connection.TuneOk; the broker is \
         considered down after this long without traffic. 0 disables heartbeats.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: 0..65535, the 16-bit heartbeat \
         of Connection.Tune; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "heartbeat_rate",
        int(Some(1), None),
        Value("3"),
        "How many times per heartbeat_timeout_threshold oslo checks the heartbeat. \
         Accepted for compatibility and ignored: novactor's AMQP client (lapin) schedules \
         heartbeats itself from the negotiated timeout.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 1, and ignored; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "rabbit_retry_interval",
        int(Some(1), None),
        Value("1"),
        "Seconds to wait before the first reconnection attempt to RabbitMQ.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_retry_backoff",
        int(Some(0), None),
        Value("2"),
        "Seconds added to the reconnection wait after each failed attempt, up to \
         rabbit_interval_max.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_interval_max",
        int(Some(1), None),
        Value("30"),
        "Longest wait in seconds between reconnection attempts to RabbitMQ.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "kombu_missing_consumer_retry_timeout",
        int(Some(0), None),
        Value("60"),
        "Seconds a server keeps retrying a reply whose reply queue is missing (mandatory \
         publish returned) before dropping it. Should not exceed rpc_response_timeout.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    opt(
        RABBIT,
        "kombu_failover_strategy",
        OptionKind::Choices(FAILOVER_STRATEGY_CHOICES),
        Value("round-robin"),
        "How the next broker is chosen when the current one fails and transport_url \
         lists several: round-robin tries them in order, shuffle in random order.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "rabbit_login_method",
        OptionKind::Choices(LOGIN_METHOD_CHOICES),
        Value("AMQPLAIN"),
        "SASL mechanism of the broker login. novactor's AMQP client (lapin) authenticates \
         with PLAIN or AMQPLAIN (RabbitMQ accepts either, whatever oslo peers use); \
         RABBIT-CR-DEMO and EXTERNAL are rejected at start.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: RABBIT-CR-DEMO and EXTERNAL are \
         not supported)",
    ),
    opt(
        RABBIT,
        "ssl",
        OptionKind::Boolean,
        Value("false"),
        "Connect to RabbitMQ over TLS (amqps).",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    opt(
        RABBIT,
        "ssl_ca_file",
        OptionKind::Path,
        Unset,
        "PEM file of the CA certificates that verify the broker (valid only with ssl). \
         Unset uses the system's trust roots.",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    opt(
        RABBIT,
        "ssl_cert_file",
        OptionKind::Path,
        Unset,
        "PEM client certificate presented to the broker (valid only with ssl).",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    opt(
        RABBIT,
        "ssl_key_file",
        OptionKind::Path,
        Unset,
        "PEM private key of ssl_cert_file (valid only with ssl).",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    opt(
        RABBIT,
        "ssl_version",
        OptionKind::String,
        Unset,
        "oslo: the TLS protocol version. Accepted and ignored: novactor's TLS stack \
         (rustls) negotiates TLS 1.2 or 1.3.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: ignored)",
    ),
    opt(
        RABBIT,
        "rabbit_stream_fanout",
        OptionKind::Boolean,
        Value("false"),
        "oslo: replace the fanout queues with one stream queue per topic (x-queue-type: \
         stream). Not supported by novactor yet: true is rejected at start.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: only false)",
    ),
    opt(
        RABBIT,
        "use_queue_manager",
        OptionKind::Boolean,
        Value("false"),
        "oslo: stable reply and fanout queue names (reply_<hostname>:<processname>:<n>) \
         instead of random ones. Not supported by novactor yet: true is rejected at start.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: only false)",
    ),
    // ---- [supervisor]: novactor's own group, replacing oslo.service's ProcessLauncher ----
    opt(
        "supervisor",
        "restart_intensity",
        int(Some(0), None),
        Value("5"),
        "Maximum restarts of one actor within restart_period before the supervisor gives \
         up on it (see escalate).",
        "novactor (oslo.service ProcessLauncher has a fixed fork-rate limit instead)",
    ),
    opt(
        "supervisor",
        "restart_period",
        int(Some(1), None),
        Value("60"),
        "Window in seconds over which restart_intensity is counted.",
        "novactor",
    ),
    opt(
        "supervisor",
        "restart_backoff_initial",
        OptionKind::Float {
            min: Some(0.0),
            min_exclusive: true,
            max: None,
        },
        Value("0.5"),
        "Seconds to wait before the first restart of a crashed actor; doubles on each \
         further restart up to restart_backoff_max.",
        "novactor",
    ),
    opt(
        "supervisor",
        "restart_backoff_max",
        OptionKind::Float {
            min: Some(0.0),
            min_exclusive: true,
            max: None,
        },
        Value("30"),
        "Upper bound in seconds of the restart backoff. Must be >= restart_backoff_initial.",
        "novactor",
    ),
    opt(
        "supervisor",
        "restart_stable_period",
        int(Some(0), None),
        Value("120"),
        "Seconds an actor must run without failing before its backoff resets to \
         restart_backoff_initial.",
        "novactor",
    ),
    opt(
        "supervisor",
        "escalate",
        OptionKind::Boolean,
        Value("false"),
        "When an actor exceeds restart_intensity: true exits the process non-zero (let \
         systemd restart it); false isolates the actor and keeps the others running.",
        "novactor",
    ),
    opt(
        "supervisor",
        "restart_types",
        OptionKind::Dict {
            value_choices: Some(RESTART_TYPE_CHOICES),
        },
        Value(""),
        "Restart type per actor, e.g. compute:permanent,api:transient. permanent: always \
         restarted; transient: restarted only after a failure; temporary: never restarted. \
         Actors not listed are permanent.",
        "novactor",
    ),
    mutable(opt(
        "supervisor",
        "periodic_jitter",
        OptionKind::Float {
            min: Some(0.0),
            min_exclusive: false,
            max: Some(1.0),
        },
        Value("0.05"),
        "Fraction of a periodic task's spacing added at random to each run, so nodes do \
         not fire together.",
        "novactor (oslo.service periodic_task.py adds up to 5 %)",
    )),
    opt(
        "dashboard",
        "listen",
        OptionKind::String,
        Value("127.0.0.1"),
        "Address the dashboard, /healthz, /readyz and /metrics listen on. A non-loopback \
         address without admin_token logs a warning: reads are open to whoever reaches it.",
        "novactor",
    ),
    opt(
        "dashboard",
        "port",
        int(Some(0), Some(65535)),
        Value("8780"),
        "Port of the dashboard; 0 disables it. A port that cannot be bound stops the \
         process at start.",
        "novactor",
    ),
    secret(opt(
        "dashboard",
        "admin_token",
        OptionKind::String,
        Unset,
        "Bearer token the dashboard's operations (restart, stop, start, periodic-task \
         control, drain, service enable/disable) require. Unset: operations are refused.",
        "novactor",
    )),
    opt(
        "dashboard",
        "refresh_interval",
        OptionKind::Float {
            min: Some(0.1),
            min_exclusive: false,
            max: Some(60.0),
        },
        Value("1"),
        "Seconds between the live updates the dashboard pushes to open pages.",
        "novactor",
    ),    opt(
        "DEFAULT",
        "long_rpc_timeout",
        int(Some(1), None),
        Value("1800"),
        "Timeout of long RPC calls such as select_destinations (their call-monitor timeout is rpc_response_timeout).",
        "nova/conf/rpc.py",
    ),
    opt(
        "DEFAULT",
        "update_resources_interval",
        int(None, None),
        Value("0"),
        "Seconds between resource audits of a compute host (update_available_resource); 0 means 60 s, negative disables.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "sync_power_state_interval",
        int(None, None),
        Value("600"),
        "Seconds between power-state syncs of a compute host's instances with its driver; negative disables.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "scheduler_instance_sync_interval",
        int(None, None),
        Value("120"),
        "Seconds between a compute's sync_instance_info fanouts to the schedulers; negative disables.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "instance_build_timeout",
        int(Some(0), None),
        Value("0"),
        "Seconds an instance may stay building before the compute sets it to error; 0 disables.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "reserved_host_memory_mb",
        int(Some(0), None),
        Value("512"),
        "RAM (MiB) kept for the host and never given to instances.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "reserved_host_disk_mb",
        int(Some(0), None),
        Value("0"),
        "Disk (MiB) kept for the host.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "reserved_host_cpus",
        int(Some(0), None),
        Value("0"),
        "vCPUs kept for the host.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "cpu_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "vCPU overcommit ratio of this compute; unset means initial_cpu_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "ram_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "RAM overcommit ratio of this compute; unset means initial_ram_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "disk_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "Disk overcommit ratio of this compute; unset means initial_disk_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "initial_cpu_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("4.0"),
        "vCPU ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "initial_ram_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("1.0"),
        "RAM ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "initial_disk_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("1.0"),
        "Disk ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    opt(
        "DEFAULT",
        "default_availability_zone",
        OptionKind::String,
        Value("nova"),
        "Availability zone of compute hosts.",
        "nova/conf/availability_zone.py",
    ),
    opt(
        "DEFAULT",
        "internal_service_availability_zone",
        OptionKind::String,
        Value("internal"),
        "Availability zone shown for services other than compute.",
        "nova/conf/availability_zone.py",
    ),
    opt(
        "scheduler",
        "max_attempts",
        int(Some(1), None),
        Value("3"),
        "Hosts tried per instance: the chosen one plus alternates for reschedules.",
        "nova/conf/scheduler.py",
    ),
    opt(
        "filter_scheduler",
        "host_subset_size",
        int(Some(1), None),
        Value("1"),
        "The chosen host is picked at random among this many best-weighed hosts.",
        "nova/conf/scheduler.py",
    ),
    opt(
        "filter_scheduler",
        "track_instance_changes",
        OptionKind::Boolean,
        Value("true"),
        "Computes tell the schedulers about their instances (instance-info fanouts).",
        "nova/conf/scheduler.py",
    ),
    opt(
        "compute",
        "fake_hosts",
        int(Some(1), None),
        Value("1"),
        "Compute actors this process hosts, each its own host (<host>-1 … <host>-N when more than one) with its own queues and heartbeat: a simulated cloud on one box.",
        "novactor",
    ),
    opt(
        "fake_driver",
        "vcpus",
        int(Some(0), None),
        Value("1000"),
        "vCPUs each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    opt(
        "fake_driver",
        "memory_mb",
        int(Some(0), None),
        Value("800000"),
        "RAM (MiB) each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    opt(
        "fake_driver",
        "local_gb",
        int(Some(0), None),
        Value("600000"),
        "Disk (GiB) each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    opt(
        "fake_driver",
        "spawn_delay",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("0"),
        "Seconds each fake spawn takes.",
        "novactor",
    ),
    opt(
        "fake_driver",
        "fail_spawn_pattern",
        OptionKind::String,
        Unset,
        "Regular expression: a spawn of an instance whose display name matches fails (to exercise reschedules and errors).",
        "novactor",
    ),
    opt(
        "fake_driver",
        "panic_spawn_pattern",
        OptionKind::String,
        Unset,
        "Regular expression: a spawn of an instance whose display name matches panics, \
         crashing the compute actor (to exercise the supervisor: restarts, isolation).",
        "novactor",
    ),
];

/// Every option novactor reads, grouped by section in the order the sample file shows them.
pub fn registry() -> &'static [OptionSpec] {
    OPTIONS
}

/// The spec of `[group] name`, if novactor reads it. `group` must already be normalised
/// (`DEFAULT` upper case), `name` lower case.
pub fn option_spec(group: &str, name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.group == group && o.name == name)
}

/// The registry's group names, each once, in registry order.
pub(crate) fn known_groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for o in OPTIONS {
        if !groups.contains(&o.group) {
            groups.push(o.group);
        }
    }
    groups
}
