//! [novactor] D-IMAGE: a read-only stand-in for Glance v2 under `/image` (§5.4), so
//! `--image NAME` resolves and `imageRef` can be validated. The catalog is fixed: one
//! `cirros` image.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::api_fault::ApiFault;
use super::http::{base, ok, param, query};

/// One catalog image.
#[derive(Debug, Clone, Copy)]
pub struct Image {
    /// Its uuid.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Size in bytes.
    pub size: u64,
}

/// The catalog.
pub const CATALOG: &[Image] = &[Image {
    id: "70a599e0-31e7-49b7-b260-868f441e862b",
    name: "cirros",
    size: 21_430_272,
}];

/// The image with this id.
pub fn by_id(id: &str) -> Option<&'static Image> {
    CATALOG.iter().find(|i| i.id == id)
}

fn view(image: &Image) -> Value {
    json!({
        "id": image.id, "name": image.name, "status": "active", "visibility": "public",
        "disk_format": "qcow2", "container_format": "bare", "min_disk": 0, "min_ram": 0,
        "size": image.size, "tags": [], "protected": false, "os_hidden": false,
        "owner": "admin", "checksum": null,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "self": format!("/v2/images/{}", image.id), "file": format!("/v2/images/{}/file", image.id),
        "schema": "/v2/schemas/image",
    })
}

/// `GET /image`, `GET /image/v2`.
pub async fn versions(req: HttpRequest) -> HttpResponse {
    ok(json!({"versions": [{"id": "v2.16", "status": "CURRENT",
        "links": [{"rel": "self", "href": format!("{}/image/v2/", base(&req))}]}]}))
}

/// `GET /image/v2/images[?name=N][&id=in:A,B]`.
pub async fn list(req: HttpRequest) -> Result<HttpResponse, ApiFault> {
    let pairs = query(&req)?;
    let name = param(&pairs, "name");
    let ids: Option<Vec<&str>> =
        param(&pairs, "id").map(|v| v.strip_prefix("in:").unwrap_or(v).split(',').collect());
    let images: Vec<Value> = CATALOG
        .iter()
        .filter(|i| name.is_none_or(|n| n == i.name))
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
        .map(view)
        .collect();
    Ok(ok(
        json!({"images": images, "schema": "/v2/schemas/images", "first": "/v2/images"}),
    ))
}

/// `GET /image/v2/images/{id}`.
pub async fn show(id: web::Path<String>) -> Result<HttpResponse, ApiFault> {
    by_id(&id)
        .map(|image| ok(view(image)))
        .ok_or_else(|| ApiFault::not_found(format!("No image found with ID {id}")))
}
