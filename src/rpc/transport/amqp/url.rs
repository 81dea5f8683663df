//! oslo transport URLs for RabbitMQ: `rabbit://user:pass@host:port[,user:pass@host:port…]/vhost?query`
//! (oslo: `transport.py` TransportURL). `amqp://` and `amqps://` are accepted too; `amqps`
//! (or `[oslo_messaging_rabbit] ssl = true`) means TLS.

use std::fmt;

/// One broker of a (possibly clustered) URL.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerHost {
    /// User name (`guest` when the URL names none).
    pub username: String,
    /// Password (`guest` when the URL names none).
    pub password: String,
    /// Host name or address.
    pub host: String,
    /// Port (5672, or 5671 with TLS, when the URL names none).
    pub port: u16,
}

impl fmt::Debug for BrokerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:***@{}:{}", self.username, self.host, self.port)
    }
}

/// A parsed RabbitMQ transport URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RabbitUrl {
    /// Brokers in URL order; connection attempts go round-robin over them.
    pub hosts: Vec<BrokerHost>,
    /// Virtual host; an empty path means `/`.
    pub vhost: String,
    /// TLS requested by the scheme (`amqps`).
    pub tls: bool,
    /// The raw query string (driver options overriding `[oslo_messaging_rabbit]`).
    pub query: String,
}

/// A URL that cannot be a RabbitMQ transport URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RabbitMQ transport URL {url}: {reason}")]
pub struct UrlError {
    /// The URL, password masked.
    pub url: String,
    /// What is wrong and how to write it instead.
    pub reason: String,
}

/// %-decode one URL part; errors name the part, never its text (it may be a password).
fn percent_decode(text: &str, part: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("truncated %-escape in the {part}"))?;
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| format!("bad %-escape in the {part}"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {part} is not UTF-8 once %-decoded"))
}

impl RabbitUrl {
    /// Parse `url`.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let error = |reason: String| UrlError {
            url: crate::config::mask_url(url),
            reason,
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| error("expected rabbit://user:password@host:5672/vhost".into()))?;
        let tls = match scheme {
            "rabbit" | "amqp" => false,
            "amqps" => true,
            other => {
                return Err(error(format!(
                    "scheme {other:?} is not rabbit, amqp or amqps"
                )))
            }
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (netloc, path) = rest.split_once('/').unwrap_or((rest, ""));
        let vhost = if path.is_empty() {
            "/".to_owned()
        } else {
            percent_decode(path, "virtual host").map_err(error)?
        };
        let default_port = if tls { 5671 } else { 5672 };
        let mut hosts = Vec::new();
        for (index, entry) in netloc.split(',').enumerate() {
            let (userinfo, hostport) = match entry.rsplit_once('@') {
                Some((userinfo, hostport)) => (Some(userinfo), hostport),
                None => (None, entry),
            };
            let (username, password) = match userinfo {
                Some(info) => {
                    let (user, pass) = info.split_once(':').unwrap_or((info, ""));
                    (
                        percent_decode(user, "user name").map_err(error)?,
                        percent_decode(pass, "password").map_err(error)?,
                    )
                }
                None => ("guest".to_owned(), "guest".to_owned()),
            };
            let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
                // IPv6 literal: [::1]:5672
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| error(format!("unclosed [ in host {hostport:?}")))?;
                (host.to_owned(), after.strip_prefix(':'))
            } else {
                match hostport.rsplit_once(':') {
                    Some((host, port)) => (host.to_owned(), Some(port)),
                    None => (hostport.to_owned(), None),
                }
            };
            if host.is_empty() {
                return Err(error(format!(
                    "host {} of the URL names no host name",
                    index + 1
                )));
            }
            let port = match port {
                None | Some("") => default_port,
                Some(text) => text.parse::<u16>().map_err(|_| {
                    error(format!("port {text:?} is not a number between 0 and 65535"))
                })?,
            };
            hosts.push(BrokerHost {
                username,
                password,
                host,
                port,
            });
        }
        Ok(Self {
            hosts,
            vhost,
            tls,
            query: query.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_host_with_credentials_and_default_vhost() {
        let url = RabbitUrl::parse("rabbit://nova:s%40cret@rabbit1:5673/").unwrap();
        assert_eq!(url.vhost, "/");
        assert!(!url.tls);
        let host = &url.hosts[0];
        assert_eq!(
            (
                host.username.as_str(),
                host.password.as_str(),
                host.host.as_str(),
                host.port
            ),
            ("nova", "s@cret", "rabbit1", 5673)
        );
        assert!(
            !format!("{url:?}").contains("s@cret"),
            "Debug masks the password"
        );
    }

    #[test]
    fn several_hosts_vhost_and_query() {
        let url = RabbitUrl::parse(
            "rabbit://a:x@h1:5672,b:y@h2,[::1]:5674/nova%2Fprod?rabbit_qos_prefetch_count=5",
        )
        .unwrap();
        let hosts: Vec<(&str, &str, u16)> = url
            .hosts
            .iter()
            .map(|h| (h.username.as_str(), h.host.as_str(), h.port))
            .collect();
        assert_eq!(
            hosts,
            [("a", "h1", 5672), ("b", "h2", 5672), ("guest", "::1", 5674)]
        );
        assert_eq!(url.vhost, "nova/prod");
        assert_eq!(url.query, "rabbit_qos_prefetch_count=5");
    }

    #[test]
    fn amqps_means_tls_and_port_5671() {
        let url = RabbitUrl::parse("amqps://u:p@secure").unwrap();
        assert!(url.tls);
        assert_eq!(url.hosts[0].port, 5671);
    }

    #[test]
    fn malformed_urls_are_errors_with_the_password_masked() {
        for bad in [
            "nats://u:pw@h",
            "rabbit://u:pw@:5672/",
            "rabbit://u:pw@h:99999/",
            "rabbit://u:pw@h:12x/",
            "rabbit://u:pw@h/%zz",
            "rabbit://u:p%zw@h/",
            "no-scheme",
        ] {
            let error = RabbitUrl::parse(bad).unwrap_err();
            assert!(!error.to_string().contains("pw"), "{error}");
        }
    }
}
