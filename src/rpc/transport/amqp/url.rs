//! oslo transport URLs for RabbitMQ: `rabbit://user:pass@host:port[,user:pass@host:port…]/vhost?query`
//! (oslo: `transport.py` TransportURL). `amqp://` and `amqps://` are accepted too; `amqps`
//! (or `[oslo_messaging_rabbit] ssl = true`) means TLS. The URL is read by the shared
//! `config::ServerUrl`; this file only gives it RabbitMQ's defaults.

use std::fmt;

use crate::config::ServerUrl;

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

impl RabbitUrl {
    /// Parse `url` with the shared URL reader (`config::ServerUrl`, oslo's `TransportURL.parse`
    /// rules). A host without `user:password@` logs in as guest/guest; `user@host` has an empty
    /// password.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let error = |reason: String| UrlError {
            url: crate::config::mask_url(url),
            reason,
        };
        let parsed = ServerUrl::parse(url).map_err(|e| error(e.to_string()))?;
        let tls = match parsed.scheme() {
            "rabbit" | "amqp" => false,
            "amqps" => true,
            other => {
                return Err(error(format!(
                    "scheme {other:?} is not rabbit, amqp or amqps"
                )))
            }
        };
        if parsed.hosts().is_empty() {
            return Err(error(
                "it names no broker: write rabbit://user:password@host:5672/".to_owned(),
            ));
        }
        let vhost = parsed.path_decoded().map_err(|e| error(e.to_string()))?;
        let vhost = if vhost.is_empty() {
            "/".to_owned()
        } else {
            vhost
        };
        let default_port = if tls { 5671 } else { 5672 };
        let hosts = parsed
            .hosts()
            .iter()
            .map(|host| {
                let (username, password) = match (&host.username, &host.password) {
                    (None, _) => ("guest".to_owned(), "guest".to_owned()),
                    (Some(user), password) => (user.clone(), password.clone().unwrap_or_default()),
                };
                BrokerHost {
                    username,
                    password,
                    host: host.host.clone(),
                    port: host.port.unwrap_or(default_port),
                }
            })
            .collect();
        Ok(Self {
            hosts,
            vhost,
            tls,
            query: parsed.query().to_owned(),
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
            "rabbit://u:pw@[::1/",
            "rabbit://u:pw@h/%ff",
            "rabbit://u:p%ffw@h/",
            "rabbit:///",
            "rabbit://u:pw/x@h/",
            "rabbit://u:pw,x@h/",
            "no-scheme",
            "u:pw@h",
        ] {
            let error = RabbitUrl::parse(bad).unwrap_err();
            assert!(!error.to_string().contains("pw"), "{error}");
        }
    }

    #[test]
    fn oslo_leniencies_are_kept() {
        // Python's unquote keeps a `%` that starts no escape; a bare IPv6 address with several
        // `:` has no port (oslo.utils parse_host_port); empty host entries are skipped; the
        // fragment is not part of the query; a user without a password has an empty one.
        let url = RabbitUrl::parse("rabbit://u:p%zw@h1,,::1,v@h3/%zz?heartbeat_rate=2#frag")
            .expect("oslo reads it");
        assert_eq!(url.hosts[0].password, "p%zw");
        assert_eq!(url.vhost, "%zz");
        let hosts: Vec<(&str, &str, &str, u16)> = url
            .hosts
            .iter()
            .map(|h| {
                (
                    h.username.as_str(),
                    h.password.as_str(),
                    h.host.as_str(),
                    h.port,
                )
            })
            .collect();
        assert_eq!(
            hosts,
            [
                ("u", "p%zw", "h1", 5672),
                ("guest", "guest", "::1", 5672),
                ("v", "", "h3", 5672)
            ]
        );
        assert_eq!(url.query, "heartbeat_rate=2");
        // Percent-encoded delimiters in a password decode to themselves.
        let url = RabbitUrl::parse("RABBIT://u:p%2Fa%3Fb%23c%2Cd%40e%3Af@h/").expect("valid");
        assert_eq!(url.hosts[0].password, "p/a?b#c,d@e:f");
    }
}
