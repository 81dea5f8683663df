//! `GET /servers/{id}/ips` and `GET /servers/{id}/ips/{network_label}` (Nova: `ips.py`):
//! a server's addresses per network, without the extended attributes of the detail view.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::addresses::addresses;
use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::ok;
use crate::api::policy::defaults as policy;

/// The addresses of the server `id` the caller may see under `rule`.
async fn networks_of(
    ctx: &Ctx,
    state: &ApiState,
    id: &str,
    rule: &str,
) -> Result<Map<String, Value>, ApiFault> {
    let row = visible(ctx, state, id, rule).await?;
    state
        .run(move |b| async move {
            let ports = b
                .deps
                .db
                .lab_network_ports_of_instances(std::slice::from_ref(&row.uuid))
                .await
                .map_err(ApiFault::db)?;
            Ok(addresses(&ports, &b.deps.lab_network, false))
        })
        .await
}

/// `GET /servers/{id}/ips`.
pub async fn index(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let networks = networks_of(&ctx, &state, &id, policy::IPS_INDEX).await?;
    Ok(ok(json!({ "addresses": networks })))
}

/// `GET /servers/{id}/ips/{network_label}`.
pub async fn show(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let (id, label) = path.into_inner();
    let mut networks = networks_of(&ctx, &state, &id, policy::IPS_SHOW).await?;
    let Some(network) = networks.remove(&label) else {
        return Err(ApiFault::not_found(
            "Instance is not a member of specified network",
        ));
    };
    Ok(ok(json!({ label: network })))
}
