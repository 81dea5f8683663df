//! [`ServerUrl`]: the one reader of URLs that name servers and carry credentials,
//! `[DEFAULT] transport_url` (oslo.messaging) and `[database] connection` (oslo.db,
//! SQLAlchemy style): `scheme://[user[:password]@]host[:port][,…]/path?query#fragment`.
//! The text is split as Python's `urlsplit` splits it (the host list ends at the first `/`,
//! `?` or `#`); the host list is split on `,` as oslo.messaging's `TransportURL.parse` splits
//! it (empty entries skipped); each host goes to the `url` crate, which checks user info, host
//! (IPv6 in brackets; a bare address with several `:` is IPv6 without a port, as oslo.utils
//! `parse_host_port` reads it) and port. User names and passwords are %-decoded. The AMQP
//! transport (`RabbitUrl`) and the database pool (`db::pool`) both build on it, and masking
//! (`url_masking.rs`) reads a URL exactly as connecting does.
//!
//! Why in `config`: the transport and the pool both take these URLs from `config` already (as
//! `SecretUrl`), and `config` depends on neither.

use std::fmt;
use std::ops::Range;

use percent_encoding::percent_decode_str;

use super::secret_query::{mask_query, MASK};

/// One host of a URL (oslo.messaging: `TransportHost`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerHost {
    /// User name, %-decoded; `None` without `user@`.
    pub username: Option<String>,
    /// Password, %-decoded; `None` without `user:password@` (`user:@host` is `Some("")`).
    pub password: Option<String>,
    /// Host name or address as written; an IPv6 address without its brackets.
    pub host: String,
    /// Port; `None` when the URL names none.
    pub port: Option<u16>,
}

impl fmt::Debug for ServerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.username {
            f.write_str(user)?;
            if self.password.is_some() {
                write!(f, ":{MASK}")?;
            }
            f.write_str("@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// A parsed credential-carrying URL (see the module doc). `Debug` masks passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    scheme: String,
    hosts: Vec<ServerHost>,
    path: String,
    query: String,
    after_scheme: String,
}

/// Why a URL cannot be read. Messages never repeat the URL's text: any part of it may be a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerUrlError {
    /// No `scheme://` in front.
    #[error(
        "no scheme: write scheme://user:password@host:port/path, \
         e.g. rabbit://nova:secret@rabbit1:5672/ or mysql+pymysql://nova:secret@db/nova"
    )]
    NoScheme,
    /// A host entry has user info or a port but no host name.
    #[error("host {position} of the URL names no host name (write user:password@host:port)")]
    EmptyHost {
        /// 1-based place in the comma-separated host list.
        position: usize,
    },
    /// A port is not a number from 0 to 65535.
    #[error(
        "the port of host {position} of the URL is not a number from 0 to 65535 \
         (a password with : / ? # , or @ must be %-encoded, e.g. / as %2F)"
    )]
    BadPort {
        /// 1-based place in the comma-separated host list.
        position: usize,
    },
    /// A host is not a host name, IPv4 address or bracketed IPv6 address.
    #[error("host {position} of the URL is not a host name or address: {reason}")]
    BadHost {
        /// 1-based place in the comma-separated host list.
        position: usize,
        /// What the `url` crate found wrong.
        reason: url::ParseError,
    },
    /// A %-encoded part does not decode to UTF-8.
    #[error("the {part} of the URL is not UTF-8 once %-decoded")]
    NotUtf8 {
        /// Which part, e.g. `password of host 2`.
        part: String,
    },
}

impl ServerUrl {
    /// Reads `text` (see the module doc).
    pub fn parse(text: &str) -> Result<Self, ServerUrlError> {
        let layout = Layout::of(text)?;
        let hosts = layout
            .entries
            .iter()
            .map(|entry| entry.parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ServerUrl {
            scheme: layout.scheme.to_ascii_lowercase(),
            hosts,
            path: text[layout.path].to_owned(),
            query: layout.query.map(|q| text[q].to_owned()).unwrap_or_default(),
            after_scheme: text[layout.netloc.start..].to_owned(),
        })
    }

    /// The scheme, lowercased (`rabbit`, `mysql+pymysql`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The hosts in URL order; empty for `sqlite:///path` or `rabbit:///`.
    pub fn hosts(&self) -> &[ServerHost] {
        &self.hosts
    }

