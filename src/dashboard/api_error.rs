//! The JSON error every dashboard endpoint answers with:
//! `{"error": {"status": 404, "message": "..."}}`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::node::NodeError;
use crate::servicegroup::ServiceGroupError;
use crate::supervisor::ControlError;

/// A refused or failed request, with the status it maps to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: a token is configured and the request lacks it.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: operations are disabled (no token configured).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such actor, task, service or path.
    #[error("{0}")]
    NotFound(String),
    /// 409: the command does not fit the current state.
    #[error("{0}")]
    Conflict(String),
    /// 503: a backend (supervisor, database) cannot answer now.
    #[error("{0}")]
    Unavailable(String),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"novactor\""));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.json(json!({"error": {"status": status.as_u16(), "message": self.to_string()}}))
    }
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        match error {
            ControlError::NoSuchActor { .. } | ControlError::NoSuchTask { .. } => {
                Self::NotFound(error.to_string())
            }
            ControlError::Conflict(_) => Self::Conflict(error.to_string()),
        }
    }
}

impl From<ServiceGroupError> for ApiError {
    fn from(error: ServiceGroupError) -> Self {
        match error {
            ServiceGroupError::NotFound { .. } => Self::NotFound(error.to_string()),
            ServiceGroupError::Unavailable(_) | ServiceGroupError::Backend(_) => {
                Self::Unavailable(error.to_string())
            }
        }
    }
}
