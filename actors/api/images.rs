//! [novactor] D-IMAGE: a stand-in for Glance v2 under `/image` (§5.4), over the image
//! catalog every api process shares (`db/images.rs`): the built-in `cirros` and the
//! snapshots and backups the servers' actions make. Served: list (Glance's filters, sort
//! and paging, `db/image_query.rs`), show and delete, in Glance v2's shapes. Images are
//! made only by createImage and createBackup (no `POST /v2/images`, no data upload).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::api_fault::ApiFault;
use super::api_state::ApiState;
use super::auth::Ctx;
use super::http::{base, ok, query};
use crate::db::{select_images, ImageQuery, ImageRow, ImageViewer, IMAGE_SORT_KEYS};

/// Glance's `limit_param_default` and `api_limit_max`.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;

/// The base fields a list may filter on, each exact or `in:a,b`.
const BASE_FILTERS: &[&str] = &[
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "disk_format",
    "container_format",
    "protected",
];

fn glance_time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    })
}

/// Glance v2's image: its base fields, then its properties at the top level.
pub fn view(image: &ImageRow) -> Value {
    let mut out: Map<String, Value> = image.properties.clone();
    let base = json!({
        "id": image.id, "name": image.name, "status": image.status,
        "visibility": image.visibility, "owner": image.owner, "size": image.size,
        "virtual_size": null, "disk_format": image.disk_format,
        "container_format": image.container_format, "min_disk": image.min_disk,
        "min_ram": image.min_ram, "protected": image.protected, "os_hidden": false,
        "checksum": null, "os_hash_algo": null, "os_hash_value": null, "tags": [],
        "created_at": glance_time(image.created_at), "updated_at": glance_time(image.updated_at),
        "self": format!("/v2/images/{}", image.id), "file": format!("/v2/images/{}/file", image.id),
        "schema": "/v2/schemas/image",
    });
    if let Value::Object(base) = base {
        out.extend(base);
    }
    Value::Object(out)
}

fn viewer(ctx: &Ctx) -> ImageViewer {
    ImageViewer {
        is_admin: ctx.is_admin,
        project: ctx.project_id.clone(),
    }
}

/// `GET /image`, `GET /image/v2`.
pub async fn versions(req: HttpRequest) -> HttpResponse {
    ok(json!({"versions": [{"id": "v2.16", "status": "CURRENT",
        "links": [{"rel": "self", "href": format!("{}/image/v2/", base(&req))}]}]}))
}

fn bad(text: impl Into<String>) -> ApiFault {
    ApiFault::bad_request(text)
}

/// A `sort_dir` value.
fn descending(dir: &str) -> Result<bool, ApiFault> {
    match dir {
        "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(bad(format!(
            "Invalid sort direction: {other}. It must be one of the following: asc, desc."
        ))),
    }
}

fn sort_key(key: &str) -> Result<String, ApiFault> {
    if IMAGE_SORT_KEYS.contains(&key) {
        Ok(key.to_owned())
    } else {
        Err(bad(format!("Invalid sort key: {key}.")))
    }
}

/// A list request's query string as Glance v2 reads it.
fn list_query(pairs: &[(String, String)]) -> Result<ImageQuery, ApiFault> {
    let mut query = ImageQuery::default();
    let mut keys = Vec::new();
    let mut dirs = Vec::new();
    let mut limit = DEFAULT_LIMIT;
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .map_err(|_| bad("limit param must be an integer"))?
                    .min(MAX_LIMIT);
            }
            "marker" => query.marker = Some(value.clone()),
            "sort_key" => keys.push(sort_key(value)?),
            "sort_dir" => dirs.push(descending(value)?),
            "sort" => {
                for part in value.split(',') {
                    let (key, dir) = part.split_once(':').unwrap_or((part, "desc"));
                    query
                        .sort
                        .push((sort_key(key.trim())?, descending(dir.trim())?));
                }
            }
            // No image has members here: every image is "accepted" for its viewers.
            "member_status" if matches!(value.as_str(), "accepted" | "all") => {}
            // No image is hidden and none has tags: `os_hidden=true` or any `tag` lists
            // none (a filter no value satisfies).
            "os_hidden" if value == "true" => query.filters.push(("id".into(), Vec::new())),
            "os_hidden" => {}
            "tag" => query.filters.push(("tags".into(), Vec::new())),
            "member_status" | "size_min" | "size_max" | "created_at" | "updated_at" => {
                return Err(bad(format!(
                    "The {key} filter is not served by this image stand-in (D-IMAGE)."
                )))
            }
            field => {
                let values = match value.strip_prefix("in:") {
                    Some(list) if BASE_FILTERS.contains(&field) => {
                        list.split(',').map(str::to_owned).collect()
                    }
                    _ => vec![value.clone()],
                };
                query.filters.push((field.to_owned(), values));
            }
        }
    }
    if !query.sort.is_empty() && (!keys.is_empty() || !dirs.is_empty()) {
        return Err(bad(
            "The sort param cannot be used together with sort_key or sort_dir.",
        ));
    }
    if dirs.len() > keys.len().max(1) {
        return Err(bad(
            "The number of sort_dir values exceeds the number of sort_key values.",
        ));
    }
    for (i, key) in keys.into_iter().enumerate() {
        let desc = dirs.get(i).or(dirs.first()).copied().unwrap_or(true);
        query.sort.push((key, desc));
    }
    query.limit = Some(limit);
    Ok(query)
}

