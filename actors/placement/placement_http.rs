//! The one HTTP path to placement: a single `reqwest` client (one connection pool for every
//! compute of the process), at most `max_concurrent_requests` requests in flight (a
//! semaphore, so a thousand hosts queue instead of opening a thousand connections), each
//! with `OpenStack-API-Version: placement <mv>` when Nova sends one, the plugin's token, and
//! the `[placement] timeout`. A 401 under a Keystone login gets one new login and one
//! retry. Outages are logged once (`outage_log.rs`). Statuses are left to the caller:
//! [`Reply`] carries any answer placement gave.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::outage_log::OutageLog;
use super::placement_auth::Auth;
use super::placement_error::{transport_reason, PlacementError, PlacementFault};
use crate::conf::PlacementConf;

/// The header placement reads the microversion from.
const API_VERSION_HEADER: &str = "OpenStack-API-Version";
/// The header keystoneauth sends the token in.
const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";
/// Connecting may take at most this long (and never longer than `[placement] timeout`):
/// a refused or black-holed placement is an outage, found out quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP methods the report client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    fn method(self) -> reqwest::Method {
        match self {
            Verb::Get => reqwest::Method::GET,
            Verb::Post => reqwest::Method::POST,
            Verb::Put => reqwest::Method::PUT,
            Verb::Delete => reqwest::Method::DELETE,
        }
    }
}

/// Placement's answer to one request.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) verb: Verb,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

impl Reply {
    /// The body as `T`.
    pub(super) fn json<T: DeserializeOwned>(&self) -> Result<T, PlacementError> {
        serde_json::from_slice(&self.body).map_err(|e| PlacementError::BadBody {
            method: self.verb.as_str(),
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    /// Placement's error body.
    pub(super) fn fault(&self) -> PlacementFault {
        PlacementFault::from_body(&self.body)
    }

    /// This answer as an unexpected status.
    pub(super) fn unexpected(&self) -> PlacementError {
        PlacementError::Http {
            method: self.verb.as_str(),
            path: self.path.clone(),
            status: self.status,
            fault: self.fault(),
        }
    }
}

/// One request to send: its place, microversion and JSON body.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub(super) verb: Verb,
    pub(super) path: &'a str,
    pub(super) microversion: Option<&'static str>,
    pub(super) body: Option<serde_json::Value>,
}

/// The client, its auth, its bound and its outage state.
#[derive(Debug)]
pub(super) struct PlacementHttp {
    client: reqwest::Client,
    auth: Auth,
    permits: Semaphore,
    outage: OutageLog,
}

impl PlacementHttp {
    pub(super) fn new(conf: &PlacementConf) -> Result<Self, PlacementError> {
        let client = reqwest::Client::builder()
            .timeout(conf.timeout)
            .connect_timeout(conf.timeout.min(CONNECT_TIMEOUT))
            .pool_max_idle_per_host(conf.max_concurrent_requests)
            .user_agent(concat!(
                "novactor-nova/",
                env!("CARGO_PKG_VERSION"),
                " nova-compute"
            ))
            .build()
            .map_err(|e| PlacementError::Unreachable {
                url: String::new(),
                reason: format!("cannot build the HTTP client: {}", transport_reason(&e)),
            })?;
        Ok(PlacementHttp {
            client,
            auth: Auth::new(conf),
            permits: Semaphore::new(
                conf.max_concurrent_requests
                    .clamp(1, Semaphore::MAX_PERMITS),
            ),
            outage: OutageLog::default(),
        })
    }

    /// How long placement has been unreachable, if it is.
    pub(super) fn outage(&self) -> Option<Duration> {
        self.outage.outage()
    }

    /// Sends `request` (again once after a 401, with a new Keystone login) and returns
    /// whatever placement answered. `Err` only when there was no answer, or the login
    /// failed.
    pub(super) async fn send(&self, request: Request<'_>) -> Result<Reply, PlacementError> {
        let sent = Instant::now();
        let result = self.send_once_or_twice(&request).await;
        match &result {
            Ok(reply) if matches!(reply.status, 502..=504) => {
                self.outage.failed(sent, &reply.unexpected());
            }
            Ok(_) => self.outage.answered(sent),
            Err(error) if error.is_outage() => self.outage.failed(sent, error),
            Err(_) => {}
        }
        result
    }

    async fn send_once_or_twice(&self, request: &Request<'_>) -> Result<Reply, PlacementError> {
        let body = match &request.body {
            Some(value) => {
                Some(
                    serde_json::to_vec(value).map_err(|e| PlacementError::BadBody {
                        method: request.verb.as_str(),
                        path: request.path.to_owned(),
                        reason: format!("request body: {e}"),
                    })?,
                )
            }
            None => None,
        };
        let mut retried = false;
        loop {
            let credentials = self.auth.credentials(&self.client).await?;
            let url = format!("{}{}", credentials.endpoint, request.path);
            let mut builder = self
                .client
                .request(request.verb.method(), &url)
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if let Some(microversion) = request.microversion {
                builder = builder.header(API_VERSION_HEADER, format!("placement {microversion}"));
            }
            if let Some(token) = &credentials.token {
                builder = builder.header(AUTH_TOKEN_HEADER, token.as_ref());
            }
            if let Some(body) = &body {
                builder = builder
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(body.clone());
            }
            let unreachable = |e: reqwest::Error| PlacementError::Unreachable {
                url: url.clone(),
                reason: transport_reason(&e),
            };
            let (status, reply_body) = {
                // The permit covers the exchange only, not the wait for a login.
                let _permit =
                    self.permits
                        .acquire()
                        .await
                        .map_err(|_| PlacementError::Unreachable {
                            url: url.clone(),
                            reason: "the placement client is closed".into(),
                        })?;
                let response = builder.send().await.map_err(unreachable)?;
                let status = response.status().as_u16();
                let reply_body = response.bytes().await.map_err(unreachable)?;
                (status, reply_body)
            };
            if status == 401 && !retried && self.auth.can_reauthenticate() {
                tracing::debug!(
                    path = request.path,
                    "placement refused the token; logging in again"
                );
                self.auth.invalidate(&credentials).await;
                retried = true;
                continue;
            }
            tracing::trace!(
                method = request.verb.as_str(),
                path = request.path,
                status,
                "placement request"
            );
            return Ok(Reply {
                verb: request.verb,
                path: request.path.to_owned(),
                status,
                body: reply_body.to_vec(),
            });
        }
    }
}
