//! Who is asking, at which microversion, and may they: the [`Ctx`] extractor every compute
//! handler takes, and [`Ctx::authorize`] with Nova's policy rules.
//!
//! Two ways to know the caller (`[api] auth_strategy`):
//! - `keystone`: the `X-Auth-Token` is validated with Keystone as keystonemiddleware does
//!   ([`TokenValidator`]): user, project and roles come from Keystone; a missing, invalid or
//!   expired token is 401 (the middleware adds `WWW-Authenticate: Keystone uri="…"`), an
//!   unreachable Keystone 503.
//! - `noauth2` (novactor's default, for the lab on loopback): the token is `user:project`
//!   (Nova's removed noauth2, `nova/api/openstack/auth.py` @ `d238306aa6^`); user `admin`
//!   has roles admin, member, reader, every other user member and reader. [novactor]
//!   deviation D-AUTH: the token `notused` (what keystoneauth's `none` plugin always sends)
//!   counts as `admin:admin` while `[api] noauth_notused_is_admin` is on (the default).
//!   Unlike noauth2, a request without a token gets 401 rather than a 204 carrying a
//!   made-up token.
//!
//! Either way, `is_admin` is Nova's: the caller passes the `context_is_admin` rule.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures::future::LocalBoxFuture;

use super::api_fault::ApiFault;
use super::microversion::{self, ApiVersion};
use super::policy::check::Credentials;
use super::policy::{credentials, Policy};
use super::project_prefix::UrlProject;
use crate::keystone::{TokenRejection, TokenValidator};
use novactor::rpc::RequestContext;

/// The token keystoneauth's `none` plugin sends (D-AUTH).
pub const NOAUTH_TOKEN: &str = "notused";

/// How the API knows its callers.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// noauth2: `user:project` tokens; `notused_is_admin` is `[api] noauth_notused_is_admin`.
    NoAuth {
        /// [`NOAUTH_TOKEN`] means `admin:admin`; when off it is an ordinary token.
        notused_is_admin: bool,
    },
    /// Keystone tokens.
    Keystone(Arc<TokenValidator>),
}

/// Authentication and policy of one API server, shared by its workers (app data).
#[derive(Debug, Clone)]
pub struct ApiAuth {
    /// Who a caller is.
    pub authentication: Authentication,
    /// What they may do.
    pub policy: Arc<Policy>,
}

impl ApiAuth {
    /// `WWW-Authenticate`'s value for a 401, with Keystone only.
    pub fn www_authenticate(&self) -> Option<String> {
        match &self.authentication {
            Authentication::Keystone(validator) => Some(validator.www_authenticate()),
            Authentication::NoAuth { .. } => None,
        }
    }
}

/// One worker thread's HTTP client for Keystone (app data; `None` without Keystone).
#[derive(Debug, Clone)]
pub struct KeystoneClient(pub Option<reqwest::Client>);

/// The request id of a request (`req-<uuid>`), put in the extensions by the middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The caller and the negotiated version of one compute API request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The negotiated microversion.
    pub version: ApiVersion,
    /// The user id.
    pub user_id: String,
    /// The project id; empty for a token scoped to no project (which no project rule
    /// allows).
    pub project_id: String,
    /// Role names, lowercased.
    pub roles: Vec<String>,
    /// Nova's `context.is_admin`: passes `context_is_admin`.
    pub is_admin: bool,
    /// `scheme://host` as the client addressed us, for links.
    pub base: String,
    /// `req-<uuid>`.
    pub request_id: String,
    /// The project id of a legacy `/v2.1/{project_id}/…` URL (then the caller's own):
    /// links in bodies carry it, as Nova's do.
    pub url_project: Option<String>,
    policy: Arc<Policy>,
    /// oslo.policy's credentials of the caller, built once per request.
    creds: Credentials,
}

impl Ctx {
    /// A versioned link to `path` (`servers/<id>`) as Nova's `_get_href_link` makes it.
    pub fn href(&self, path: &str) -> String {
        match &self.url_project {
            Some(project) => format!("{}/v2.1/{project}/{path}", self.base),
            None => format!("{}/v2.1/{path}", self.base),
        }
    }

    /// An unversioned link to `path` as Nova's `_get_bookmark_link` makes it.
    pub fn bookmark(&self, path: &str) -> String {
        match &self.url_project {
            Some(project) => format!("{}/{project}/{path}", self.base),
            None => format!("{}/{path}", self.base),
        }
    }

    /// Whether rule `rule` allows this caller on a resource of `target_project`.
    pub fn can(&self, rule: &str, target_project: &str) -> bool {
        let target = HashMap::from([
            ("project_id", target_project.to_owned()),
            ("user_id", self.user_id.clone()),
        ]);
        self.policy.allows(rule, &self.creds, &target)
    }

    /// 403 unless rule `rule` allows this caller on a resource of `target_project`, in
    /// Nova's words.
    pub fn authorize(&self, rule: &str, target_project: &str) -> Result<(), ApiFault> {
        if self.can(rule, target_project) {
            Ok(())
        } else {
            Err(ApiFault::forbidden(format!(
                "Policy doesn't allow {rule} to be performed."
            )))
        }
    }

    /// 403 unless rule `rule` allows this caller on a resource of user `target_user` (Nova's
    /// `target={'user_id': user_id}`, what the key pair rules are checked against).
    pub fn authorize_for_user(&self, rule: &str, target_user: &str) -> Result<(), ApiFault> {
        let target = HashMap::from([("user_id", target_user.to_owned())]);
        if self.policy.allows(rule, &self.creds, &target) {
            Ok(())
        } else {
            Err(ApiFault::forbidden(format!(
                "Policy doesn't allow {rule} to be performed."
            )))
        }
    }

