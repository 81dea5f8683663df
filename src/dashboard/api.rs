//! Reads: the supervision tree, its parts, the service records, the report, the live
//! event stream and `/metrics`. Open to every client that reaches the listener.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::api_error::ApiError;
use super::dashboard_state::DashboardState;
use crate::servicegroup::ServiceRecord;

pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/api/v1", web::get().to(index))
        .route("/api/v1/", web::get().to(index))
        .route("/api/v1/snapshot", web::get().to(snapshot))
        .route("/api/v1/actors", web::get().to(actors))
        .route("/api/v1/actors/{name}", web::get().to(actor))
        .route("/api/v1/periodic-tasks", web::get().to(periodic_tasks))
        .route("/api/v1/services", web::get().to(services))
        .route("/api/v1/report", web::get().to(report))
        .route("/api/v1/events", web::get().to(events));
}

fn json(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

async fn index() -> HttpResponse {
    json(json!({
        "version": "v1",
        "documentation": "docs/DASHBOARD.md",
        "read": [
            "GET /api/v1/snapshot", "GET /api/v1/actors", "GET /api/v1/actors/{name}",
            "GET /api/v1/periodic-tasks", "GET /api/v1/services", "GET /api/v1/report",
            "GET /api/v1/events", "GET /healthz", "GET /readyz", "GET /metrics"
        ],
        "operations (Authorization: Bearer <[dashboard] admin_token>)": [
            "POST /api/v1/actors/{name}/restart", "POST /api/v1/actors/{name}/stop",
            "POST /api/v1/actors/{name}/start",
            "POST /api/v1/periodic-tasks/{actor}/{task}/pause",
            "POST /api/v1/periodic-tasks/{actor}/{task}/resume",
            "POST /api/v1/periodic-tasks/{actor}/{task}/run",
            "POST /api/v1/periodic-tasks/{actor}/{task}/spacing",
            "POST /api/v1/drain",
            "POST /api/v1/services/{host}/{binary}/enable",
            "POST /api/v1/services/{host}/{binary}/disable"
        ]
    }))
}

async fn snapshot(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    Ok(json(json!(state.node.snapshot().await?)))
}

async fn actors(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.node.snapshot().await?;
    Ok(json(json!({ "actors": snapshot.actors })))
}

async fn actor(
    state: web::Data<DashboardState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.node.snapshot().await?;
    match snapshot.actor(&name) {
        Some(actor) => Ok(json(json!({ "actor": actor }))),
        None => Err(ApiError::NotFound(format!(
            "no actor named '{name}'; actors: {}",
            snapshot
                .actors
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

async fn periodic_tasks(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.node.snapshot().await?;
    let tasks: Vec<Value> = snapshot
        .actors
        .iter()
        .flat_map(|actor| {
            actor.periodic_tasks.iter().map(move |task| {
                let mut entry = json!({ "actor": actor.name });
                if let (Some(entry), Value::Object(fields)) = (entry.as_object_mut(), json!(task)) {
                    entry.extend(fields);
                }
                entry
            })
        })
        .collect();
    Ok(json(json!({ "periodic_tasks": tasks })))
}

/// A service record with Nova's `state` (up/down) and `status` (enabled/disabled).
pub(super) fn service_view(record: &ServiceRecord, service_down_time: Duration) -> Value {
    let mut view = json!(record);
    if let Some(fields) = view.as_object_mut() {
        let up = record.is_up(service_down_time, Utc::now());
        fields.insert("state".into(), json!(if up { "up" } else { "down" }));
        fields.insert(
            "status".into(),
            json!(if record.disabled {
                "disabled"
            } else {
                "enabled"
            }),
        );
    }
    view
}

/// Every service record, read on the main arbiter.
async fn service_views(state: &DashboardState) -> Result<Vec<Value>, ApiError> {
    let Some(group) = state.services.clone() else {
        return Err(ApiError::Unavailable(
            "this process has no database access (compute only); the service list is served \
             by the processes running conductor, scheduler or api"
                .to_owned(),
        ));
    };
    let records = state
        .on_main(move || async move { group.services().await })
        .await??;
    Ok(records
        .iter()
        .map(|record| service_view(record, state.service_down_time))
        .collect())
}

async fn services(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    Ok(json(json!({ "services": service_views(&state).await? })))
}

async fn report(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.node.report().await?))
}

pub(super) async fn metrics(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.node.metrics().await?))
}

/// One `snapshot` event (or an `error` event when the supervisor does not answer).
async fn event(state: &DashboardState) -> String {
    let snapshot = match state.node.snapshot().await {
        Ok(snapshot) => snapshot,
        Err(error) => {
            let body = json!({"error": error.to_string()});
            return format!("event: error\ndata: {body}\n\n");
        }
    };
    let (services, services_error) = match service_views(state).await {
        Ok(views) => (Some(views), None),
        Err(error) => (None, Some(error.to_string())),
    };
    let body = json!({
        "snapshot": snapshot,
        "services": services,
        "services_error": services_error,
    });
    format!("event: snapshot\ndata: {body}\n\n")
}

/// `GET /api/v1/events`: Server-Sent Events, one snapshot now and one per
/// `refresh_interval`; browsers reconnect by themselves after `retry` ms. At most
/// `[dashboard] max_event_streams` at once: each holds a seat until its client goes.
async fn events(state: web::Data<DashboardState>) -> Result<HttpResponse, ApiError> {
    let seat = state.event_stream_seat().ok_or_else(|| {
        ApiError::Unavailable(format!(
            "{} event streams are open, the most [dashboard] max_event_streams allows; \
             close a dashboard page",
            state.max_event_streams
        ))
    })?;
    let retry = web::Bytes::from_static(b"retry: 2000\n\n");
    let updates = futures::stream::unfold((state, seat, true), |(state, seat, first)| async move {
        if !first {
            tokio::time::sleep(state.refresh).await;
        }
        let chunk = web::Bytes::from(event(&state).await);
        Some((Ok::<_, actix_web::Error>(chunk), (state, seat, false)))
    });
    let stream = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, actix_web::Error>(retry) }),
        updates,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies (nginx) must pass events through as they come.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
