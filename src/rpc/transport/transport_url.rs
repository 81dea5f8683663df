//! [`from_url`]: the transport a `transport_url` names (oslo: `transport.py` URL → driver).

use std::sync::Arc;

use super::amqp;
use super::contract::Transport;
use super::memory;
use super::transport_error::TransportError;

/// Build the transport a `transport_url` names; `None` is the in-process `memory://`.
/// `rabbit://`, `amqp://` and `amqps://` start a RabbitMQ connection in the background
/// (so this must run inside a tokio runtime).
/// Driver options in the URL query override `rabbit` as oslo does; the returned strings
/// are warnings about query keys that are not options.
pub fn from_url(
    url: Option<&str>,
    rabbit: &crate::config::RabbitOptions,
) -> Result<(Arc<dyn Transport>, Vec<String>), TransportError> {
    let url = url.unwrap_or("memory://");
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "memory" | "fake" => Ok((Arc::new(memory::MemoryTransport::new()), Vec::new())),
        "rabbit" | "amqp" | "amqps" => {
            let parsed = amqp::RabbitUrl::parse(url)
                .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
            let (options, warnings) = rabbit
                .with_url_query(&parsed.query)
                .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
            let mut warnings = warnings;
            let tls = parsed.tls || options.ssl;
            if !tls && (options.ssl_cert_file.is_some() || options.ssl_key_file.is_some()) {
                // oslo reads the ssl_* files only with ssl on; say so rather than ignore
                // them silently.
                warnings.push(
                    "[oslo_messaging_rabbit] ssl_cert_file / ssl_key_file are set but TLS is off \
                     (ssl = false and the URL is not amqps://): no client certificate is sent"
                        .to_owned(),
                );
            }
            let settings = amqp::AmqpSettings::from_options(&options)?;
            Ok((
                Arc::new(amqp::AmqpTransport::new(parsed, settings)),
                warnings,
            ))
        }
        other => Err(TransportError::UnsupportedScheme {
            scheme: other.to_owned(),
            url: crate::config::mask_url(url),
            supported: "memory://, rabbit://, amqp://, amqps://",
        }),
    }
}
