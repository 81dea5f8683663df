//! `/servers/{id}/metadata[/{key}]` (Nova: `server_metadata.py`,
//! `schemas/server_metadata.py`, `policies/server_metadata.py`, `compute/api.py`
//! `update_instance_metadata` / `delete_instance_metadata`): the user's key/value pairs of
//! a server, kept in `instances.metadata`. Writes need an unlocked (or admin) server in
//! `active`/`paused`/`suspended`/`stopped` with no task, and at most 128 items
//! ([`metadata_quota`]).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::create_details::{metadata_items, metadata_quota};
use super::instance_checks::{editable, only_key, refuse_query};
use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::{json_body, ok};
use crate::api::policy::defaults as policy;
use crate::db::InstanceRow;

fn current(row: &InstanceRow) -> Map<String, Value> {
    row.metadata_json()
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// Nova `update_instance_metadata`: `items` merged into (or, with `replace`, instead of)
/// the server's, checked against the quota and saved; returns the result.
async fn save(
    ctx: &Ctx,
    state: &ApiState,
    row: &InstanceRow,
    items: Map<String, Value>,
    replace: bool,
    action: &str,
) -> Result<Map<String, Value>, ApiFault> {
    editable(ctx, row, action)?;
    let metadata = if replace {
        items
    } else {
        let mut merged = current(row);
        merged.extend(items);
        merged
    };
    metadata_quota(metadata.len())?;
    write(state, &row.uuid, metadata.clone()).await?;
    Ok(metadata)
}

async fn write(state: &ApiState, uuid: &str, metadata: Map<String, Value>) -> Result<(), ApiFault> {
    let uuid = uuid.to_owned();
    state
        .run(move |b| async move {
            let values = json!({ "metadata": Value::Object(metadata) });
            b.deps
                .db
                .instance_update_and_get(
                    &uuid,
                    values.as_object().unwrap_or(&Map::new()),
                    None,
                    None,
                )
                .await
                .map(drop)
                .map_err(ApiFault::db)
        })
        .await
}

/// `GET /servers/{id}/metadata`.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    refuse_query(&ctx, &req)?;
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_INDEX).await?;
    Ok(ok(json!({ "metadata": current(&row) })))
}

/// `POST /servers/{id}/metadata`: merge; 200 with the whole metadata.
pub async fn create(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let items = metadata_items("metadata", Some(only_key(&body, "metadata")?))?;
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_CREATE).await?;
    let metadata = save(&ctx, &state, &row, items, false, "update metadata").await?;
    Ok(ok(json!({ "metadata": metadata })))
}

/// `PUT /servers/{id}/metadata`: replace; 200 with the whole metadata.
pub async fn update_all(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let items = metadata_items("metadata", Some(only_key(&body, "metadata")?))?;
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_UPDATE_ALL).await?;
    let metadata = save(&ctx, &state, &row, items, true, "update metadata").await?;
    Ok(ok(json!({ "metadata": metadata })))
}

/// `GET /servers/{id}/metadata/{key}`.
pub async fn show(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let (id, key) = path.into_inner();
    refuse_query(&ctx, &req)?;
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_SHOW).await?;
    match current(&row).get(&key) {
        Some(value) => Ok(ok(json!({ "meta": { key: value } }))),
        None => Err(ApiFault::not_found("Metadata item was not found")),
    }
}

/// `PUT /servers/{id}/metadata/{key}`: `{"meta": {key: value}}`, one item, its key the
/// URI's; 200 with the item.
pub async fn update(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let (id, key) = path.into_inner();
    let body = json_body(&body)?;
    let meta = only_key(&body, "meta")?;
    let items = metadata_items("meta", Some(meta))?;
    if items.len() != 1 {
        let why = if items.is_empty() {
            "should be non-empty"
        } else {
            "has too many properties"
        };
        return Err(ApiFault::bad_request(format!(
            "Invalid input for field/attribute meta. Value: {meta}. {meta} {why}"
        )));
    }
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_UPDATE).await?;
    if !items.contains_key(&key) {
        return Err(ApiFault::bad_request("Request body and URI mismatch"));
    }
    save(&ctx, &state, &row, items.clone(), false, "update metadata").await?;
    Ok(ok(json!({ "meta": items })))
}

/// `DELETE /servers/{id}/metadata/{key}` → 204.
pub async fn delete(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let (id, key) = path.into_inner();
    let row = visible(&ctx, &state, &id, policy::SERVER_METADATA_DELETE).await?;
    let mut metadata = current(&row);
    if metadata.remove(&key).is_none() {
        return Err(ApiFault::not_found("Metadata item was not found"));
    }
    editable(&ctx, &row, "delete metadata")?;
    write(&state, &row.uuid, metadata).await?;
    Ok(HttpResponse::NoContent().finish())
}