    /// The path as written (`/vhost`, `//abs/file.db`), `""` when there is none.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path without its leading `/`, %-decoded (oslo.messaging's virtual host).
    pub fn path_decoded(&self) -> Result<String, ServerUrlError> {
        let path = self.path.strip_prefix('/').unwrap_or(&self.path);
        decode(path, || "path".to_owned())
    }

    /// The query as written, without `?` (driver options: `ssl=1&heartbeat_rate=3`).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The URL with `scheme` instead of its own, the rest verbatim (password included): for a
    /// driver that reads the URL itself, e.g. sqlx's `postgresql://`.
    pub fn with_scheme(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.after_scheme)
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerUrl")
            .field("scheme", &self.scheme)
            .field("hosts", &self.hosts)
            .field("path", &self.path)
            .field("query", &mask_query(&self.query))
            .finish()
    }
}

/// Where the parts of a URL's text are (byte ranges into it), before any host is checked.
pub(super) struct Layout<'a> {
    scheme: &'a str,
    /// The comma-separated host list.
    netloc: Range<usize>,
    path: Range<usize>,
    /// Without the `?`.
    query: Option<Range<usize>>,
    /// Non-empty entries of the host list.
    pub(super) entries: Vec<HostEntry>,
}

/// One entry of the host list, `[user[:password]@]host[:port]`.
pub(super) struct HostEntry {
    /// 1-based place in the list as written (empty entries count).
    position: usize,
    range: Range<usize>,
    /// The last `@` of the entry: user info is before it.
    pub(super) at: Option<usize>,
    /// The first `:` before `at`: the password is between it and `at`.
    pub(super) colon: Option<usize>,
}

impl<'a> Layout<'a> {
    pub(super) fn of(text: &'a str) -> Result<Self, ServerUrlError> {
        let (scheme, _) = text.split_once("://").ok_or(ServerUrlError::NoScheme)?;
        let mut chars = scheme.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid {
            return Err(ServerUrlError::NoScheme);
        }
        let start = scheme.len() + 3;
        let end_of =
            |from: usize, stops: &[char]| text[from..].find(stops).map_or(text.len(), |i| from + i);
        let netloc = start..end_of(start, &['/', '?', '#']);
        let path = netloc.end..end_of(netloc.end, &['?', '#']);
        let query = text[path.end..]
            .starts_with('?')
            .then(|| path.end + 1..end_of(path.end, &['#']));
        let mut entries = Vec::new();
        let mut from = netloc.start;
        for (index, entry) in text[netloc.clone()].split(',').enumerate() {
            let range = from..from + entry.len();
            from = range.end + 1;
            if entry.is_empty() {
                continue;
            }
            let at = entry.rfind('@').map(|i| range.start + i);
            let colon = at.and_then(|at| text[range.start..at].find(':').map(|i| range.start + i));
            entries.push(HostEntry {
                position: index + 1,
                range,
                at,
                colon,
            });
        }
        Ok(Layout {
            scheme,
            netloc,
            path,
            query,
            entries,
        })
    }

    /// Whether the reading cannot depend on an unencoded delimiter inside a password: no `@`
    /// after the host list, and every host written the same way (all with `user:password@`, all
    /// with `user@`, or none with user info; oslo.messaging warns about mixed lists).
    pub(super) fn is_unambiguous(&self, text: &str) -> bool {
        let shape = |e: &HostEntry| (e.at.is_some(), e.colon.is_some());
        !text[self.netloc.end..].contains('@')
            && self
                .entries
                .windows(2)
                .all(|pair| shape(&pair[0]) == shape(&pair[1]))
    }
}

