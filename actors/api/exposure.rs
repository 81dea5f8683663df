//! Where the compute API may listen while it has no authentication in front of it (noauth:
//! a token names its own user, and `admin` is an administrator): on loopback, or — with
//! `[api] allow_noauth_on_network` — beyond it, said at start and in `/readyz` for as long
//! as the process runs.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::Utc;
use novactor::dashboard::{CheckResult, HealthStatus, ReadinessCheck};

/// Whether `listen` (`osapi_compute_listen`) reaches beyond this machine. A name other
/// than `localhost` may resolve anywhere, so it counts as beyond.
pub fn beyond_loopback(listen: &str) -> bool {
    let listen = listen.trim().trim_start_matches('[').trim_end_matches(']');
    if listen.eq_ignore_ascii_case("localhost") {
        return false;
    }
    listen
        .parse::<IpAddr>()
        .map_or(true, |addr| !addr.is_loopback())
}

/// Whether the API of `api` would serve noauth2 beyond loopback (with Keystone in front,
/// every request is authenticated and the API may face a network).
pub fn noauth_beyond_loopback(api: &crate::conf::ApiConf) -> bool {
    beyond_loopback(&api.osapi_compute_listen)
        && matches!(api.auth.strategy, crate::conf::AuthStrategy::NoAuth2)
}

/// Why a noauth API beyond loopback is dangerous, for the refusal, the warning and `/readyz`.
pub fn exposure_text(listen: &str) -> String {
    format!(
        "[DEFAULT] osapi_compute_listen = {listen} serves the compute API beyond this machine \
         without authentication (noauth: a token names its own user, and user `admin` is an \
         administrator)"
    )
}

/// `/readyz` entry `api:noauth-on-network`: a warning for as long as the process runs.
#[derive(Debug, Clone)]
pub struct NoauthOnNetwork {
    listen: String,
}

impl NoauthOnNetwork {
    /// The check of an API listening on `listen`.
    pub fn new(listen: &str) -> Self {
        Self {
            listen: listen.to_owned(),
        }
    }

    fn result(&self) -> CheckResult {
        CheckResult {
            component_id: "osapi_compute".to_owned(),
            component_type: "component",
            status: HealthStatus::Warn,
            observed_value: None,
            observed_unit: None,
            time: Utc::now().to_rfc3339(),
            output: format!(
                "{}; allowed by [api] allow_noauth_on_network",
                exposure_text(&self.listen)
            ),
        }
    }
}

#[async_trait]
impl ReadinessCheck for NoauthOnNetwork {
    fn name(&self) -> &'static str {
        "api:noauth-on-network"
    }

    async fn check(&self) -> CheckResult {
        self.result()
    }

    fn timed_out(&self) -> CheckResult {
        self.result()
    }
}

#[cfg(test)]
mod tests {
    use super::beyond_loopback;

    #[test]
    fn loopback_addresses_and_localhost_stay_on_the_machine() {
        for listen in [
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
            "localhost",
            " 127.0.0.1 ",
        ] {
            assert!(!beyond_loopback(listen), "{listen}");
        }
        for listen in [
            "0.0.0.0",
            "::",
            "10.0.0.5",
            "192.168.1.1",
            "api.example.net",
            "",
        ] {
            assert!(beyond_loopback(listen), "{listen}");
        }
    }
}
