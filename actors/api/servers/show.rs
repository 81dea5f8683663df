//! `GET /servers/{id}` (Nova: `servers.py` `show`): one server's detail view.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::lookup::{extras, server_groups, visible};
use super::views::show_view;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::ok;
use crate::api::policy::defaults as policy;

/// `GET /servers/{id}`.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let row = visible(&ctx, &state, &id, policy::SERVERS_SHOW).await?;
    let mut extra = extras(&state, std::slice::from_ref(&row))
        .await?
        .pop()
        .unwrap_or_default();
    if ctx.version.at_least(71) {
        extra.server_groups = server_groups(&state, &row.uuid).await?;
    }
    Ok(ok(json!({"server": show_view(&ctx, &row, &extra)})))
}