impl HostEntry {
    pub(super) fn parse(&self, text: &str) -> Result<ServerHost, ServerUrlError> {
        let position = self.position;
        let entry = &text[self.range.clone()];
        let (userinfo, hostport) = match self.at {
            Some(at) => (
                Some(&text[self.range.start..at]),
                &text[at + 1..self.range.end],
            ),
            None => (None, entry),
        };
        // oslo.utils parse_host_port: an unbracketed host with more than one `:` is an IPv6
        // address without a port.
        let bare_ipv6 = !hostport.starts_with('[') && hostport.matches(':').count() > 1;
        let authority = match (userinfo, bare_ipv6) {
            (Some(info), true) => format!("{info}@[{hostport}]"),
            (Some(info), false) => format!("{info}@{hostport}"),
            (None, true) => format!("[{hostport}]"),
            (None, false) => hostport.to_owned(),
        };
        // A scheme the `url` crate treats as no special one, whatever this URL's is, so every
        // scheme is read the same way (no default ports, no host lowercasing).
        let url = url::Url::parse(&format!("oslo://{authority}")).map_err(|e| match e {
            url::ParseError::EmptyHost => ServerUrlError::EmptyHost { position },
            url::ParseError::InvalidPort => ServerUrlError::BadPort { position },
            reason => ServerUrlError::BadHost { position, reason },
        })?;
        let host = match url.host() {
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(url::Host::Ipv4(address)) => address.to_string(),
            Some(url::Host::Domain(domain)) if !domain.is_empty() => hostport
                .split_once(':')
                .map_or(hostport, |(host, _)| host)
                .to_owned(),
            _ => return Err(ServerUrlError::EmptyHost { position }),
        };
        let username = match userinfo {
            Some(_) => Some(decode(url.username(), || {
                format!("user name of host {position}")
            })?),
            None => None,
        };
        let password = match self.colon {
            Some(_) => Some(decode(url.password().unwrap_or_default(), || {
                format!("password of host {position}")
            })?),
            None => None,
        };
        Ok(ServerHost {
            username,
            password,
            host,
            port: url.port(),
        })
    }
}

/// %-decodes `text` (a `%` not followed by two hex digits stays, as Python's `unquote` keeps it).
fn decode(text: &str, part: impl FnOnce() -> String) -> Result<String, ServerUrlError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ServerUrlError::NotUtf8 { part: part() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_hosts_path_and_query_as_oslo_does() {
        let url = ServerUrl::parse(
            "Rabbit://a:x%2Fy@h1:5672,,b@H2,[::1]:5674,fe80::1/nova%2Fprod?x=1&y=2#frag",
        )
        .expect("valid");
        assert_eq!(url.scheme(), "rabbit");
        let host = |username: Option<&str>, password: Option<&str>, host: &str, port| ServerHost {
            username: username.map(str::to_owned),
            password: password.map(str::to_owned),
            host: host.to_owned(),
            port,
        };
        assert_eq!(
            url.hosts(),
            [
                host(Some("a"), Some("x/y"), "h1", Some(5672)),
                host(Some("b"), None, "H2", None),
                host(None, None, "::1", Some(5674)),
                host(None, None, "fe80::1", None),
            ]
        );
        assert_eq!(url.path(), "/nova%2Fprod");
        assert_eq!(url.path_decoded(), Ok("nova/prod".to_owned()));
        assert_eq!(url.query(), "x=1&y=2");
        assert_eq!(
            url.with_scheme("amqp"),
            "amqp://a:x%2Fy@h1:5672,,b@H2,[::1]:5674,fe80::1/nova%2Fprod?x=1&y=2#frag"
        );

        let sqlite = ServerUrl::parse("sqlite:////var/lib/nova.db").expect("valid");
        assert!(sqlite.hosts().is_empty());
        assert_eq!(sqlite.path(), "//var/lib/nova.db");
        let pg = ServerUrl::parse("postgresql+psycopg2://nova:pw@db:5433/nova").expect("valid");
        assert_eq!(pg.hosts()[0].port, Some(5433));
        assert_eq!(pg.path_decoded(), Ok("nova".to_owned()));
    }

    #[test]
    fn parse_errors_name_the_host_and_never_repeat_the_url() {
        for (url, expected) in [
            ("no scheme", ServerUrlError::NoScheme),
            ("1abc://h", ServerUrlError::NoScheme),
            (
                "rabbit://u:pw@:5672/",
                ServerUrlError::EmptyHost { position: 1 },
            ),
            (
                "rabbit://h,u:pw@/",
                ServerUrlError::EmptyHost { position: 2 },
            ),
            (
                "rabbit://h1,,h2:pw/",
                ServerUrlError::BadPort { position: 3 },
            ),
            ("rabbit://h:65536/", ServerUrlError::BadPort { position: 1 }),
            (
                "rabbit://u:pw@[::1/",
                ServerUrlError::BadHost {
                    position: 1,
                    reason: url::ParseError::InvalidIpv6Address,
                },
            ),
            (
                "rabbit://u:p%ffw@h/",
                ServerUrlError::NotUtf8 {
                    part: "password of host 1".to_owned(),
                },
            ),
        ] {
            assert_eq!(ServerUrl::parse(url), Err(expected.clone()), "{url}");
            assert!(!expected.to_string().contains("pw"), "{expected}");
        }
        let bad_path = ServerUrl::parse("rabbit://h/%ff").expect("the path is read lazily");
        assert!(bad_path.path_decoded().is_err());
    }
}
