//! [`TokenValidator`]: a caller's token checked as keystonemiddleware's `auth_token` checks
//! it. The validator logs in as the API's service user (`[keystone_authtoken]`), keeps that
//! token until two minutes before it expires (keystoneauth's rule) or Keystone refuses it,
//! and asks `GET {identity}/auth/tokens` with `X-Subject-Token` for each token it has not
//! validated within `token_cache_time`. Logins are single-flight; HTTP clients are per
//! worker thread (a reqwest client's connections belong to the runtime that opened them).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;

use super::password_login::{self, error_message, transport_reason, MIN_TOKEN_LIFE};
use super::token_cache::{self, TokenCache};
use super::validated_token::ValidatedToken;
use crate::conf::AuthTokenConf;

/// Why a request's token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// Missing, garbage, expired or revoked: the caller's fault (401).
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Keystone could not be asked, or would not answer: nobody's fault here (503).
    #[error("keystone unavailable: {0}")]
    Unavailable(String),
}

/// The API's own token and the identity endpoint it validates at.
#[derive(Debug)]
struct ServiceSession {
    token: Arc<str>,
    identity_url: Arc<str>,
    expires_at: chrono::DateTime<Utc>,
    serial: u64,
}

/// One per API server, shared by its workers.
#[derive(Debug)]
pub struct TokenValidator {
    conf: AuthTokenConf,
    ca: Option<reqwest::Certificate>,
    session: tokio::sync::Mutex<Option<ServiceSession>>,
    cache: Mutex<TokenCache>,
    logins: AtomicU64,
    validations: AtomicU64,
}

