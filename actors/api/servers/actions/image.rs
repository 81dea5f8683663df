//! `createImage` (Nova: `servers.py` `_action_create_image`, `schemas/servers.py`
//! `create_image`) and `createBackup` (`create_backup.py`, `schemas/create_backup.py`):
//! the body as Nova's schema reads it, the policy, the metadata quota before 2.39, and the
//! reply per version — 202 with a `Location` header naming the image before 2.45 (for a
//! backup only when `rotation` > 0), `{"image_id": …}` from 2.45.

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::body::{invalid, object_members};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_snapshot::{self, BackupRequest};
use crate::api::policy::defaults as policy;
use crate::api::servers::create_details::{metadata_items, metadata_quota};
use crate::api::servers::lookup::visible;
use crate::api::servers::update::name;

/// `parameter_types.metadata` of an image action: an object (absent = none).
fn image_metadata(action: &str, map: &Map<String, Value>) -> Result<Map<String, Value>, ApiFault> {
    match map.get("metadata") {
        None => Ok(Map::new()),
        Some(Value::Null) => Err(invalid(
            &format!("{action}/metadata"),
            &Value::Null,
            "None is not of type 'object'",
        )),
        Some(value) => metadata_items("metadata", Some(value)),
    }
}

/// The required member `key` of an action's object.
fn required<'a>(
    action: &str,
    value: &Value,
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Value, ApiFault> {
    map.get(key)
        .ok_or_else(|| invalid(action, value, &format!("'{key}' is a required property")))
}

/// `parameter_types.non_negative_integer`: an integer ≥ 0 or its decimal text.
fn rotation(value: &Value) -> Result<u64, ApiFault> {
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(rotation), _) => Ok(rotation),
            (None, Some(_)) => Err(invalid(
                "rotation",
                value,
                &format!("{n} is less than the minimum of 0"),
            )),
            _ => Err(invalid(
                "rotation",
                value,
                &format!("{n} is not of type 'integer', 'string'"),
            )),
        },
        Value::String(text) if text.is_empty() => {
            Err(invalid("rotation", value, "'' should be non-empty"))
        }
        Value::String(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u64>().map_err(|_| {
                invalid(
                    "rotation",
                    value,
                    &format!("'{text}' is too large a rotation"),
                )
            })
        }
        Value::String(text) => Err(invalid(
            "rotation",
            value,
            &format!("'{text}' does not match '^[0-9]*$'"),
        )),
        other => Err(invalid(
            "rotation",
            other,
            &format!("{other} is not of type 'integer', 'string'"),
        )),
    }
}

/// Nova checks the image metadata against the `metadata_items` quota before 2.39.
fn quota_before_2_39(ctx: &Ctx, metadata: &Map<String, Value>) -> Result<(), ApiFault> {
    if ctx.version.at_least(39) || metadata.is_empty() {
        return Ok(());
    }
    metadata_quota(metadata.len()).map_err(|_| ApiFault::forbidden("Image metadata limit exceeded"))
}

/// The 202 of an image action: `{"image_id"}` from 2.45, else `Location` (if `location`).
fn accepted(ctx: &Ctx, image_id: &str, location: Option<String>) -> HttpResponse {
    if ctx.version.at_least(45) {
        return HttpResponse::Accepted().json(json!({ "image_id": image_id }));
    }
    let mut reply = HttpResponse::Accepted();
    if let Some(location) = location {
        reply.insert_header(("Location", location));
    }
    reply.finish()
}

/// `createImage` `{"name", "metadata"?}` → 202.
pub(super) async fn create_image(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let map = object_members("createImage", value, &["name", "metadata"])?;
    let image_name = name(required("createImage", value, map, "name")?)?;
    let metadata = image_metadata("createImage", map)?;
    let row = visible(&ctx, state, id, policy::SERVERS_CREATE_IMAGE).await?;
    quota_before_2_39(&ctx, &metadata)?;
    let rpc = ctx.rpc_context();
    let image = state
        .run(move |b| async move {
            compute_api_snapshot::snapshot(&b.deps, &rpc, &row.uuid, &image_name, &metadata)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    let location = format!("{}/image/v2/images/{}", ctx.base, image.id);
    Ok(accepted(&ctx, &image.id, Some(location)))
}

/// `createBackup` `{"name", "backup_type", "rotation", "metadata"?}` → 202.
pub(super) async fn create_backup(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let allowed = ["name", "backup_type", "rotation", "metadata"];
    let map = object_members("createBackup", value, &allowed)?;
    let backup_name = name(required("createBackup", value, map, "name")?)?;
    let backup_type = match required("createBackup", value, map, "backup_type")? {
        Value::String(text) => text.clone(),
        other => {
            return Err(invalid(
                "backup_type",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    let rotation = rotation(required("createBackup", value, map, "rotation")?)?;
    let metadata = image_metadata("createBackup", map)?;
    let row = visible(&ctx, state, id, policy::CREATE_BACKUP).await?;
    quota_before_2_39(&ctx, &metadata)?;
    let rpc = ctx.rpc_context();
    let request = BackupRequest {
        name: backup_name,
        backup_type,
        rotation,
        metadata,
    };
    let image = state
        .run(move |b| async move {
            compute_api_snapshot::backup(&b.deps, &rpc, &row.uuid, request)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    let location = (rotation > 0).then(|| ctx.href(&format!("images/{}", image.id)));
    Ok(accepted(&ctx, &image.id, location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_are_read_as_novas_non_negative_integer() {
        assert_eq!(rotation(&json!(0)).unwrap(), 0);
        assert_eq!(rotation(&json!(3)).unwrap(), 3);
        assert_eq!(rotation(&json!("7")).unwrap(), 7);
        for bad in [
            json!(-1),
            json!(1.5),
            json!(""),
            json!("x"),
            json!(null),
            json!([1]),
        ] {
            assert_eq!(rotation(&bad).unwrap_err().status.as_u16(), 400, "{bad}");
        }
    }
}
