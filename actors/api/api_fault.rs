//! `ApiFault`: an HTTP error with Nova's body (`nova/api/openstack/wsgi.py` Fault):
//! `{"<name>": {"code": N, "message": "…"}}`, the name chosen by status. Converting is
//! pure ([`ResponseError`]); the request-logging middleware in `middleware.rs` logs it once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::compute_api::ApiError;
use crate::db::NovaDbError;

/// An error response of the compute API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFault {
    /// The HTTP status.
    pub status: StatusCode,
    /// The text the client sees.
    pub message: String,
    /// What went wrong inside, for the log only (never in the body).
    pub detail: Option<String>,
}

/// The message of an unexpected failure, as Nova words it.
const UNEXPECTED: &str =
    "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ \
                          and attach the Nova API log if possible.";

impl ApiFault {
    /// A fault with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            detail: None,
        }
    }
    /// 400 badRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// 401 unauthorized.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    /// 403 forbidden.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    /// 404 itemNotFound.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    /// 405 badMethod.
    pub fn bad_method(message: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, message)
    }
    /// 406 computeFault (version out of range).
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, message)
    }
    /// 409 conflictingRequest.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
    /// 503 serviceUnavailable.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
    /// 500 computeFault with Nova's generic text; `detail` goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: UNEXPECTED.to_owned(),
            detail: Some(detail.into()),
        }
    }

    /// A database failure: Nova's not-found classes are 404, an unreachable database 503,
    /// anything else 500.
    pub fn db(error: NovaDbError) -> Self {
        match error.nova_class() {
            Some(
                "InstanceNotFound"
                | "FlavorNotFound"
                | "FlavorNotFoundByName"
                | "ServiceNotFound"
                | "HostBinaryNotFound",
            ) => Self::not_found(error.to_string()),
            _ if error.is_unavailable() => Self {
                detail: Some(error.to_string()),
                ..Self::unavailable("The database is unavailable; try again later.")
            },
            _ => Self::internal(error.to_string()),
        }
    }

    /// Nova's fault name for a status (`wsgi.py` `Fault._fault_names`).
    pub fn name(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "badRequest",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "itemNotFound",
            405 => "badMethod",
            409 => "conflictingRequest",
            413 | 429 => "overLimit",
            415 => "badMediaType",
            501 => "notImplemented",
            503 => "serviceUnavailable",
            _ => "computeFault",
        }
    }
}

impl std::fmt::Display for ApiFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{} ({detail})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl ResponseError for ApiFault {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({
            Self::name(self.status): {"code": self.status.as_u16(), "message": self.message}
        }))
    }
}

impl From<ApiError> for ApiFault {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound(m) => Self::not_found(m),
            ApiError::Conflict(m) => Self::conflict(m),
            ApiError::BadRequest(m) => Self::bad_request(m),
            ApiError::Forbidden(m) => Self::forbidden(m),
            ApiError::Unavailable(m) => Self {
                detail: Some(m),
                ..Self::unavailable("The service is unavailable; try again later.")
            },
        }
    }
}
