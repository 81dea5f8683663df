//! [`SecretUrl`]: a URL with credentials whose `Debug` and `Display` mask the password
//! (`url_masking.rs`), so it can travel through typed options and logs safely.

use std::fmt;

use super::url_masking::mask;

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
        f.write_str(&mask(&self.0))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", mask(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::server_url::ServerUrl;

    #[test]
    fn debug_and_display_never_show_a_password() {
        let text = "rabbit://nova:hunter2@h1,nova:hunter2@[::1]:5673/v?password=hunter2";
        let secret = SecretUrl::new(text);
        assert_eq!(
            secret.to_string(),
            "rabbit://nova:***@h1,nova:***@[::1]:5673/v?password=***"
        );
        let url = ServerUrl::parse(text).expect("valid");
        for shown in [format!("{secret:?}"), format!("{url:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert_eq!(
            format!("{:?}", url.hosts()),
            "[nova:***@h1, nova:***@[::1]:5673]"
        );
    }
}
