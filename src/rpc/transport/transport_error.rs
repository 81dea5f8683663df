//! [`TransportError`]: how a transport fails, with recoverability decided once.

/// Errors a transport reports. `is_recoverable` is decided here once, for every variant.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The transport URL names a scheme this build cannot serve.
    #[error(
        "unsupported transport URL scheme {scheme:?} in {url}: this build supports {supported}"
    )]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
        /// The URL, password masked.
        url: String,
        /// Schemes this build knows.
        supported: &'static str,
    },
    /// The URL's scheme is known but the rest is malformed.
    #[error("{0}")]
    InvalidUrl(String),
    /// A TLS file option (`ssl_ca_file`, `ssl_cert_file`, `ssl_key_file`) cannot be used;
    /// found at start.
    #[error(transparent)]
    TlsConfig(#[from] super::tls_config_error::TlsConfigError),
    /// A mandatory publish found no queue (reply queue gone).
    #[error("no queue {queue:?} to deliver to")]
    Unroutable {
        /// The missing queue.
        queue: String,
    },
    /// The transport was shut down.
    #[error("transport closed")]
    Closed,
    /// Connection-level failure (broker down, network).
    #[error("connection failed: {0}")]
    Connection(String),
    /// One more consumer than the connection can carry, even with consumers sharing
    /// channels: every consumer channel the broker's `channel_max` leaves is full.
    #[error(
        "{consumers} consumers do not fit on one connection: it may open {consumer_channels} \
         consumer channels of {per_channel} consumers each (the broker's channel_max is \
         {channel_max}; the publisher, the declaration channels and a margin for channels \
         being closed take the rest)"
    )]
    TooManyConsumers {
        /// Consumers the connection would carry with this one.
        consumers: usize,
        /// Consumers per channel (the transport's setting).
        per_channel: u16,
        /// Channels the transport may open for consumers.
        consumer_channels: usize,
        /// The negotiated `channel_max`.
        channel_max: u16,
    },
}

impl TransportError {
    /// True when retrying later may succeed.
    pub fn is_recoverable(&self) -> bool {
        match self {
            Self::UnsupportedScheme { .. } => false,
            Self::InvalidUrl(_) => false,
            Self::TlsConfig(_) => false,
            Self::Unroutable { .. } => true,
            Self::Closed => false,
            Self::Connection(_) => true,
            // Retrying gives the same answer until subscriptions end or settings change.
            Self::TooManyConsumers { .. } => false,
        }
    }
}
