//! What happens around every request: a request id in, the request-id and microversion
//! headers out, `WWW-Authenticate` on a 401 when Keystone authenticates, Nova's fault body on errors actix-web made itself, and the one log line.
//! The router wraps its app in [`RequestStamp::begin`] … [`RequestStamp::finish`].

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpResponse};

use super::api_fault::ApiFault;
use super::auth::{ApiAuth, RequestId};
use super::microversion::{self, ApiVersion};

/// What the middleware notes when a request comes in and stamps on its response.
#[derive(Debug)]
pub struct RequestStamp {
    request_id: String,
    version: Option<ApiVersion>,
    method: Method,
    path: String,
}

impl RequestStamp {
    /// Gives `req` a fresh request id (in its extensions, for [`Ctx`](super::auth::Ctx))
    /// and notes the microversion its response must echo.
    pub fn begin(req: &ServiceRequest) -> Self {
        let request_id = format!("req-{}", uuid::Uuid::new_v4());
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let version = versioned(req.path())
            .then(|| microversion::negotiate(req.headers()).ok())
            .flatten();
        Self {
            request_id,
            version,
            method: req.method().clone(),
            path: req.path().to_owned(),
        }
    }

    /// The response as the client gets it: Nova's fault body, the request-id headers, the
    /// version headers on versioned paths; logged once.
    pub fn finish<B: MessageBody + 'static>(
        self,
        res: ServiceResponse<B>,
    ) -> ServiceResponse<BoxBody> {
        let mut res = nova_fault_body(res);
        if res.status() == StatusCode::UNAUTHORIZED {
            // keystonemiddleware adds it to every 401, the app's own included.
            let challenge = res
                .request()
                .app_data::<actix_web::web::Data<ApiAuth>>()
                .and_then(|auth| auth.www_authenticate());
            if let Some(challenge) = challenge {
                set(&mut res, "www-authenticate", &challenge);
            }
        }
        set(&mut res, "x-openstack-request-id", &self.request_id);
        set(&mut res, "x-compute-request-id", &self.request_id);
        if let Some(version) = self.version {
            set(
                &mut res,
                "openstack-api-version",
                &format!("compute {version}"),
            );
            set(
                &mut res,
                "x-openstack-nova-api-version",
                &version.to_string(),
            );
            set(
                &mut res,
                "vary",
                "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
            );
        }
        log(&self.method, &self.path, &self.request_id, &res);
        res
    }
}

/// True for paths whose responses carry the microversion headers (all of `/v2.1/…` but
/// the version document itself).
fn versioned(path: &str) -> bool {
    path.starts_with("/v2.1/") && path != "/v2.1/"
}

fn set(
    res: &mut ServiceResponse<impl actix_web::body::MessageBody>,
    name: &'static str,
    value: &str,
) {
    if let Ok(value) = HeaderValue::from_str(value) {
        res.headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
}

/// An error response actix-web made itself (an extractor's: a body over the 1 MiB limit,
/// a path that does not decode) gets Nova's fault body like every handler error; a
/// handler's [`ApiFault`] and successes pass unchanged. Found by tests/fuzz/api_bodies:
/// a 1.2 MiB body got a bare 413.
fn nova_fault_body<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody> {
    let foreign = res
        .response()
        .error()
        .filter(|error| error.as_error::<ApiFault>().is_none())
        .map(|error| (error.as_response_error().status_code(), error.to_string()));
    match foreign {
        Some((status, detail)) if status.is_client_error() || status.is_server_error() => {
            let fault = match status {
                StatusCode::PAYLOAD_TOO_LARGE => ApiFault::new(
                    status,
                    "Request is too large: the compute API reads bodies of at most 1 MiB.",
                ),
                _ if status.is_server_error() => ApiFault::internal(detail),
                _ => ApiFault::new(status, detail),
            };
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, HttpResponse::from_error(fault))
        }
        _ => res.map_into_boxed_body(),
    }
}

/// The one log line of a request: internal failures at error, caller mistakes at debug on
/// the rejection target, the rest at info.
fn log<B>(method: &Method, path: &str, request_id: &str, res: &ServiceResponse<B>) {
    let status = res.status().as_u16();
    let error = res.response().error().map(ToString::to_string);
    if status >= 500 {
        tracing::error!(request_id, %method, path, status, error = error.as_deref().unwrap_or(""), "api request failed");
    } else if status >= 400 {
        tracing::debug!(target: "novactor::rpc::rejection", request_id, %method, path, status, error = error.as_deref().unwrap_or(""), "api request refused");
    } else {
        tracing::info!(request_id, %method, path, status, "api request");
    }
}
