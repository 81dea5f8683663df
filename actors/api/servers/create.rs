//! `POST /servers` (Nova: `servers.py` `create`): a valid body, a known image and flavor,
//! then [`compute_api::create`]; 202 with `Location` and the new server's id, links and
//! admin password.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rand::Rng;
use serde_json::{json, Map};

use super::create_schema::parse_create;
use super::views::links;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api::{self, BootRequest};
use crate::api::http::json_body;
use crate::api::images;
use crate::api::policy::defaults as policy;

/// `POST /servers` → 202 with `Location`.
pub async fn create(
    ctx: Ctx,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVERS_CREATE)?;
    let request = parse_create(&ctx, &json_body(&body)?)?;
    if images::by_id(&request.image).is_none() {
        return Err(ApiFault::bad_request("Can not find requested image"));
    }
    let boot = BootRequest {
        name: request.name,
        flavor: request.flavor.clone(),
        image_ref: request.image,
        count: request.count,
        user_id: ctx.user_id.clone(),
        project_id: ctx.project_id.clone(),
    };
    let rpc = ctx.rpc_context();
    let description = request.description;
    let flavor = request.flavor;
    let uuids = state
        .run(move |b| async move {
            // Nova resolves flavorRef by flavorid only; an unknown one is a 400.
            if let Err(e) = b.deps.db.flavor_get_by_flavor_id(&boot.flavor).await {
                return Err(match e.nova_class() {
                    Some("FlavorNotFound") => ApiFault::bad_request("Invalid flavorRef provided."),
                    _ => ApiFault::db(e),
                });
            }
            let uuids = compute_api::create(&b.deps, &rpc, &boot)
                .await
                .map_err(|e| match e {
                    compute_api::ApiError::NotFound(_) => {
                        ApiFault::bad_request(format!("Flavor {flavor} could not be found."))
                    }
                    other => other.into(),
                })?;
            if let Some(description) = description {
                for uuid in &uuids {
                    let values = json!({"display_description": description});
                    // Best effort: the instance may already be gone again.
                    let _ = b
                        .deps
                        .db
                        .instance_update_and_get(
                            uuid,
                            values.as_object().unwrap_or(&Map::new()),
                            None,
                            None,
                        )
                        .await;
                }
            }
            Ok(uuids)
        })
        .await?;
    let uuid = uuids
        .into_iter()
        .next()
        .ok_or_else(|| ApiFault::internal("create returned no instance"))?;
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    let location = format!("{}/v2.1/servers/{uuid}", ctx.base);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .json(json!({"server": {
            "id": uuid, "links": links(&ctx, &uuid), "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}], "adminPass": password,
        }})))
}
