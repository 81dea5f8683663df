//! `/os-services` (Nova: `api/openstack/compute/services.py`): the list, the 2.53
//! `PUT /os-services/{uuid}` and the legacy `PUT /os-services/{action}`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{is_uuid, json_body, ok, param, query};
use super::policy::defaults as policy;
use crate::conf::ServiceZones;
use crate::db::{service_is_up, ServiceChanges, ServiceKey, ServiceRow};

fn service_view(ctx: &Ctx, row: &ServiceRow, up: bool, zones: &ServiceZones) -> Value {
    let mut v = json!({
        "id": if ctx.version.at_least(53) { json!(row.uuid) } else { json!(row.id) },
        "binary": row.binary, "host": row.host,
        "zone": zones.of(&row.binary),
        "status": if row.disabled { "disabled" } else { "enabled" },
        "state": if up { "up" } else { "down" },
        "updated_at": row.updated_at.or(row.created_at).map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        "disabled_reason": row.disabled_reason,
    });
    if ctx.version.at_least(11) {
        v["forced_down"] = json!(row.forced_down);
    }
    v
}

/// `GET /os-services[?host=&binary=]`.
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVICES_LIST)?;
    let pairs = query(&req)?;
    let host = param(&pairs, "host").map(str::to_owned);
    let binary = param(&pairs, "binary").map(str::to_owned);
    let (rows, down_time, zones) = state
        .run(move |b| async move {
            let rows = b
                .deps
                .db
                .service_list(host.as_deref(), binary.as_deref())
                .await
                .map_err(ApiFault::db)?;
            Ok((rows, b.deps.service_down_time, b.deps.service_zones.clone()))
        })
        .await?;
    let now = Utc::now();
    let services: Vec<Value> = rows
        .iter()
        .map(|r| service_view(&ctx, r, service_is_up(r, down_time, now), &zones))
        .collect();
    Ok(ok(json!({"services": services})))
}

/// `PUT /os-services/{id}`: at 2.53+ `id` is the service uuid; below, `id` is one of the
/// legacy actions (`enable`, `disable`, `disable-log-reason`, `force-down`).
pub async fn update(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVICES_UPDATE)?;
    let id = id.into_inner();
    let body = json_body(&body)?;
    if !ctx.version.at_least(53) {
        return legacy_update(&ctx, &id, &body, &state).await;
    }
    if let Some(extra) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "disabled_reason" | "forced_down"))
    {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let status = match body.get("status") {
        None => None,
        Some(Value::String(s)) if s == "enabled" || s == "disabled" => Some(s.clone()),
        Some(v) => return Err(ApiFault::bad_request(format!("Invalid input for field/attribute status. Value: {v}. {v} is not one of ['enabled', 'disabled']"))),
    };
    let reason = disabled_reason(&body)?;
    let forced_down = match body.get("forced_down") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => return Err(ApiFault::bad_request(format!("Invalid input for field/attribute forced_down. Value: {v}. {v} is not of type 'boolean'"))),
    };
    if !is_uuid(&id) {
        return Err(ApiFault::bad_request(format!("Invalid uuid {id}")));
    }
    let wanted = id.clone();
    let service = state
        .run(move |b| async move {
            let rows = b
                .deps
                .db
                .service_list(None, None)
                .await
                .map_err(ApiFault::db)?;
            Ok(rows.into_iter().find(|r| r.uuid == wanted))
        })
        .await?
        .ok_or_else(|| ApiFault::not_found(format!("Service {id} could not be found.")))?;
    if service.binary != "nova-compute" {
        return Err(ApiFault::bad_request(format!(
            "Updating a {} service is not supported. Only nova-compute services can be updated.",
            service.binary
        )));
    }
    if status.as_deref() == Some("enabled") && reason.is_some() {
        return Err(ApiFault::bad_request(
            "Specifying 'disabled_reason' with status 'enabled' is invalid.",
        ));
    }
    if status.is_none() && forced_down.is_none() {
        return Err(ApiFault::bad_request(
            "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
        ));
    }
    let changes = ServiceChanges {
        disabled: status.as_deref().map(|s| s == "disabled"),
        disabled_reason: match status.as_deref() {
            Some("disabled") => Some(reason),
            Some(_) => Some(None),
            None => None,
        },
        forced_down,
    };
    let (row, down_time, zones) = state
        .run(move |b| async move {
            let row = b
                .deps
                .db
                .service_set(ServiceKey::Id(service.id), &changes)
                .await
                .map_err(ApiFault::db)?;
            Ok((row, b.deps.service_down_time, b.deps.service_zones.clone()))
        })
        .await?;
    let up = service_is_up(&row, down_time, Utc::now());
    Ok(ok(json!({"service": service_view(&ctx, &row, up, &zones)})))
}

