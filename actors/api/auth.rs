//! Who is asking, at which microversion: the [`Ctx`] extractor every compute handler takes.
//! Auth is Nova's `noauth2` (`nova/api/openstack/auth.py` @ `d238306aa6^`): the token is
//! `user:project`, admin ⇔ user `admin`. [novactor] deviation D-AUTH: the token `notused`
//! (what keystoneauth's `none` plugin always sends) counts as `admin:admin` while
//! `[api] noauth_notused_is_admin` is on (the default). Unlike noauth2, a request without a
//! token gets 401 rather than a 204 carrying a made-up token.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::api_fault::ApiFault;
use super::microversion::{self, ApiVersion};
use novactor::rpc::RequestContext;

/// The token keystoneauth's `none` plugin sends (D-AUTH).
pub const NOAUTH_TOKEN: &str = "notused";

/// How tokens map to callers; one per server, in the app data.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// `[api] noauth_notused_is_admin`: [`NOAUTH_TOKEN`] means `admin:admin`; when off it
    /// is an ordinary token (user and project `notused`).
    pub notused_is_admin: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            notused_is_admin: true,
        }
    }
}

/// The request id of a request (`req-<uuid>`), put in the extensions by the middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The caller and the negotiated version of one compute API request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The negotiated microversion.
    pub version: ApiVersion,
    /// The user id from the token.
    pub user_id: String,
    /// The project id from the token (the user when absent).
    pub project_id: String,
    /// Admin ⇔ user `admin`.
    pub is_admin: bool,
    /// `scheme://host` as the client addressed us, for links.
    pub base: String,
    /// `req-<uuid>`.
    pub request_id: String,
}

impl Ctx {
    /// 403 unless admin, naming the policy rule as Nova does.
    pub fn require_admin(&self, rule: &str) -> Result<(), ApiFault> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ApiFault::forbidden(format!(
                "Policy doesn't allow {rule} to be performed."
            )))
        }
    }

    /// The RPC context for casts and calls made on behalf of this request.
    pub fn rpc_context(&self) -> RequestContext {
        let ctx = RequestContext::new()
            .with("user_id", self.user_id.clone())
            .with("project_id", self.project_id.clone())
            .with("is_admin", self.is_admin)
            .with("roles", serde_json::Value::Array(Vec::new()));
        if self.request_id.is_empty() {
            ctx
        } else {
            ctx.with("request_id", self.request_id.clone())
        }
    }

    fn from_request(req: &HttpRequest) -> Result<Self, ApiFault> {
        let version = microversion::negotiate(req.headers())?;
        let token = req
            .headers()
            .get("X-Auth-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiFault::unauthorized(
                    "Authentication required: send X-Auth-Token: <user>:<project>",
                )
            })?;
        let policy = req.app_data::<AuthPolicy>().copied().unwrap_or_default();
        let (user_id, project_id) = if policy.notused_is_admin && token == NOAUTH_TOKEN {
            ("admin".to_owned(), "admin".to_owned())
        } else {
            let (user, _, project) = partition(token);
            let project = if project.is_empty() { user } else { project };
            (user.to_owned(), project.to_owned())
        };
        let info = req.connection_info();
        Ok(Self {
            version,
            is_admin: user_id == "admin",
            user_id,
            project_id,
            base: format!("{}://{}", info.scheme(), info.host()),
            request_id: req
                .extensions()
                .get::<RequestId>()
                .map_or_else(String::new, |r| r.0.clone()),
        })
    }
}

fn partition(token: &str) -> (&str, &str, &str) {
    match token.split_once(':') {
        Some((user, project)) => (user, ":", project),
        None => (token, "", ""),
    }
}

impl FromRequest for Ctx {
    type Error = ApiFault;
    type Future = Ready<Result<Self, ApiFault>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ctx::from_request(req))
    }
}
