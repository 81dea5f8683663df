//! The runtime's own options: oslo.messaging's transport and RabbitMQ driver, oslo.log, oslo.db,
//! oslo.service's shutdown timeout, and novactor's `[supervisor]` and `[dashboard]`. A data
//! table: the one place their defaults live. Each entry cites where oslo defines the option
//! and says so where novactor's default differs. An application adds its own table and may
//! change these defaults, as oslo's `set_defaults` lets a project do (`option_registry.rs`).

use super::option_spec::{OptionDefault, OptionKind, OptionSpec};

use OptionDefault::{Unset, Value};

/// The most `[supervisor] runtime_threads` a process may ask for.
const MAX_RUNTIME_THREADS: i64 = 256;

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

/// The runtime's options, grouped by section in the order the sample file shows them.
pub static RUNTIME_OPTIONS: &[OptionSpec] = &[
    // ---- [DEFAULT]: node identity and RPC ----
    OptionSpec::new(
        "DEFAULT",
        "host",
        OptionKind::Hostname,
        OptionDefault::MachineHostname,
        "Name of this node: the server part of RPC topics (<topic>.<host>) and the host \
         column of the services table. Must be unique among nodes and valid in an AMQP \
         routing key.",
        "every OpenStack service's [DEFAULT] host (conf/netconf.py)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "transport_url",
        OptionKind::Url,
        Unset,
        "Messaging transport URL, e.g. rabbit://user:secret@rabbit1:5672,user:secret@rabbit2:5672/. \
         Unset means novactor's in-process memory:// transport (one process, no broker).",
        "oslo_messaging/transport.py",
    )
    .secret(),
    OptionSpec::new(
        "DEFAULT",
        "control_exchange",
        OptionKind::String,
        Value("openstack"),
        "The AMQP exchange RPC topics are scoped to.",
        "oslo_messaging/transport.py (an application sets its own default, as oslo's \
         set_transport_defaults does)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "rpc_response_timeout",
        OptionKind::integer(Some(1), None),
        Value("60"),
        "Seconds to wait for a response from an RPC call.",
        "oslo_messaging/rpc/client.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "executor_thread_pool_size",
        OptionKind::integer(Some(1), None),
        Value("64"),
        "How many RPC requests one actor handles concurrently (oslo: size of the executor \
         thread pool). Actor state changes stay serialized.",
        "oslo_messaging/_drivers/base.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "graceful_shutdown_timeout",
        OptionKind::integer(Some(0), None),
        Value("60"),
        "Seconds a graceful shutdown (SIGTERM) waits for in-flight work before exiting; \
         0 waits forever.",
        "oslo_service/_options.py (an application may set its own default)",
    ),
    // ---- [DEFAULT]: logging and paths ----
    OptionSpec::new(
        "DEFAULT",
        "debug",
        OptionKind::Boolean,
        Value("false"),
        "Log at DEBUG level instead of the default INFO level.",
        "oslo_log/_options.py",
    )
    .mutable(),
    OptionSpec::new(
        "DEFAULT",
        "log_file",
        OptionKind::Path,
        Unset,
        "Log to this file instead of stderr. A relative path is relative to log_dir.",
        "oslo_log/_options.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "log_dir",
        OptionKind::Path,
        Unset,
        "Directory for log_file. With log_dir but no log_file, logs go to \
         <log_dir>/<binary>.log.",
        "oslo_log/_options.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "use_json",
        OptionKind::Boolean,
        Value("false"),
        "Write logs as JSON objects, one per line.",
        "oslo_log/_options.py",
    ),
    // ---- [database]: oslo.db's options (typed view: `DatabaseOptions`) ----
    OptionSpec::new(
        "database",
        "connection",
        OptionKind::Url,
        Unset,
        "Database URL: mysql+pymysql://user:secret@db/name, postgresql://user:secret@db/name \
         or sqlite:////var/lib/novactor/state.sqlite (SQLAlchemy style: four slashes for an \
         absolute path). A +driver part is ignored. Unset means the SQLite file \
         $state_path/novactor.sqlite, created on first use.",
        "oslo_db/options.py (oslo.db: unset is an error; novactor embeds SQLite)",
    )
    .secret(),
    OptionSpec::new(
        "database",
        "max_pool_size",
        OptionKind::integer(Some(1), None),
        Value("5"),
        "Most connections kept open to the database by one process.",
        "oslo_db/options.py",
    ),
    OptionSpec::new(
        "database",
        "max_retries",
        OptionKind::integer(Some(-1), None),
        Value("10"),
        "How many more times the first connection is tried at start when the database \
         cannot be reached; -1 retries forever. Once running, every query uses the pool.",
        "oslo_db/options.py",
    ),
    OptionSpec::new(
        "database",
        "retry_interval",
        OptionKind::integer(Some(0), None),
        Value("10"),
        "Seconds between those connection attempts at start.",
        "oslo_db/options.py",
    ),
    OptionSpec::new(
        "database",
        "connection_recycle_time",
        OptionKind::integer(Some(1), None),
        Value("3600"),
        "Seconds after which a pooled connection is closed and replaced.",
        "oslo_db/options.py",
    ),
    // ---- [oslo_messaging_rabbit]: the RabbitMQ driver (typed view: `RabbitOptions`) ----
    OptionSpec::new(
        RABBIT,
        "amqp_durable_queues",
        OptionKind::Boolean,
        Value("false"),
        "Declare the control exchange and the topic and server queues durable. Every \
         service on the broker must agree, or RabbitMQ refuses the redeclaration (406 \
         PRECONDITION_FAILED inequivalent arg 'durable').",
        "oslo_messaging/_drivers/amqp.py (registered in [oslo_messaging_rabbit])",
    ),
    OptionSpec::new(
        RABBIT,
        "amqp_auto_delete",
        OptionKind::Boolean,
        Value("false"),
        "Declare the control exchange and the topic and server queues auto_delete. Every \
         service on the broker must agree.",
        "oslo_messaging/_drivers/amqp.py (registered in [oslo_messaging_rabbit])",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_quorum_queue",
        OptionKind::Boolean,
        Value("false"),
        "Declare topic and server queues as quorum queues (durable, x-queue-type: quorum; \
         the control exchange becomes durable too). Needs RabbitMQ 3.8+. Cannot be \
         combined with rabbit_ha_queues.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_transient_quorum_queue",
        OptionKind::Boolean,
        Value("false"),
        "Declare reply and fanout queues as durable quorum queues too (and the fanout \
         exchanges durable).",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_quorum_delivery_limit",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "x-delivery-limit on quorum queues: redeliveries before a message is dropped or \
         dead-lettered. 0 sets no limit. Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_quorum_max_memory_length",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "x-max-in-memory-length on quorum queues: messages kept in memory. 0 sets no \
         limit. Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_quorum_max_memory_bytes",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "x-max-in-memory-bytes on quorum queues: bytes kept in memory. 0 sets no limit. \
         Used only with rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_ha_queues",
        OptionKind::Boolean,
        Value("false"),
        "Declare every queue with x-ha-policy: all (classic mirrored queues; RabbitMQ 3.0+ \
         ignores the argument and uses policies instead). Cannot be combined with \
         rabbit_quorum_queue.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_transient_queues_ttl",
        OptionKind::integer(Some(0), None),
        Value("1800"),
        "Seconds an unused reply or fanout queue lives: declared with x-expires = TTL x \
         1000 ms. 0 declares them without x-expires (then a broker policy must delete \
         them). At most 2147483: x-expires is a signed 32-bit number of milliseconds.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor also rejects values whose x-expires \
         overflows 32 bits, which oslo would send as a 64-bit integer)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_qos_prefetch_count",
        OptionKind::integer(Some(0), Some(65535)),
        Value("0"),
        "Basic.Qos on every consuming channel: unacknowledged deliveries a consumer holds. \
         0 means oslo's unlimited, which novactor bounds at 256 so that a queue's backlog is \
         not pulled into memory at once.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: 0..65535, the 16-bit \
         prefetch_count of Basic.Qos, 0 bounded at 256 (D-MSG-18); oslo: no bound, 0 sends \
         no Basic.Qos)",
    ),
    OptionSpec::new(
        RABBIT,
        "heartbeat_timeout_threshold",
        OptionKind::integer(Some(0), Some(65535)),
        Value("60"),
        "AMQP heartbeat timeout in seconds proposed in Connection.TuneOk; the broker is \
         considered down after this long without traffic. 0 disables heartbeats.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: 0..65535, the 16-bit heartbeat \
         of Connection.Tune; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "heartbeat_rate",
        OptionKind::integer(Some(1), None),
        Value("3"),
        "How many times per heartbeat_timeout_threshold oslo checks the heartbeat. \
         Accepted for compatibility and ignored: novactor's AMQP client (lapin) schedules \
         heartbeats itself from the negotiated timeout.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 1, and ignored; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_retry_interval",
        OptionKind::integer(Some(1), None),
        Value("1"),
        "Seconds to wait before the first reconnection attempt to RabbitMQ.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_retry_backoff",
        OptionKind::integer(Some(0), None),
        Value("2"),
        "Seconds added to the reconnection wait after each failed attempt, up to \
         rabbit_interval_max.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_interval_max",
        OptionKind::integer(Some(1), None),
        Value("30"),
        "Longest wait in seconds between reconnection attempts to RabbitMQ.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "kombu_missing_consumer_retry_timeout",
        OptionKind::integer(Some(0), None),
        Value("60"),
        "Seconds a server keeps retrying a reply whose reply queue is missing (mandatory \
         publish returned) before dropping it. Should not exceed rpc_response_timeout.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: >= 0; oslo: no bound)",
    ),
    OptionSpec::new(
        RABBIT,
        "kombu_failover_strategy",
        OptionKind::Choices(FAILOVER_STRATEGY_CHOICES),
        Value("round-robin"),
        "How the next broker is chosen when the current one fails and transport_url \
         lists several: round-robin tries them in order, shuffle in random order.",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
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
    OptionSpec::new(
        RABBIT,
        "ssl",
        OptionKind::Boolean,
        Value("false"),
        "Connect to RabbitMQ over TLS (amqps).",
        "oslo_messaging/_drivers/impl_rabbit.py",
    ),
    OptionSpec::new(
        RABBIT,
        "ssl_ca_file",
        OptionKind::Path,
        Unset,
        "PEM file of the CA certificates that verify the broker (valid only with ssl). \
         Unset uses the system's trust roots.",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    OptionSpec::new(
        RABBIT,
        "ssl_cert_file",
        OptionKind::Path,
        Unset,
        "PEM client certificate presented to the broker (valid only with ssl).",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    OptionSpec::new(
        RABBIT,
        "ssl_key_file",
        OptionKind::Path,
        Unset,
        "PEM private key of ssl_cert_file (valid only with ssl).",
        "oslo_messaging/_drivers/impl_rabbit.py (oslo default '', same meaning)",
    ),
    OptionSpec::new(
        RABBIT,
        "ssl_version",
        OptionKind::String,
        Unset,
        "oslo: the TLS protocol version. Accepted and ignored: novactor's TLS stack \
         (rustls) negotiates TLS 1.2 or 1.3.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: ignored)",
    ),
    OptionSpec::new(
        RABBIT,
        "rabbit_stream_fanout",
        OptionKind::Boolean,
        Value("false"),
        "oslo: replace the fanout queues with one stream queue per topic (x-queue-type: \
         stream). Not supported by novactor yet: true is rejected at start.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: only false)",
    ),
    OptionSpec::new(
        RABBIT,
        "use_queue_manager",
        OptionKind::Boolean,
        Value("false"),
        "oslo: stable reply and fanout queue names (reply_<hostname>:<processname>:<n>) \
         instead of random ones. Not supported by novactor yet: true is rejected at start.",
        "oslo_messaging/_drivers/impl_rabbit.py (novactor: only false)",
    ),
    // ---- [supervisor]: novactor's own group, replacing oslo.service's ProcessLauncher ----
    OptionSpec::new(
        "supervisor",
        "restart_intensity",
        OptionKind::integer(Some(0), None),
        Value("5"),
        "Maximum restarts of one actor within restart_period before the supervisor gives \
         up on it (see escalate).",
        "novactor (oslo.service ProcessLauncher has a fixed fork-rate limit instead)",
    ),
    OptionSpec::new(
        "supervisor",
        "restart_period",
        OptionKind::integer(Some(1), None),
        Value("60"),
        "Window in seconds over which restart_intensity is counted.",
        "novactor",
    ),
    OptionSpec::new(
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
    OptionSpec::new(
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
    OptionSpec::new(
        "supervisor",
        "restart_stable_period",
        OptionKind::integer(Some(0), None),
        Value("120"),
        "Seconds an actor must run without failing before its backoff resets to \
         restart_backoff_initial.",
        "novactor",
    ),
    OptionSpec::new(
        "supervisor",
        "escalate",
        OptionKind::Boolean,
        Value("false"),
        "When an actor exceeds restart_intensity: true exits the process non-zero (let \
         systemd restart it); false isolates the actor and keeps the others running.",
        "novactor",
    ),
    OptionSpec::new(
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
    OptionSpec::new(
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
    )
    .mutable(),
    OptionSpec::new(
        "supervisor",
        "runtime_threads",
        OptionKind::integer(Some(0), Some(MAX_RUNTIME_THREADS)),
        Value("0"),
        "Threads the process's actors run on; 0 is one per core. Each actor instance lives \
         on one of them (its state serialized, its mailbox in order) and different actors \
         run in parallel; 1 runs every actor on the main thread. \
         [DEFAULT] executor_thread_pool_size still bounds each actor's concurrent handlers.",
        "novactor (oslo.service forks workers instead)",
    ),
    OptionSpec::new(
        "dashboard",
        "listen",
        OptionKind::String,
        Value("127.0.0.1"),
        "Address the dashboard, /healthz, /readyz and /metrics listen on. A non-loopback \
         address without admin_token logs a warning: reads are open to whoever reaches it.",
        "novactor",
    ),
    OptionSpec::new(
        "dashboard",
        "port",
        OptionKind::integer(Some(0), Some(65535)),
        Value("8780"),
        "Port of the dashboard; 0 disables it. A port that cannot be bound stops the \
         process at start.",
        "novactor",
    ),
    OptionSpec::new(
        "dashboard",
        "admin_token",
        OptionKind::String,
        Unset,
        "Bearer token the dashboard's operations (restart, stop, start, periodic-task \
         control, drain, service enable/disable) require. Unset: operations are refused.",
        "novactor",
    )
    .secret(),
    OptionSpec::new(
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
    ),
    OptionSpec::new(
        "dashboard",
        "require_token_for_reads",
        OptionKind::Boolean,
        Value("false"),
        "Reads — the JSON API, the state report, the event stream, /metrics — need \
         admin_token too: 'Authorization: Bearer <token>', or the cookie the page sets when \
         the token is typed in. /healthz and /readyz stay open for probes; the page's HTML, \
         script and style hold no state. Needs admin_token.",
        "novactor",
    ),
    OptionSpec::new(
        "dashboard",
        "allowed_hosts",
        OptionKind::List,
        Unset,
        "Host names (besides IP addresses, and localhost on a loopback listener) a request's \
         Host header may carry. Any other name is refused (403): a web page whose own name \
         resolves to this address (DNS rebinding) must not read the dashboard or reach its \
         operations through a visitor's browser.",
        "novactor",
    ),
    OptionSpec::new(
        "dashboard",
        "max_event_streams",
        OptionKind::integer(Some(1), Some(10_000)),
        Value("32"),
        "Live event streams (open dashboard pages) served at once; one more is answered 503.",
        "novactor",
    ),
];

/// The runtime's own spec of `[group] name` (the RabbitMQ driver reads its group directly:
/// a `transport_url` query is typed with the same specs as the file).
pub(crate) fn runtime_spec(group: &str, name: &str) -> Option<&'static OptionSpec> {
    RUNTIME_OPTIONS
        .iter()
        .find(|spec| spec.group == group && spec.name == name)
}