impl TokenValidator {
    /// A validator for `conf`; fails when `cafile` cannot be read as PEM.
    pub fn new(conf: AuthTokenConf) -> Result<Self, String> {
        let ca = match &conf.cafile {
            Some(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("[keystone_authtoken] cafile {}: {e}", path.display()))?;
                Some(reqwest::Certificate::from_pem(&pem).map_err(|e| {
                    format!(
                        "[keystone_authtoken] cafile {} is not a PEM certificate: {e}",
                        path.display()
                    )
                })?)
            }
            None => None,
        };
        Ok(Self {
            cache: Mutex::new(TokenCache::new(conf.token_cache_time)),
            conf,
            ca,
            session: tokio::sync::Mutex::new(None),
            logins: AtomicU64::new(0),
            validations: AtomicU64::new(0),
        })
    }

    /// An HTTP client for one worker thread.
    pub fn http_client(&self) -> Result<reqwest::Client, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(self.conf.timeout)
            .connect_timeout(self.conf.timeout);
        if let Some(ca) = &self.ca {
            builder = builder.add_root_certificate(ca.clone());
        }
        builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client for Keystone: {e}"))
    }

    /// `WWW-Authenticate`'s value: `Keystone uri="<www_authenticate_uri>"`.
    pub fn www_authenticate(&self) -> String {
        format!("Keystone uri=\"{}\"", self.conf.www_authenticate_uri)
    }

    /// Logins and validations sent to Keystone so far.
    pub fn keystone_requests(&self) -> (u64, u64) {
        (
            self.logins.load(Ordering::Relaxed),
            self.validations.load(Ordering::Relaxed),
        )
    }

    /// Who `user_token` is. With a valid `service_token` carrying one of
    /// `service_token_roles`, an expired user token is accepted (keystonemiddleware's
    /// `allow_expired`); a service token without those roles is refused when
    /// `service_token_roles_required`, else ignored with a warning.
    pub async fn authenticate(
        &self,
        http: &reqwest::Client,
        user_token: &str,
        service_token: Option<&str>,
    ) -> Result<ValidatedToken, TokenRejection> {
        let mut allow_expired = false;
        if let Some(service_token) = service_token {
            let service = self
                .validate(http, service_token, false)
                .await
                .map_err(|rejection| match rejection {
                    TokenRejection::Invalid(why) => {
                        TokenRejection::Invalid(format!("the service token: {why}"))
                    }
                    unavailable => unavailable,
                })?;
            if service.has_any_role(&self.conf.service_token_roles) {
                allow_expired = true;
            } else if self.conf.service_token_roles_required {
                return Err(TokenRejection::Invalid(format!(
                    "the service token of user {} has none of the roles {:?} \
                     ([keystone_authtoken] service_token_roles)",
                    service.user_id, self.conf.service_token_roles
                )));
            } else {
                tracing::warn!(user = %service.user_id, roles = ?self.conf.service_token_roles,
                    "a service token without service_token_roles; ignoring it");
            }
        }
        self.validate(http, user_token, allow_expired).await
    }

    async fn validate(
        &self,
        http: &reqwest::Client,
        token: &str,
        allow_expired: bool,
    ) -> Result<ValidatedToken, TokenRejection> {
        let key = token_cache::key(token);
        if !allow_expired {
            if let Some(hit) = self.cache().get(&key, Utc::now()) {
                return Ok(hit);
            }
        }
        let mut renewed = false;
        loop {
            let (session_token, identity_url, serial) = self.session(http).await?;
            let mut url = format!("{identity_url}/auth/tokens?nocatalog");
            if allow_expired {
                url.push_str("&allow_expired=1");
            }
            self.validations.fetch_add(1, Ordering::Relaxed);
            let (status, body) = self
                .send(|| {
                    http.get(&url)
                        .header("X-Auth-Token", &*session_token)
                        .header("X-Subject-Token", token)
                })
                .await?;
            match status {
                200 => {
                    let validated =
                        ValidatedToken::from_body(&body).map_err(TokenRejection::Unavailable)?;
                    let now = Utc::now();
                    if allow_expired {
                        return Ok(validated);
                    }
                    if validated.expires_at <= now {
                        return Err(TokenRejection::Invalid("the token has expired".into()));
                    }
                    self.cache().insert(key, validated.clone(), now);
                    return Ok(validated);
                }
                404 => return Err(TokenRejection::Invalid(error_message(&body))),
                // Our own token was refused (revoked, Keystone's keys rotated): log in again,
                // once.
                401 if !renewed => {
                    renewed = true;
                    self.forget(serial).await;
                }
                other => {
                    return Err(TokenRejection::Unavailable(format!(
                        "Keystone answered {other} to a token validation at {identity_url}: {}",
                        error_message(&body)
                    )))
                }
            }
        }
    }

    /// One request, tried again (0.5 s, 1 s, 2 s … apart) while it cannot connect, up to
    /// `http_request_max_retries` times, as keystonemiddleware does.
    async fn send(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), TokenRejection> {
        let mut delay = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            match request().send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response
                        .bytes()
                        .await
                        .map_err(|e| TokenRejection::Unavailable(transport_reason(&e)))?;
                    return Ok((status, body.to_vec()));
                }
                Err(e) if e.is_connect() && attempt < self.conf.max_retries => {
                    attempt += 1;
                    tracing::debug!(attempt, error = %transport_reason(&e), "keystone unreachable; trying again");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(8));
                }
                Err(e) => return Err(TokenRejection::Unavailable(transport_reason(&e))),
            }
        }
    }

    /// The current service token (logging in first when there is none or it expires within
    /// two minutes), its identity endpoint and its serial.
    async fn session(
        &self,
        http: &reqwest::Client,
    ) -> Result<(Arc<str>, Arc<str>, u64), TokenRejection> {
        // Held across the login on purpose: concurrent requests wait for its token.
        let mut session = self.session.lock().await;
        let valid = session
            .as_ref()
            .is_some_and(|s| s.expires_at - MIN_TOKEN_LIFE > Utc::now());
        if !valid {
            *session = None;
            let serial = self.logins.fetch_add(1, Ordering::Relaxed) + 1;
            let login = &self.conf.login;
            let logged_in = password_login::log_in(http, login)
                .await
                .map_err(|failure| {
                    TokenRejection::Unavailable(format!(
                        "the API cannot log in to Keystone as {}: {failure}",
                        login.username
                    ))
                })?;
            let identity_url = identity_v3(
                logged_in
                    .issued
                    .endpoint_url
                    .as_deref()
                    .unwrap_or(&login.auth_url),
            );
            tracing::info!(expires_at = %logged_in.issued.expires_at, identity = %identity_url,
                "logged in to keystone to validate tokens");
            *session = Some(ServiceSession {
                token: logged_in.token,
                identity_url: identity_url.into(),
                expires_at: logged_in.issued.expires_at,
                serial,
            });
        }
        let current = session.as_ref().ok_or_else(|| {
            TokenRejection::Unavailable("no Keystone session after the login".into())
        })?;
        Ok((
            Arc::clone(&current.token),
            Arc::clone(&current.identity_url),
            current.serial,
        ))
    }

    /// Keystone refused session `serial`'s token: forget it, unless a newer one is in place.
    async fn forget(&self, serial: u64) {
        let mut session = self.session.lock().await;
        if session.as_ref().is_some_and(|s| s.serial == serial) {
            *session = None;
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, TokenCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An identity endpoint as a v3 base URL: devstack's catalog says `http://host/identity`,
/// Keystone's bootstrap `http://host:5000/v3`; both validate at `…/v3/auth/tokens`.
fn identity_v3(url: &str) -> String {
    let url = url.trim_end_matches('/');
    if url.ends_with("/v3") {
        url.to_owned()
    } else {
        format!("{url}/v3")
    }
}

#[cfg(test)]
mod tests {
    use super::identity_v3;

    #[test]
    fn identity_endpoints_become_v3_bases() {
        assert_eq!(identity_v3("http://k:5000/v3/"), "http://k:5000/v3");
        assert_eq!(identity_v3("http://k/identity"), "http://k/identity/v3");
        assert_eq!(identity_v3("http://k:5000"), "http://k:5000/v3");
    }
}
