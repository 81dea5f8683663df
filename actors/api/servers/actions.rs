//! `POST /servers/{id}/action` (Nova: `servers.py` `_stop_server`, `_start_server`,
//! `_action_reboot`): the body names one action, the flow is [`compute_api`]'s, 202.

use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api;
use crate::api::http::json_body;
use crate::api::policy::defaults as policy;

/// `POST /servers/{id}/action`: `os-stop`, `os-start`, `reboot` → 202.
pub async fn action(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let (name, value) = match body.iter().next() {
        Some((name, value)) if body.len() == 1 => (name.clone(), value.clone()),
        _ => {
            return Err(ApiFault::bad_request(
                "The action body must name exactly one action, e.g. {\"os-stop\": null}.",
            ))
        }
    };
    enum Act {
        Stop,
        Start,
        Reboot(bool),
    }
    let act = match name.as_str() {
        "os-stop" => Act::Stop,
        "os-start" => Act::Start,
        "reboot" => {
            let kind = value
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            match kind.as_deref() {
                Some("SOFT") => Act::Reboot(false),
                Some("HARD") => Act::Reboot(true),
                _ => {
                    return Err(ApiFault::bad_request(format!(
                        "Invalid input for field/attribute reboot. Value: {value}. 'type' must be one of 'SOFT', 'HARD' (case-insensitive)"
                    )))
                }
            }
        }
        other => {
            return Err(ApiFault::bad_request(format!(
                "There is no such action: {other}"
            )))
        }
    };
    let rule = match act {
        Act::Stop => policy::SERVERS_STOP,
        Act::Start => policy::SERVERS_START,
        Act::Reboot(_) => policy::SERVERS_REBOOT,
    };
    let row = visible(&ctx, &state, &id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            let uuid = row.uuid.as_str();
            match act {
                Act::Stop => compute_api::stop(&b.deps, &rpc, uuid).await,
                Act::Start => compute_api::start(&b.deps, &rpc, uuid).await,
                Act::Reboot(hard) => compute_api::reboot(&b.deps, &rpc, uuid, hard).await,
            }
            .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
