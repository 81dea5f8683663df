//! `pause`, `unpause` (Nova: `pause_server.py`), `suspend`, `resume`
//! (`suspend_server.py`) → 202. Their schemas take any value (`'pause': {}`).

use actix_web::HttpResponse;

use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_actions::{simple_action, SimpleAction};
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// `name` (one of the four) on server `id`.
pub(super) async fn act(
    ctx: Ctx,
    id: &str,
    name: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let (action, rule) = match name {
        "pause" => (SimpleAction::Pause, policy::PAUSE_SERVER_PAUSE),
        "unpause" => (SimpleAction::Unpause, policy::PAUSE_SERVER_UNPAUSE),
        "suspend" => (SimpleAction::Suspend, policy::SUSPEND_SERVER_SUSPEND),
        _ => (SimpleAction::Resume, policy::SUSPEND_SERVER_RESUME),
    };
    run_simple(ctx, id, action, rule, state).await
}

/// Policy `rule` on server `id`, then `action` → 202.
pub(super) async fn run_simple(
    ctx: Ctx,
    id: &str,
    action: SimpleAction,
    rule: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            simple_action(&b.deps, &rpc, &row.uuid, action)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
