//! [`AmqpSettings`]: `[oslo_messaging_rabbit]` as the RabbitMQ transport uses it (after the
//! transport URL query's overrides).

use std::time::Duration;

use super::tls::{TlsConfigError, TlsFiles};
use super::topology::TopologySettings;
use crate::config::FailoverStrategy;

/// How many consumers share one AMQP channel by default. RabbitMQ allows 2047 channels per
/// connection (`channel_max`), and a process hosting a thousand compute hosts consumes
/// ~6,000 queues, so consumers must share; 64 per channel carries those on ~94 channels and
/// leaves room for ~130,000 consumers. It is not higher because everything on a channel goes
/// through one broker channel process (deliveries, acks, credit flow), and a channel error
/// restarts every consumer on it: 64 keeps both the serialisation and that blast radius
/// small, while idle compute queues cost nothing to share.
pub const CONSUMERS_PER_CHANNEL: u16 = 64;

/// The prefetch a consumer gets when `rabbit_qos_prefetch_count` is 0. oslo then sends no
/// `Basic.Qos` and the broker pushes a queue's whole backlog into the consumer's memory at
/// once (100,000 waiting messages, all of them); novactor bounds what it holds unacknowledged
/// per consumer instead (D-MSG-18) — far more than a server runs at once, so throughput is
/// the same.
pub const BACKLOG_PREFETCH: u16 = 256;

/// Connection settings (`[oslo_messaging_rabbit]`, after the URL query's overrides).
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// Declarations.
    pub topology: TopologySettings,
    /// `rabbit_qos_prefetch_count`, or [`BACKLOG_PREFETCH`] for its 0; 0 here (only when
    /// set so directly) sends no `Basic.Qos`.
    pub prefetch_count: u16,
    /// `heartbeat_timeout_threshold` in seconds; 0 disables heartbeats.
    pub heartbeat_secs: u16,
    /// `rabbit_retry_interval`.
    pub retry_interval: Duration,
    /// `rabbit_retry_backoff`.
    pub retry_backoff: Duration,
    /// `rabbit_interval_max`.
    pub interval_max: Duration,
    /// `kombu_failover_strategy`: which host of a multi-host URL the next attempt takes.
    pub failover: FailoverStrategy,
    /// TLS even for `rabbit://` (`ssl`).
    pub tls: bool,
    /// `ssl_ca_file`, `ssl_cert_file` and `ssl_key_file`, read and checked.
    pub tls_files: TlsFiles,
    /// Authenticate with AMQPLAIN (oslo's default) instead of PLAIN.
    pub amqplain: bool,
    /// Publishes wait this long for a connection before failing.
    pub publish_wait: Duration,
    /// `kombu_missing_consumer_retry_timeout`: how long a reply to a missing reply queue is
    /// retried.
    pub missing_consumer_retry_timeout: Duration,
    /// Consumers sharing one channel, at most (novactor's own; no oslo option).
    /// [`CONSUMERS_PER_CHANNEL`] unless a test packs tighter; 0 counts as 1.
    pub consumers_per_channel: u16,
}

impl Default for AmqpSettings {
    fn default() -> Self {
        Self {
            topology: TopologySettings::default(),
            prefetch_count: BACKLOG_PREFETCH,
            heartbeat_secs: 60,
            retry_interval: Duration::from_secs(1),
            retry_backoff: Duration::from_secs(2),
            interval_max: Duration::from_secs(30),
            failover: FailoverStrategy::RoundRobin,
            tls: false,
            tls_files: TlsFiles::default(),
            amqplain: true,
            publish_wait: Duration::from_secs(60),
            missing_consumer_retry_timeout: Duration::from_secs(60),
            consumers_per_channel: CONSUMERS_PER_CHANNEL,
        }
    }
}

impl AmqpSettings {
    /// Settings from `[oslo_messaging_rabbit]` (after any transport URL query overrides).
    /// The TLS files are read and checked here, so a bad one stops the start.
    pub fn from_options(options: &crate::config::RabbitOptions) -> Result<Self, TlsConfigError> {
        let to_u32 = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        let tls_files = TlsFiles::load(
            options.ssl_ca_file.as_deref(),
            options.ssl_cert_file.as_deref(),
            options.ssl_key_file.as_deref(),
        )?;
        Ok(Self {
            topology: TopologySettings {
                durable_queues: options.amqp_durable_queues,
                quorum_queue: options.rabbit_quorum_queue,
                transient_quorum_queue: options.rabbit_transient_quorum_queue,
                quorum_delivery_limit: to_u32(options.rabbit_quorum_delivery_limit),
                quorum_max_memory_length: to_u32(options.rabbit_quorum_max_memory_length),
                quorum_max_memory_bytes: to_u32(options.rabbit_quorum_max_memory_bytes),
                ha_queues: options.rabbit_ha_queues,
                transient_queues_ttl: options
                    .rabbit_transient_queues_ttl
                    .unwrap_or(Duration::ZERO),
            },
            prefetch_count: match options.rabbit_qos_prefetch_count {
                0 => BACKLOG_PREFETCH,
                prefetch => prefetch,
            },
            heartbeat_secs: options.heartbeat_secs(),
            retry_interval: options.rabbit_retry_interval,
            retry_backoff: options.rabbit_retry_backoff,
            interval_max: options.rabbit_interval_max,
            failover: options.kombu_failover_strategy,
            tls: options.ssl,
            tls_files,
            amqplain: matches!(
                options.rabbit_login_method,
                crate::config::LoginMethod::AmqPlain
            ),
            publish_wait: Duration::from_secs(60),
            missing_consumer_retry_timeout: options.kombu_missing_consumer_retry_timeout,
            consumers_per_channel: CONSUMERS_PER_CHANNEL,
        })
    }
}