/// `GET /image/v2/images` with Glance's filters, sort and `limit`/`marker` paging (a
/// full page carries `next`).
pub async fn list(
    ctx: Ctx,
    req: HttpRequest,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    let query = list_query(&pairs)?;
    let viewer = viewer(&ctx);
    let rows = state
        .run(move |b| async move { b.deps.db.image_get_all().await.map_err(ApiFault::db) })
        .await?;
    let page = select_images(rows, &query, &viewer).map_err(|e| bad(e.to_string()))?;
    let mut body = json!({
        "images": page.iter().map(view).collect::<Vec<_>>(),
        "schema": "/v2/schemas/images", "first": "/v2/images",
    });
    if let (Some(limit), Some(last)) = (query.limit, page.last()) {
        if page.len() == limit {
            body["next"] = json!(format!("/v2/images?marker={}&limit={limit}", last.id));
        }
    }
    Ok(ok(body))
}

/// The image `id` as the caller sees it, or Glance's 404.
async fn visible(ctx: &Ctx, state: &ApiState, id: String) -> Result<ImageRow, ApiFault> {
    let viewer = viewer(ctx);
    let lookup = id.clone();
    let image = state
        .run(move |b| async move { b.deps.db.image_get(&lookup).await.map_err(ApiFault::db) })
        .await?;
    image
        .filter(|image| viewer.sees(image))
        .ok_or_else(|| ApiFault::not_found(format!("No image found with ID {id}")))
}

/// `GET /image/v2/images/{id}`.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let image = visible(&ctx, &state, id.into_inner()).await?;
    Ok(ok(view(&image)))
}

/// `DELETE /image/v2/images/{id}` → 204: the owner's or an admin's, unless protected.
pub async fn delete(
    ctx: Ctx,
    id: web::Path<String>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let image = visible(&ctx, &state, id.into_inner()).await?;
    if !ctx.is_admin && image.owner.as_deref() != Some(ctx.project_id.as_str()) {
        return Err(ApiFault::forbidden(
            "You are not permitted to delete this image.",
        ));
    }
    if image.protected {
        return Err(ApiFault::forbidden(format!(
            "Image {} is protected and cannot be deleted.",
            image.id
        )));
    }
    let id = image.id;
    let target = id.clone();
    let removed = state
        .run(move |b| async move { b.deps.db.image_delete(&target).await.map_err(ApiFault::db) })
        .await?;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiFault::not_found(format!("No image found with ID {id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        text.split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn list_queries_are_read_as_glance_reads_them() {
        let q = list_query(&pairs(
            "name=snap&image_type=backup&sort_key=name&sort_dir=asc",
        ))
        .unwrap();
        assert_eq!(
            q.filters,
            [
                ("name".to_owned(), vec!["snap".to_owned()]),
                ("image_type".to_owned(), vec!["backup".to_owned()])
            ]
        );
        assert_eq!(q.sort, [("name".to_owned(), false)]);
        assert_eq!(q.limit, Some(DEFAULT_LIMIT));
        let q = list_query(&pairs("id=in:a,b&sort=created_at:asc,name&limit=5000")).unwrap();
        assert_eq!(q.filters, [("id".to_owned(), vec!["a".into(), "b".into()])]);
        assert_eq!(
            q.sort,
            [("created_at".to_owned(), false), ("name".to_owned(), true)]
        );
        assert_eq!(q.limit, Some(MAX_LIMIT));
        for refused in ["sort_key=nope", "sort_dir=up", "limit=x", "size_min=3"] {
            assert!(list_query(&pairs(refused)).is_err(), "{refused}");
        }
    }
}
