//! `os-stop`, `os-start`, `reboot` (Nova: `servers.py` `_stop_server`, `_start_server`,
//! `_action_reboot`) → 202.

use actix_web::HttpResponse;
use serde_json::Value;

use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api;
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

enum Power {
    Stop,
    Start,
    Reboot { hard: bool },
}

/// One of the three power actions on server `id`.
pub(super) async fn act(
    ctx: Ctx,
    id: &str,
    name: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let act = match name {
        "os-stop" => Power::Stop,
        "os-start" => Power::Start,
        _ => {
            let kind = value
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            match kind.as_deref() {
                Some("SOFT") => Power::Reboot { hard: false },
                Some("HARD") => Power::Reboot { hard: true },
                _ => {
                    return Err(ApiFault::bad_request(format!(
                        "Invalid input for field/attribute reboot. Value: {value}. 'type' must be one of 'SOFT', 'HARD' (case-insensitive)"
                    )))
                }
            }
        }
    };
    let rule = match act {
        Power::Stop => policy::SERVERS_STOP,
        Power::Start => policy::SERVERS_START,
        Power::Reboot { .. } => policy::SERVERS_REBOOT,
    };
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            let uuid = row.uuid.as_str();
            match act {
                Power::Stop => compute_api::stop(&b.deps, &rpc, uuid).await,
                Power::Start => compute_api::start(&b.deps, &rpc, uuid).await,
                Power::Reboot { hard } => compute_api::reboot(&b.deps, &rpc, uuid, hard).await,
            }
            .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