/// `disabled_reason` as Nova's schemas take it: a string of 1 to 255 characters (the
/// column's size — a longer one was a database error, a 500, on PostgreSQL and MariaDB),
/// refused with jsonschema's words as Nova's validator reports them.
fn disabled_reason(body: &serde_json::Map<String, Value>) -> Result<Option<String>, ApiFault> {
    let invalid = |value: &dyn std::fmt::Display, problem: String| {
        ApiFault::bad_request(format!(
            "Invalid input for field/attribute disabled_reason. Value: {value}. {problem}"
        ))
    };
    match body.get("disabled_reason") {
        None => Ok(None),
        Some(Value::String(reason)) if reason.is_empty() => {
            Err(invalid(reason, format!("'{reason}' is too short")))
        }
        Some(Value::String(reason)) if reason.chars().count() > 255 => {
            Err(invalid(reason, format!("'{reason}' is too long")))
        }
        Some(Value::String(reason)) => Ok(Some(reason.clone())),
        Some(other) => Err(invalid(other, format!("{other} is not of type 'string'"))),
    }
}

async fn legacy_update(
    ctx: &Ctx,
    action: &str,
    body: &serde_json::Map<String, Value>,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    // Nova's legacy schemas (`service_update`, `_v211`) bound the reason for every action.
    let reason = disabled_reason(body)?;
    let (Some(host), Some(binary)) = (text("host"), text("binary")) else {
        return Err(ApiFault::bad_request(
            "Invalid input: 'host' and 'binary' are required properties",
        ));
    };
    let (changes, mut view) = match action {
        "enable" => (
            ServiceChanges {
                disabled: Some(false),
                disabled_reason: Some(None),
                forced_down: None,
            },
            json!({"status": "enabled"}),
        ),
        "disable" => (
            ServiceChanges {
                disabled: Some(true),
                disabled_reason: None,
                forced_down: None,
            },
            json!({"status": "disabled"}),
        ),
        "disable-log-reason" => {
            let reason =
                reason.ok_or_else(|| ApiFault::bad_request("Missing disabled reason field"))?;
            (
                ServiceChanges {
                    disabled: Some(true),
                    disabled_reason: Some(Some(reason.clone())),
                    forced_down: None,
                },
                json!({"status": "disabled", "disabled_reason": reason}),
            )
        }
        "force-down" if ctx.version.at_least(11) => {
            let down = body
                .get("forced_down")
                .and_then(Value::as_bool)
                .ok_or_else(|| ApiFault::bad_request("forced_down must be a boolean"))?;
            (
                ServiceChanges {
                    disabled: None,
                    disabled_reason: None,
                    forced_down: Some(down),
                },
                json!({"forced_down": down}),
            )
        }
        _ => return Err(ApiFault::not_found(format!("Unknown action: {action}"))),
    };
    let (h, bin) = (host.clone(), binary.clone());
    state
        .run(move |b| async move {
            b.deps
                .db
                .service_set(
                    ServiceKey::HostBinary {
                        host: &h,
                        binary: &bin,
                    },
                    &changes,
                )
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    view["host"] = json!(host);
    view["binary"] = json!(binary);
    Ok(ok(json!({"service": view})))
}
