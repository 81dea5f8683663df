//! `/healthz` and `/readyz` in `application/health+json` (draft-inadarei-api-health-check,
//! the format Nova's per-process-healthchecks spec chose): `pass | warn | fail` per check,
//! the worst one as the whole status; 200 unless `fail`, then 503.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};

use super::dashboard_state::DashboardState;
use super::readiness_check::CHECK_TIMEOUT;
use super::readiness_check::{CheckResult, HealthStatus};
use crate::snapshot::{ActorState, Snapshot};

/// The media type of health responses.
pub const HEALTH_JSON: &str = "application/health+json";

/// The health document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: HealthStatus,
    version: &'static str,
    service_id: String,
    description: String,
    output: String,
    checks: Map<String, Value>,
}

fn respond(health: &Health) -> HttpResponse {
    let status = if health.status == HealthStatus::Fail {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HEALTH_JSON))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(serde_json::to_string(health).unwrap_or_default())
}

async fn snapshot_in_time(state: &DashboardState) -> Result<Snapshot, String> {
    match tokio::time::timeout(CHECK_TIMEOUT, state.node.snapshot()).await {
        Ok(Ok(snapshot)) => Ok(snapshot),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "the supervisor did not answer within {}s (its event loop is stuck)",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

fn supervisor_check(outcome: &Result<Snapshot, String>) -> CheckResult {
    let mut result = CheckResult::new("supervisor", "component");
    if let Err(error) = outcome {
        result.status = HealthStatus::Fail;
        result.output = error.clone();
    }
    result
}

fn finish(state: &DashboardState, checks: Vec<(&str, Vec<CheckResult>)>) -> Health {
    let worst = checks
        .iter()
        .flat_map(|(_, results)| results.iter().map(|r| r.status))
        .max()
        .unwrap_or(HealthStatus::Pass);
    let output = checks
        .iter()
        .flat_map(|(name, results)| {
            results
                .iter()
                .filter(|r| r.status != HealthStatus::Pass)
                .map(move |r| format!("{name} {}: {}", r.component_id, r.output))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let checks = checks
        .into_iter()
        .map(|(name, results)| {
            (
                name.to_owned(),
                serde_json::to_value(results).unwrap_or_default(),
            )
        })
        .collect();
    Health {
        status: worst,
        version: env!("CARGO_PKG_VERSION"),
        service_id: format!("{}:{}", state.host, std::process::id()),
        description: state.description.clone(),
        output,
        checks,
    }
}

/// `GET /healthz`: alive while the supervisor answers.
pub(crate) async fn healthz(state: web::Data<DashboardState>) -> HttpResponse {
    let snapshot = snapshot_in_time(&state).await;
    respond(&finish(
        &state,
        vec![("supervisor:responsive", vec![supervisor_check(&snapshot)])],
    ))
}

/// The readiness checks of one snapshot: every actor, then the broker link.
fn actor_and_broker_checks(snapshot: &Snapshot) -> Vec<(&'static str, Vec<CheckResult>)> {
    let actors = snapshot
        .actors
        .iter()
        .map(|actor| {
            let mut result = CheckResult::new(actor.name.clone(), "actor");
            result.observed_value = Some(Value::from(actor.state.to_string()));
            match actor.state {
                ActorState::Running => {}
                ActorState::Stopped if actor.stopped_by_operator => {
                    result.status = HealthStatus::Warn;
                    result.output = "stopped by an operator".to_owned();
                }
                state => {
                    result.status = HealthStatus::Fail;
                    result.output = match &actor.last_error {
                        Some(error) => format!("{state}; last error: {error}"),
                        None => state.to_string(),
                    };
                }
            }
            result
        })
        .collect();
    let link = &snapshot.transport;
    let mut broker = CheckResult::new(link.scheme, "component");
    broker.observed_value = serde_json::to_value(link.state).ok();
    if !link.connected() {
        broker.status = HealthStatus::Fail;
        broker.output = format!(
            "{:?}{}",
            link.state,
            link.last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        )
        .to_lowercase();
    }
    let mut checks = vec![("actors", actors), ("broker:connection", vec![broker])];
    if snapshot.draining {
        let mut drain = CheckResult::new("process", "component");
        drain.status = HealthStatus::Fail;
        drain.output = "draining: shutting down".to_owned();
        checks.push(("process:draining", vec![drain]));
    }
    checks
}

/// `GET /readyz`: every actor running, the broker connected, every extra check passing.
pub(crate) async fn readyz(state: web::Data<DashboardState>) -> HttpResponse {
    let snapshot = snapshot_in_time(&state).await;
    let mut checks = match &snapshot {
        Ok(snapshot) => actor_and_broker_checks(snapshot),
        Err(_) => vec![("supervisor:responsive", vec![supervisor_check(&snapshot)])],
    };
    // The checks use the process's pools: run them on its main arbiter.
    let extra_checks = state.checks.clone();
    let extra = state
        .on_main(move || {
            futures::future::join_all(extra_checks.into_iter().map(|check| async move {
                let result = tokio::time::timeout(CHECK_TIMEOUT, check.check())
                    .await
                    .unwrap_or_else(|_| check.timed_out());
                (check.name(), vec![result])
            }))
        })
        .await
        .unwrap_or_default();
    checks.extend(extra);
    respond(&finish(&state, checks))
}
