//! `GET` and `DELETE /servers/{id}/os-server-password` (Nova: `server_password.py`): the
//! password a guest posted to the metadata service, kept in `system_metadata` as Nova's
//! `password_0` … `password_3`. novactor has no metadata service, so no guest can post
//! one: `GET` answers `""` unless those keys were written otherwise (D-API-7); `DELETE`
//! clears them as Nova does → 204.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_local;
use crate::api::http::ok;
use crate::api::policy::defaults as policy;

/// `GET /servers/{id}/os-server-password` → `{"password": …}`.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id, policy::SERVER_PASSWORD_SHOW).await?;
    Ok(ok(
        json!({ "password": compute_api_local::server_password(&row) }),
    ))
}

/// `DELETE /servers/{id}/os-server-password` → 204.
pub async fn clear(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id, policy::SERVER_PASSWORD_CLEAR).await?;
    state
        .run(move |b| async move {
            compute_api_local::clear_server_password(&b.deps, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
