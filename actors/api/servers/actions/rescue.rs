//! `rescue`, `unrescue` (Nova: `rescue.py`). `rescue` takes null or `{"adminPass":
//! <string>, "rescue_image_ref": <image uuid>}` and answers 200 `{"adminPass": …}` — the
//! given password, else one made here (Nova's `[api] enable_instance_password` is always
//! on in novactor, D-API-7); `unrescue` → 202.

use actix_web::HttpResponse;
use rand::Rng;
use serde_json::{json, Value};

use super::body::{invalid, nullable_members};
use super::pause_suspend::run_simple;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_actions::{self, SimpleAction};
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// Nova `utils.generate_password()` at `[DEFAULT] password_length` 12.
pub(super) fn generate_password() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(12)
        .map(char::from)
        .collect()
}

/// The password and rescue image of a rescue body (Nova's `rescue` schema).
fn rescue_body(value: &Value) -> Result<(Option<String>, Option<String>), ApiFault> {
    let Some(map) = nullable_members("rescue", value, &["adminPass", "rescue_image_ref"])? else {
        return Ok((None, None));
    };
    let password = match map.get("adminPass") {
        None => None,
        Some(Value::String(password)) => Some(password.clone()),
        Some(other) => {
            return Err(invalid(
                "adminPass",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    let image = match map.get("rescue_image_ref") {
        None => None,
        Some(Value::String(image)) if uuid::Uuid::parse_str(image).is_ok() => Some(image.clone()),
        Some(Value::String(image)) => {
            return Err(invalid(
                "rescue_image_ref",
                &json!(image),
                &format!("'{image}' is not a 'uuid'"),
            ))
        }
        Some(other) => {
            return Err(invalid(
                "rescue_image_ref",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    Ok((password, image))
}

/// `rescue` on server `id` → 200 `{"adminPass": …}`.
pub(super) async fn rescue(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let (password, image) = rescue_body(value)?;
    let password = password.unwrap_or_else(generate_password);
    let row = visible(&ctx, state, id, policy::RESCUE).await?;
    let rpc = ctx.rpc_context();
    let sent = password.clone();
    state
        .run(move |b| async move {
            compute_api_actions::rescue(&b.deps, &rpc, &row.uuid, &sent, image.as_deref())
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "adminPass": password })))
}

/// `unrescue` on server `id` → 202.
pub(super) async fn unrescue(
    ctx: Ctx,
    id: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    run_simple(ctx, id, SimpleAction::Unrescue, policy::UNRESCUE, state).await
}
