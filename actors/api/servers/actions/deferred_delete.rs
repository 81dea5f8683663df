//! `restore`, `forceDelete` (Nova: `deferred_delete.py`) → 202. Their schemas take any
//! value (`'restore': {}`), as Nova's do.

use actix_web::HttpResponse;

use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_deferred_delete::{force_delete, restore};
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// `restore` or `forceDelete` (`name`) on server `id`.
pub(super) async fn act(
    ctx: Ctx,
    id: &str,
    name: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let is_restore = name == "restore";
    let rule = if is_restore {
        policy::DEFERRED_DELETE_RESTORE
    } else {
        policy::DEFERRED_DELETE_FORCE
    };
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            if is_restore {
                restore(&b.deps, &rpc, &row.uuid).await
            } else {
                force_delete(&b.deps, &rpc, &row.uuid).await
            }
            .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
