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
            let (mut options, mut warnings) = rabbit
                .with_url_query(&parsed.query)
                .map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
            if !(parsed.tls || options.ssl) {
                // oslo reads the ssl_* files only with ssl on: neither does novactor, but it
                // says so rather than ignore them silently.
                let set: Vec<&str> = [
                    ("ssl_ca_file", options.ssl_ca_file.take()),
                    ("ssl_cert_file", options.ssl_cert_file.take()),
                    ("ssl_key_file", options.ssl_key_file.take()),
                ]
                .into_iter()
                .filter_map(|(name, path)| path.map(|_| name))
                .collect();
                if !set.is_empty() {
                    warnings.push(format!(
                        "[oslo_messaging_rabbit] {} set but TLS is off (ssl = false and the \
                         URL is not amqps://): not read, no client certificate is sent",
                        set.join(", ")
                    ));
                }
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