    /// [`Ctx::authorize`] on the caller's own project (Nova's `target={'project_id':
    /// context.project_id}`, what admin-only and list rules are checked against).
    pub fn authorize_own(&self, rule: &str) -> Result<(), ApiFault> {
        self.authorize(rule, &self.project_id)
    }

    /// The RPC context for casts and calls made on behalf of this request.
    pub fn rpc_context(&self) -> RequestContext {
        let roles = self
            .roles
            .iter()
            .cloned()
            .map(serde_json::Value::String)
            .collect();
        let ctx = RequestContext::new()
            .with("user_id", self.user_id.clone())
            .with("project_id", self.project_id.clone())
            .with("is_admin", self.is_admin)
            .with("roles", serde_json::Value::Array(roles));
        if self.request_id.is_empty() {
            ctx
        } else {
            ctx.with("request_id", self.request_id.clone())
        }
    }

    async fn extract(req: HttpRequest) -> Result<Self, ApiFault> {
        let version = microversion::negotiate(req.headers())?;
        // Set by http_server for every worker.
        let auth = req
            .app_data::<web::Data<ApiAuth>>()
            .map(|a| a.get_ref().clone())
            .ok_or_else(|| ApiFault::internal("the API server has no authentication set up"))?;
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        let token = header("X-Auth-Token");
        let (user_id, project_id, roles) = match &auth.authentication {
            Authentication::NoAuth { notused_is_admin } => {
                let token = token.ok_or_else(|| {
                    ApiFault::unauthorized(
                        "Authentication required: send X-Auth-Token: <user>:<project>",
                    )
                })?;
                noauth_caller(token, *notused_is_admin)
            }
            Authentication::Keystone(validator) => {
                let token = token.ok_or_else(requires_authentication)?;
                let http = req
                    .app_data::<KeystoneClient>()
                    .and_then(|c| c.0.clone())
                    .ok_or_else(|| {
                        ApiFault::unavailable("The Keystone service is temporarily unavailable.")
                    })?;
                let validated = validator
                    .authenticate(&http, token, header("X-Service-Token"))
                    .await
                    .map_err(|rejection| match rejection {
                        TokenRejection::Invalid(why) => {
                            tracing::debug!(target: "novactor::rpc::rejection", reason = %why, "token refused");
                            requires_authentication()
                        }
                        TokenRejection::Unavailable(why) => {
                            tracing::warn!(reason = %why, "cannot validate a token with keystone");
                            ApiFault::unavailable("The Keystone service is temporarily unavailable.")
                        }
                    })?;
                (
                    validated.user_id,
                    validated.project_id.unwrap_or_default(),
                    validated.roles,
                )
            }
        };
        let url_project = req.extensions().get::<UrlProject>().map(|p| p.0.clone());
        if let Some(url_project) = url_project.as_deref() {
            if url_project != project_id {
                return Err(ApiFault::bad_request(format!(
                    "Malformed request URL: URL's project_id '{url_project}' doesn't match \
                     Context's project_id '{project_id}'"
                )));
            }
        }
        let is_admin = auth.policy.is_admin(&roles, &user_id, &project_id);
        let creds = credentials(&roles, &user_id, &project_id, is_admin);
        let info = req.connection_info();
        Ok(Self {
            creds,
            version,
            is_admin,
            user_id,
            project_id,
            roles,
            base: format!("{}://{}", info.scheme(), info.host()),
            request_id: req
                .extensions()
                .get::<RequestId>()
                .map_or_else(String::new, |r| r.0.clone()),
            url_project,
            policy: auth.policy,
        })
    }
}

/// keystonemiddleware's 401 text.
fn requires_authentication() -> ApiFault {
    ApiFault::unauthorized("The request you have made requires authentication.")
}

/// noauth2's caller of `token`: user, project (the user's when absent) and roles.
fn noauth_caller(token: &str, notused_is_admin: bool) -> (String, String, Vec<String>) {
    let (user, project) = if notused_is_admin && token == NOAUTH_TOKEN {
        ("admin", "admin")
    } else {
        match token.split_once(':') {
            Some((user, project)) if !project.is_empty() => (user, project),
            Some((user, _)) => (user, user),
            None => (token, token),
        }
    };
    let mut roles = vec!["member".to_owned(), "reader".to_owned()];
    if user == "admin" {
        roles.insert(0, "admin".to_owned());
    }
    (user.to_owned(), project.to_owned(), roles)
}

impl FromRequest for Ctx {
    type Error = ApiFault;
    type Future = LocalBoxFuture<'static, Result<Self, ApiFault>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Ctx::extract(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::noauth_caller;

    #[test]
    fn noauth_tokens_name_their_caller() {
        let admin = ["admin", "member", "reader"].map(String::from).to_vec();
        let member = ["member", "reader"].map(String::from).to_vec();
        assert_eq!(
            noauth_caller("notused", true),
            ("admin".into(), "admin".into(), admin.clone())
        );
        assert_eq!(
            noauth_caller("notused", false),
            ("notused".into(), "notused".into(), member.clone())
        );
        assert_eq!(
            noauth_caller("admin:x", false),
            ("admin".into(), "x".into(), admin)
        );
        assert_eq!(
            noauth_caller("alice:p1", true),
            ("alice".into(), "p1".into(), member.clone())
        );
        assert_eq!(
            noauth_caller("alice:", true),
            ("alice".into(), "alice".into(), member)
        );
    }
}
