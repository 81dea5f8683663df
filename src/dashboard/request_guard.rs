//! What every dashboard request passes before its handler: a Host header naming this
//! dashboard (an IP address the listener serves, `localhost` on loopback, or a name from
//! `[dashboard] allowed_hosts`) — else a page whose own name resolves to this address (DNS
//! rebinding) could read the dashboard and reach its operations through a visitor's browser
//! —, the admin token for reads when `[dashboard] require_token_for_reads` asks for it, and,
//! on every answer, headers that keep it out of other sites' frames.

use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use super::api_error::ApiError;
use crate::config::SecretString;

/// The cookie the page sets when the token is typed in (an `EventSource` cannot send a
/// header); `SameSite=Strict`, so no other site's page sends it.
pub(super) const TOKEN_COOKIE: &str = "novactor_dashboard_token";

/// Paths open without a token even when reads need one: probes, and the page's static
/// parts, which hold no state.
const OPEN_PATHS: &[&str] = &[
    "/",
    "/assets/app.js",
    "/assets/app.css",
    "/healthz",
    "/readyz",
];

/// Whether reads need the admin token, and which.
#[derive(Debug, Clone)]
pub(super) struct ReadAccess(pub(super) Option<SecretString>);

/// `presented` is `expected`, compared by digest: equal lengths, and the time taken says
/// nothing of the token.
pub(super) fn token_matches(presented: Option<&str>, expected: &SecretString) -> bool {
    presented.is_some_and(|token| {
        Sha256::digest(token.as_bytes()) == Sha256::digest(expected.expose().as_bytes())
    })
}

/// The token of `Authorization: Bearer <token>`.
pub(super) fn bearer(request_headers: &header::HeaderMap) -> Option<&str> {
    request_headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The token of the page's cookie (the page percent-encodes it).
fn cookie_token(request_headers: &header::HeaderMap) -> Option<String> {
    request_headers
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .and_then(|(_, value)| percent_decode_str(value.trim()).decode_utf8().ok())
        .map(|token| token.into_owned())
}

/// Which Host headers the dashboard answers.
#[derive(Debug, Clone)]
pub(super) struct HostRule {
    /// The address it listens on.
    listen: IpAddr,
    /// `[dashboard] allowed_hosts`, lowercased.
    names: Vec<String>,
}

impl HostRule {
    pub(super) fn new(listen: IpAddr, names: &[String]) -> Self {
        Self {
            listen,
            names: names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request carrying `host` (a Host header, port optional) is for this
    /// dashboard. No Host header (HTTP/1.0) is no browser's request: allowed.
    pub(super) fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return true };
        let Some(name) = host_name(host) else {
            return false;
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            return self.listen.is_unspecified()
                || ip == self.listen
                || (self.listen.is_loopback() && ip.is_loopback());
        }
        let name = name.to_ascii_lowercase();
        (name == "localhost" && (self.listen.is_loopback() || self.listen.is_unspecified()))
            || self.names.contains(&name)
    }
}

/// The name of a Host header without its port: `[::1]:80` → `::1`, `h:80` → `h`.
fn host_name(host: &str) -> Option<&str> {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(is_port))
            .then_some(inside);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if is_port(port) && !name.contains(':') => Some(name),
        Some(_) => None,
        None => (!host.is_empty()).then_some(host),
    }
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The middleware: refuse other hosts (403), frame-deny every answer.
pub(super) async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"));
    let allowed = request
        .app_data::<web::Data<HostRule>>()
        .is_none_or(|rule| rule.allows(host));
    if !allowed {
        let host = host.unwrap_or_default().to_owned();
        return Err(ApiError::Forbidden(format!(
            "Host {host:?} is not this dashboard's address; add the name to [dashboard] \
             allowed_hosts if it is"
        ))
        .into());
    }
    // The shared rule, not a copy of the secret per request.
    let access = request.app_data::<web::Data<ReadAccess>>().cloned();
    if let Some(expected) = access.as_ref().and_then(|access| access.0.as_ref()) {
        let open = OPEN_PATHS.contains(&request.path());
        let headers = request.headers();
        if !open
            && !token_matches(bearer(headers), expected)
            && !token_matches(cookie_token(headers).as_deref(), expected)
        {
            return Err(ApiError::Unauthorized(
                "reads need the admin token ([dashboard] require_token_for_reads): send \
                 'Authorization: Bearer <token>', or type it into the page"
                    .to_owned(),
            )
            .into());
        }
    }
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(listen: &str, names: &[&str]) -> HostRule {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        HostRule::new(listen.parse().unwrap(), &names)
    }

    #[test]
    fn a_loopback_dashboard_answers_loopback_addresses_and_localhost_only() {
        let loopback = rule("127.0.0.1", &[]);
        for host in [
            "127.0.0.1:8780",
            "127.0.0.1",
            "localhost:8780",
            "LOCALHOST",
            "[::1]:8780",
        ] {
            assert!(loopback.allows(Some(host)), "{host}");
        }
        for host in [
            "evil.example:8780",
            "10.0.0.1:8780",
            "127.0.0.1.nip.io:8780",
            "127.0.0.1:8780:1",
            "::1:8780",
            "",
        ] {
            assert!(!loopback.allows(Some(host)), "{host}");
        }
        assert!(loopback.allows(None));
    }

    #[test]
    fn any_address_of_a_wildcard_listener_and_the_configured_names_are_answered() {
        let wildcard = rule("0.0.0.0", &["Dash.Example.NET"]);
        for host in [
            "10.1.2.3:8780",
            "[fe80::1]:8780",
            "dash.example.net:8780",
            "localhost",
        ] {
            assert!(wildcard.allows(Some(host)), "{host}");
        }
        assert!(!wildcard.allows(Some("attacker.example:8780")));
        let specific = rule("10.1.2.3", &[]);
        assert!(specific.allows(Some("10.1.2.3:8780")));
        assert!(!specific.allows(Some("10.1.2.4:8780")));
        assert!(!specific.allows(Some("localhost:8780")));
    }
}
