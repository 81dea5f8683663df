//! [`TlsConfigError`]: a TLS file of `[oslo_messaging_rabbit]` (`ssl_ca_file`,
//! `ssl_cert_file`, `ssl_key_file`) that cannot be used, found at start by the RabbitMQ
//! transport (`amqp/tls.rs`); a [`TransportError`](super::TransportError) variant.

use std::path::PathBuf;

/// A TLS file option that cannot be used, found at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsConfigError {
    /// The file cannot be read.
    #[error("[oslo_messaging_rabbit] {option} = {path}: cannot read the file: {reason}")]
    Unreadable {
        /// `ssl_ca_file`, `ssl_cert_file` or `ssl_key_file`.
        option: &'static str,
        /// The configured path.
        path: PathBuf,
        /// The operating system's answer.
        reason: String,
    },
    /// The file is read but holds nothing usable for its option.
    #[error("[oslo_messaging_rabbit] {option} = {path}: {reason}")]
    Invalid {
        /// `ssl_ca_file`, `ssl_cert_file` or `ssl_key_file`.
        option: &'static str,
        /// The configured path.
        path: PathBuf,
        /// What is wrong, and what the file must hold.
        reason: String,
    },
    /// One of `ssl_cert_file` / `ssl_key_file` is set without the other.
    #[error(
        "[oslo_messaging_rabbit] {given} is set but {missing} is not: a TLS client certificate \
         needs both (ssl_cert_file: the PEM certificate chain, ssl_key_file: its PEM private key)"
    )]
    Incomplete {
        /// The option that is set.
        given: &'static str,
        /// The option that is missing.
        missing: &'static str,
    },
}
