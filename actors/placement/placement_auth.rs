//! Which URL and token a placement request carries, per keystoneauth1 plugin:
//! `admin_token` (a fixed token to a fixed endpoint), `none` (no token), `password` (a
//! Keystone v3 login whose token and catalog endpoint are kept until the token nears its
//! `expires_at`, or placement answers 401 — then one new login). Logins are single-flight:
//! a thousand computes asking at once wait for one login, not a thousand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Mutex;

use super::placement_error::PlacementError;
use crate::conf::{KeystonePassword, PlacementAuth, PlacementConf};
use crate::keystone::password_login::{self, tokens_url, MIN_TOKEN_LIFE};

/// What one request carries.
#[derive(Debug, Clone)]
pub(super) struct Credentials {
    /// Placement's base URL, no trailing `/`.
    pub(super) endpoint: Arc<str>,
    /// `X-Auth-Token`, if the plugin has one.
    pub(super) token: Option<Arc<str>>,
    /// Which login issued the token (0 for fixed tokens), so a 401 drops only that one.
    login: u64,
}

/// A Keystone login's token and the placement endpoint its catalog gave.
#[derive(Debug)]
pub(super) struct Session {
    token: Arc<str>,
    endpoint: Arc<str>,
    expires_at: chrono::DateTime<Utc>,
    login: u64,
}

/// The auth plugin with its state.
#[derive(Debug)]
pub(super) enum Auth {
    /// `admin_token` or `none`.
    Fixed(Credentials),
    /// `password`.
    Keystone(Box<KeystoneLogin>),
}

/// A Keystone password login and its current session.
#[derive(Debug)]
pub(super) struct KeystoneLogin {
    login: KeystonePassword,
    endpoint_override: Option<Arc<str>>,
    session: Mutex<Option<Session>>,
    /// Logins so far: each session's serial.
    logins: AtomicU64,
}

impl Auth {
    pub(super) fn new(conf: &PlacementConf) -> Self {
        match &conf.auth {
            PlacementAuth::AdminToken { endpoint, token } => Auth::Fixed(Credentials {
                endpoint: endpoint.as_str().into(),
                token: Some(token.expose().into()),
                login: 0,
            }),
            PlacementAuth::NoAuth { endpoint } => Auth::Fixed(Credentials {
                endpoint: endpoint.as_str().into(),
                token: None,
                login: 0,
            }),
            PlacementAuth::Password(login) => Auth::Keystone(Box::new(KeystoneLogin {
                login: login.clone(),
                endpoint_override: conf.endpoint_override.as_deref().map(Arc::from),
                session: Mutex::new(None),
                logins: AtomicU64::new(0),
            })),
        }
    }

    /// Whether a 401 can be cured by logging in again.
    pub(super) fn can_reauthenticate(&self) -> bool {
        matches!(self, Auth::Keystone(_))
    }

    /// The credentials of the next request: a fixed pair, or the current login's token
    /// (logging in first if there is none or it expires within two minutes).
    pub(super) async fn credentials(
        &self,
        http: &reqwest::Client,
    ) -> Result<Credentials, PlacementError> {
        match self {
            Auth::Fixed(fixed) => Ok(fixed.clone()),
            Auth::Keystone(keystone) => {
                let KeystoneLogin {
                    login,
                    endpoint_override,
                    session,
                    logins,
                } = keystone.as_ref();
                // Held across the login on purpose: the others wait for its token.
                let mut session = session.lock().await;
                let valid = session
                    .as_ref()
                    .is_some_and(|s| s.expires_at - MIN_TOKEN_LIFE > Utc::now());
                if !valid {
                    let serial = logins.fetch_add(1, Ordering::Relaxed) + 1;
                    // A failed login leaves no session: the next request logs in again.
                    *session = None;
                    *session = Some(log_in(http, login, endpoint_override.as_ref(), serial).await?);
                }
                let current = session.as_ref().ok_or_else(|| PlacementError::Keystone {
                    url: tokens_url(login),
                    reason: "no session after login".into(),
                    unreachable: false,
                })?;
                Ok(Credentials {
                    endpoint: Arc::clone(&current.endpoint),
                    token: Some(Arc::clone(&current.token)),
                    login: current.login,
                })
            }
        }
    }

    /// Placement refused `used`'s token: forget it, unless another request already has.
    pub(super) async fn invalidate(&self, used: &Credentials) {
        if let Auth::Keystone(keystone) = self {
            let mut session = keystone.session.lock().await;
            if session.as_ref().is_some_and(|s| s.login == used.login) {
                *session = None;
            }
        }
    }
}

/// One `POST /v3/auth/tokens`, and placement's endpoint.
async fn log_in(
    http: &reqwest::Client,
    login: &KeystonePassword,
    endpoint_override: Option<&Arc<str>>,
    serial: u64,
) -> Result<Session, PlacementError> {
    let password_login::LoggedIn { token, issued } = password_login::log_in(http, login)
        .await
        .map_err(PlacementError::from)?;
    let endpoint = match (endpoint_override, issued.endpoint_url) {
        (Some(url), _) => Arc::clone(url),
        (None, Some(url)) => url.into(),
        (None, None) => {
            return Err(PlacementError::EndpointNotFound {
                service_type: login.service_type.clone(),
                interfaces: login.valid_interfaces.clone(),
                region: login.region_name.clone(),
            })
        }
    };
    tracing::debug!(expires_at = %issued.expires_at, endpoint = %endpoint, "logged in to keystone for placement");
    Ok(Session {
        token,
        endpoint,
        expires_at: issued.expires_at,
        login: serial,
    })
}
