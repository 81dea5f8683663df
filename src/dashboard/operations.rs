//! Writes, each behind `Authorization: Bearer <[dashboard] admin_token>`: actor restart,
//! stop and start; periodic-task pause, resume, run-now and spacing; drain; service
//! enable and disable. With no token configured every operation is refused (403) with a
//! message saying how to set one; a missing or wrong token is a 401.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::service_view;
use super::api_error::ApiError;
use super::dashboard_state::DashboardState;
use super::request_guard::{bearer, token_matches};
use crate::supervisor::{ActorCommand, TaskCommand};

/// Longest accepted `disabled_reason` (Nova's column is 255 characters).
const MAX_REASON: usize = 255;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/v1/actors/{name}/{op}", web::post().to(actor))
        .route(
            "/api/v1/periodic-tasks/{actor}/{task}/{op}",
            web::post().to(task),
        )
        .route("/api/v1/drain", web::post().to(drain))
        .route(
            "/api/v1/services/{host}/{binary}/{op}",
            web::post().to(service),
        );
}

/// The request carries the configured token.
fn authorize(request: &HttpRequest, state: &DashboardState) -> Result<(), ApiError> {
    let Some(expected) = &state.admin_token else {
        return Err(ApiError::Forbidden(
            "operations are disabled: set [dashboard] admin_token (or the environment variable \
             OS_DASHBOARD__ADMIN_TOKEN) and send it as 'Authorization: Bearer <token>'"
                .to_owned(),
        ));
    };
    // The header only, never the page's cookie: a cookie would make operations forgeable
    // by any page the operator's browser visits (CSRF).
    if token_matches(bearer(request.headers()), expected) {
        Ok(())
    } else {
        tracing::warn!(path = %request.path(), peer = ?request.peer_addr(), "dashboard operation refused: missing or wrong admin token");
        Err(ApiError::Unauthorized(
            "this operation needs 'Authorization: Bearer <[dashboard] admin_token>'".to_owned(),
        ))
    }
}

/// An optional JSON object body: empty means `{}`.
fn body<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("invalid JSON body: {error}")))
}

fn accepted(body: Value) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn actor(
    request: HttpRequest,
    state: web::Data<DashboardState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    authorize(&request, &state)?;
    let (name, op) = path.into_inner();
    let command = match op.as_str() {
        "restart" => ActorCommand::Restart,
        "stop" => ActorCommand::Stop,
        "start" => ActorCommand::Start,
        other => {
            return Err(ApiError::NotFound(format!(
                "no actor operation '{other}'; operations: restart, stop, start"
            )))
        }
    };
    let actor = state.node.control_actor(&name, command).await??;
    Ok(accepted(json!({ "actor": actor })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpacingBody {
    /// Seconds; `null` (or absent) returns to the configured spacing.
    spacing_secs: Option<f64>,
}

fn spacing(body: SpacingBody) -> Result<Option<Duration>, ApiError> {
    match body.spacing_secs {
        None => Ok(None),
        Some(secs) if (0.001..=31_536_000.0).contains(&secs) => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        Some(secs) => Err(ApiError::BadRequest(format!(
            "spacing_secs must be between 0.001 and 31536000 seconds (or null for the \
             configured spacing; pause to stop the task), got {secs}"
        ))),
    }
}

async fn task(
    request: HttpRequest,
    state: web::Data<DashboardState>,
    path: web::Path<(String, String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    authorize(&request, &state)?;
    let (actor, task, op) = path.into_inner();
    let command = match op.as_str() {
        "pause" => TaskCommand::Pause,
        "resume" => TaskCommand::Resume,
        "run" => TaskCommand::RunNow,
        "spacing" => TaskCommand::Spacing(spacing(body(&bytes)?)?),
        other => {
            return Err(ApiError::NotFound(format!(
                "no periodic-task operation '{other}'; operations: pause, resume, run, spacing"
            )))
        }
    };
    let task = state.node.control_task(&actor, &task, command).await??;
    Ok(accepted(json!({ "actor": actor, "periodic_task": task })))
}

async fn drain(
    request: HttpRequest,
    state: web::Data<DashboardState>,
) -> Result<HttpResponse, ApiError> {
    authorize(&request, &state)?;
    tracing::warn!(peer = ?request.peer_addr(), "drain requested through the dashboard");
    state.node.request_drain();
    Ok(accepted(json!({ "draining": true })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Option<String>,
}

async fn service(
    request: HttpRequest,
    state: web::Data<DashboardState>,
    path: web::Path<(String, String, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    authorize(&request, &state)?;
    let (host, binary, op) = path.into_inner();
    let disabled = match op.as_str() {
        "disable" => true,
        "enable" => false,
        other => {
            return Err(ApiError::NotFound(format!(
                "no service operation '{other}'; operations: enable, disable"
            )))
        }
    };
    let reason = body::<ReasonBody>(&bytes)?.reason;
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        return Err(ApiError::BadRequest(format!(
            "reason is longer than {MAX_REASON} characters"
        )));
    }
    let Some(group) = state.services.clone() else {
        return Err(ApiError::Unavailable(
            "this process has no database access (compute only); change services where the \
             conductor, scheduler or api runs"
                .to_owned(),
        ));
    };
    let record = state
        .on_main(move || async move {
            group
                .set_disabled(&host, &binary, disabled, reason.as_deref())
                .await
        })
        .await??;
    tracing::info!(host = %record.host, binary = %record.binary, disabled, "service changed through the dashboard");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "service": service_view(&record, state.service_down_time) })))
}
