//! `POST /servers` (Nova: `servers.py` `create`): a valid body, a known image and flavor,
//! then [`compute_api_create::create`]; 202 with `Location` and the new server's id, links and
//! admin password.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rand::Rng;
use serde_json::{json, Value};

use super::create_details::instance_details;
use super::create_fields::refuse_unhonoured;
use super::create_hints::parse_hints;
use super::create_key_and_host::{key_name, requested_destination};
use super::create_networks::requested_port;
use super::create_schema::parse_create;
use super::create_zone::requested_zone;
use super::personality::personality;
use super::tags::create_tags;
use super::views::links;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api;
use crate::api::compute_api_create::{self, BootRequest, InstanceDetails};
use crate::api::http::json_body;
use crate::api::image_catalog;
use crate::api::policy::defaults as policy;

/// `POST /servers` → 202 with `Location`.
pub async fn create(
    ctx: Ctx,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(policy::SERVERS_CREATE)?;
    let body = json_body(&body)?;
    let request = parse_create(&ctx, &body)?;
    // Nova checks attach_network when a network is asked for (`none` asks for none).
    let asks_network = body
        .get("server")
        .and_then(|s| s.get("networks"))
        .is_some_and(|n| n.as_str() != Some("none"));
    if asks_network {
        ctx.authorize_own(policy::SERVERS_CREATE_ATTACH_NETWORK)?;
    }
    let (rpc, image) = (ctx.rpc_context(), request.image.clone());
    state
        .run(move |b| async move {
            image_catalog::bootable_image(&b.deps.db, &rpc, &image, "Can not find requested image")
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    let server = body
        .get("server")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let admin_pass = match server.get("adminPass") {
        None | Some(Value::Null) => None,
        Some(Value::String(pass)) => Some(pass.clone()),
        Some(other) => {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for field/attribute adminPass. Value: {other}. {other} is not of type 'string'"
            )))
        }
    };
    let return_reservation_id = match server.get("return_reservation_id") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for field/attribute return_reservation_id. Value: {other}. {other} is not of type 'boolean'"
            )))
        }
    };
    let hints = parse_hints(&body)?;
    let image = request.image.clone();
    let mut details = InstanceDetails {
        tags: create_tags(&ctx, server.get("tags"))?,
        ..instance_details(&server, request.description, request.hostname)?
    };
    details.scheduler_hints = hints.scheduler_hints;
    details.group = hints.group;
    details.key_name = key_name(&server)?;
    if let Some(files) = server.get("personality") {
        details.injected_files = personality(files)?;
    }
    details.requested_destination = requested_destination(&ctx, &server)?;
    let version = ctx.version;
    let count = request.count;
    let mut boot = BootRequest {
        name: request.name,
        flavor: request.flavor.clone(),
        image_ref: request.image,
        count: request.count,
        user_id: ctx.user_id.clone(),
        project_id: ctx.project_id.clone(),
        details,
    };
    let disk_config = match boot.details.auto_disk_config {
        Some(true) => "AUTO",
        _ => "MANUAL",
    };
    let rpc = ctx.rpc_context();
    let flavor = request.flavor;
    let zone_ctx = ctx.clone();
    let (uuids, reservation_id) = state
        .run(move |b| async move {
            refuse_unhonoured(&server, &image)?;
            let zone = requested_zone(&zone_ctx, &server, &b.deps.service_zones.compute)?;
            boot.details.availability_zone = zone.zone;
            boot.details.force_host = zone.force_host;
            boot.details.force_node = zone.force_node;
            boot.details.port = requested_port(version, &server, &b.deps.lab_network, count)?;
            // Nova resolves flavorRef by flavorid only; an unknown one is a 400.
            if let Err(e) = b.deps.db.flavor_get_by_flavor_id(&boot.flavor).await {
                return Err(match e.nova_class() {
                    Some("FlavorNotFound") => ApiFault::bad_request("Invalid flavorRef provided."),
                    _ => ApiFault::db(e),
                });
            }
            let uuids = compute_api_create::create(&b.deps, &rpc, &boot)
                .await
                .map_err(|e| match e {
                    compute_api::ApiError::NotFound(_) => {
                        ApiFault::bad_request(format!("Flavor {flavor} could not be found."))
                    }
                    other => other.into(),
                })?;
            let reservation_id = match (return_reservation_id, uuids.first()) {
                (true, Some(first)) => {
                    b.deps
                        .db
                        .instance_get_by_uuid(first)
                        .await
                        .map_err(ApiFault::db)?
                        .reservation_id
                }
                _ => None,
            };
            Ok((uuids, reservation_id))
        })
        .await?;
    if return_reservation_id {
        // Nova answers only the reservation id, whatever the count.
        return Ok(HttpResponse::Accepted().json(json!({ "reservation_id": reservation_id })));
    }
    let uuid = uuids
        .into_iter()
        .next()
        .ok_or_else(|| ApiFault::internal("create returned no instance"))?;
    // Nova returns the supplied password, else one it made (enable_instance_password).
    let password: String = admin_pass.unwrap_or_else(|| {
        rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(12)
            .map(char::from)
            .collect()
    });
    let location = ctx.href(&format!("servers/{uuid}"));
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .json(json!({"server": {
            "id": uuid, "links": links(&ctx, &uuid), "OS-DCF:diskConfig": disk_config,
            "security_groups": [{"name": "default"}], "adminPass": password,
        }})))
}
