//! `/os-aggregates` (Nova: `api/openstack/compute/aggregates.py`): the list, always empty
//! (novactor has no host aggregates).

use actix_web::HttpResponse;
use serde_json::json;

use super::api_fault::ApiFault;
use super::auth::Ctx;
use super::http::ok;

/// `GET /os-aggregates`: none in this slice.
pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiFault> {
    ctx.authorize_own(super::policy::defaults::AGGREGATES_INDEX)?;
    Ok(ok(json!({"aggregates": []})))
}
