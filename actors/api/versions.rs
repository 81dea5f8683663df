//! Version discovery (Nova: `api/openstack/compute/versions.py`, `views/versions.py`):
//! `GET /` and `GET /v2.1[/]`, unauthenticated. [novactor] lists only v2.1 (§5.2 allows
//! leaving out the deprecated v2.0 entry, so `/v2` is not routed).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::http::{base, ok};
use super::microversion::{MAX_VERSION, MIN_VERSION};

fn v21_entry(base: &str, full: bool) -> Value {
    let mut links = vec![json!({"rel": "self", "href": format!("{base}/v2.1/")})];
    let mut doc = json!({
        "id": "v2.1", "status": "CURRENT", "version": MAX_VERSION.to_string(),
        "min_version": MIN_VERSION.to_string(), "updated": "2013-07-23T11:33:21Z",
    });
    if full {
        links.push(json!({"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}));
        doc["media-types"] = json!([{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]);
    }
    doc["links"] = Value::Array(links);
    doc
}

/// `GET /`.
pub async fn root(req: HttpRequest) -> HttpResponse {
    ok(json!({"versions": [v21_entry(&base(&req), false)]}))
}

/// `GET /v2.1` and `GET /v2.1/`.
pub async fn v21(req: HttpRequest) -> HttpResponse {
    ok(json!({"version": v21_entry(&base(&req), true)}))
}
