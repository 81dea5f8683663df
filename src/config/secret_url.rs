//! `SecretUrl`: a URL holding a password (`transport_url`) whose `Debug` and `Display` mask
//! the password, so logging a config can never leak it. `expose()` gives the real text to the
//! one place that connects.

use std::fmt;

use super::option_value::mask_url;

/// A URL with credentials; prints as `rabbit://nova:***@host:5672/`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        SecretUrl(url.into())
    }

    /// The URL with its password: pass it to the transport, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_url(&self.0))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", mask_url(&self.0))
    }
}
