//! `/servers/{id}/migrations` (Nova: `server_migrations.py`, `schemas/server_migrations.py`,
//! `policies/servers_migrations.py`): a server's live migrations in progress — `GET` the
//! list (2.23+) or one (2.23+; 404 when it is not the server's, not a live migration, or
//! over), `POST …/{migration_id}/action` `{"force_complete": null}` (2.22+, 202) and
//! `DELETE …/{migration_id}` to abort (2.24+; 2.65 also while `queued` or `preparing`).
//! Views per version: 2.59 `uuid`, 2.80 `user_id` / `project_id`; the list shows hosts
//! only to callers the `index:host` rule allows.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::instance_actions::time;
use super::instance_checks::refuse_query;
use super::lookup::visible;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_live_migrate::{self, migration_of_instance};
use crate::api::http::{json_body, ok};
use crate::api::policy::defaults as policy;
use crate::db::MigrationRow;

/// Nova's in-progress statuses of a live migration (`show`'s check).
const IN_PROGRESS: &[&str] = &["queued", "preparing", "running", "post-migrating"];

fn not_found() -> ApiFault {
    ApiFault::not_found("The resource could not be found.")
}

/// Nova `server_migrations.output`.
fn output(ctx: &Ctx, row: &MigrationRow, include_host: bool) -> Value {
    let host = |value: &Option<String>| {
        if include_host {
            json!(value)
        } else {
            Value::Null
        }
    };
    let mut view = Map::new();
    view.insert("created_at".into(), time(row.created_at));
    view.insert("dest_compute".into(), host(&row.dest_compute));
    view.insert("dest_host".into(), host(&row.dest_host));
    view.insert("dest_node".into(), host(&row.dest_node));
    view.insert("disk_processed_bytes".into(), json!(row.disk_processed));
    view.insert("disk_remaining_bytes".into(), json!(row.disk_remaining));
    view.insert("disk_total_bytes".into(), json!(row.disk_total));
    view.insert("id".into(), json!(row.id));
    view.insert("memory_processed_bytes".into(), json!(row.memory_processed));
    view.insert("memory_remaining_bytes".into(), json!(row.memory_remaining));
    view.insert("memory_total_bytes".into(), json!(row.memory_total));
    view.insert("server_uuid".into(), json!(row.instance_uuid));
    view.insert("source_compute".into(), host(&row.source_compute));
    view.insert("source_node".into(), host(&row.source_node));
    view.insert("status".into(), json!(row.status));
    view.insert("updated_at".into(), time(row.updated_at));
    if ctx.version.at_least(59) {
        view.insert("uuid".into(), json!(row.uuid));
    }
    if ctx.version.at_least(80) {
        view.insert("user_id".into(), json!(row.user_id));
        view.insert("project_id".into(), json!(row.project_id));
    }
    Value::Object(view)
}

/// `GET /servers/{id}/migrations` (2.23+): the in-progress live migrations, newest first.
pub async fn index(
    ctx: Ctx,
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(23) {
        return Err(not_found());
    }
    refuse_query(&ctx, &req)?;
    let row = visible(&ctx, &state, &id, policy::SERVERS_MIGRATIONS_INDEX).await?;
    let project = row.project_id.clone().unwrap_or_default();
    let include_host = ctx.can(policy::SERVERS_MIGRATIONS_INDEX_HOST, &project);
    let uuid = row.uuid.clone();
    let rows = state
        .run(move |b| async move {
            b.deps
                .db
                .migration_get_in_progress(None, Some(&uuid), Some("live-migration"))
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    let migrations: Vec<Value> = rows
        .iter()
        .map(|row| output(&ctx, row, include_host))
        .collect();
    Ok(ok(json!({ "migrations": migrations })))
}

/// `GET /servers/{id}/migrations/{migration_id}` (2.23+).
pub async fn show(
    ctx: Ctx,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(23) {
        return Err(not_found());
    }
    refuse_query(&ctx, &req)?;
    let (id, migration_id) = path.into_inner();
    let row = visible(&ctx, &state, &id, policy::SERVERS_MIGRATIONS_SHOW).await?;
    let uuid = row.uuid.clone();
    let wanted = migration_id.clone();
    let migration = state
        .run(move |b| async move {
            migration_of_instance(&b.deps, &uuid, &wanted)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    let server = &row.uuid;
    let migration = migration.ok_or_else(|| {
        ApiFault::not_found(format!(
            "In-progress live migration {migration_id} is not found for server {server}."
        ))
    })?;
    if migration.migration_type.as_deref() != Some("live-migration") {
        return Err(ApiFault::not_found(format!(
            "Migration {migration_id} for server {server} is not live-migration."
        )));
    }
    if !IN_PROGRESS.contains(&migration.status.as_deref().unwrap_or_default()) {
        return Err(ApiFault::not_found(format!(
            "Live migration {migration_id} for server {server} is not in progress."
        )));
    }
    Ok(ok(json!({ "migration": output(&ctx, &migration, true) })))
}

/// `POST /servers/{id}/migrations/{migration_id}/action` `{"force_complete": null}`
/// (2.22+) → 202.
pub async fn action(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(22) {
        return Err(not_found());
    }
    let body = json_body(&body)?;
    match body.get("force_complete") {
        Some(Value::Null) if body.len() == 1 => {}
        Some(other) if body.len() == 1 => {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for field/attribute force_complete. Value: {other}. {other} is \
                 not of type 'null'"
            )))
        }
        _ => {
            let extra = body.keys().find(|k| k.as_str() != "force_complete");
            return Err(ApiFault::bad_request(match extra {
                Some(extra) => {
                    format!("Additional properties are not allowed ('{extra}' was unexpected)")
                }
                None => "'force_complete' is a required property".to_owned(),
            }));
        }
    }
    let (id, migration_id) = path.into_inner();
    let row = visible(&ctx, &state, &id, policy::SERVERS_MIGRATIONS_FORCE_COMPLETE).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_live_migrate::force_complete(&b.deps, &rpc, &row.uuid, &migration_id)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `DELETE /servers/{id}/migrations/{migration_id}` (2.24+): abort → 202.
pub async fn delete(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(24) {
        return Err(not_found());
    }
    let (id, migration_id) = path.into_inner();
    let row = visible(&ctx, &state, &id, policy::SERVERS_MIGRATIONS_DELETE).await?;
    let rpc = ctx.rpc_context();
    let in_queue = ctx.version.at_least(65);
    state
        .run(move |b| async move {
            compute_api_live_migrate::abort(&b.deps, &rpc, &row.uuid, &migration_id, in_queue)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
