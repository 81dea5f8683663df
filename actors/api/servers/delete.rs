//! `DELETE /servers/{id}` (Nova: `servers.py` `delete`): a delete, or a soft delete with
//! `reclaim_instance_interval` set ([`compute_api_deferred_delete::delete_server`]), 204.

use actix_web::{web, HttpResponse};

use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_deferred_delete;
use crate::api::policy::defaults as policy;

/// `DELETE /servers/{id}` → 204.
pub async fn delete(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id, policy::SERVERS_DELETE).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_deferred_delete::delete_server(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
