//! The api's use of the image catalog (D-IMAGE; Nova: `nova/image/glance.py` `API.get`,
//! `create`, `delete`, and `nova/compute/utils.py` `create_image`,
//! `initialize_instance_snapshot_metadata`): the image a create, rebuild or rescue names,
//! as the caller sees it, and the `queued` image a snapshot, backup or shelve
//! is uploaded into.

use serde_json::{json, Map, Value};

use super::compute_api::{db_error, ApiError};
use crate::db::{ImageRow, ImageViewer, InstanceRow, NewImage, NovaDb};
use novactor::rpc::RequestContext;

/// `snapshot` or `backup`: Nova's `image_type` property of an instance image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceImageType {
    /// createImage, and shelve's `<name>-shelved` image.
    Snapshot,
    /// createBackup.
    Backup,
}

impl InstanceImageType {
    /// The property's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Backup => "backup",
        }
    }
}

/// The caller of an RPC context as the catalog's viewer.
pub fn viewer_of(ctx: &RequestContext) -> ImageViewer {
    let values = ctx.values();
    ImageViewer {
        is_admin: values.get("is_admin").and_then(Value::as_bool) == Some(true),
        project: values
            .get("project_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    }
}

/// The image `id` as the caller sees it (`None`: no such image for them — Nova's
/// `ImageNotFound`).
pub async fn visible_image(
    db: &NovaDb,
    ctx: &RequestContext,
    id: &str,
) -> Result<Option<ImageRow>, ApiError> {
    let image = db.image_get(id).await.map_err(db_error)?;
    Ok(image.filter(|image| viewer_of(ctx).sees(image)))
}

/// Nova `_check_requested_image`'s first checks: the image exists for the caller (else
/// `missing`, the 400 text of the calling API) and is `active` (else Nova's
/// `ImageNotActive`, 400 "Image <id> is not active.").
pub async fn bootable_image(
    db: &NovaDb,
    ctx: &RequestContext,
    id: &str,
    missing: &str,
) -> Result<ImageRow, ApiError> {
    let image = visible_image(db, ctx, id)
        .await?
        .ok_or_else(|| ApiError::BadRequest(missing.to_owned()))?;
    if image.status != "active" {
        return Err(ApiError::BadRequest(format!("Image {id} is not active.")));
    }
    Ok(image)
}

/// The image properties Nova never copies from the base image to a snapshot
/// (`compute/utils.py` `NON_INHERITABLE_IMAGE_PROPERTIES`, the signature namespace).
const NON_INHERITABLE: &[&str] = &[
    "cinder_encryption_key_id",
    "cinder_encryption_key_deletion_policy",
    "img_signature",
    "img_signature_hash_method",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
];

/// Nova `compute_utils.create_image`: a `queued` image of `instance` named `name`, with
/// the base image's inheritable properties and formats, then `instance_uuid`, `user_id`,
/// `image_type`, `base_image_ref` and `extra_properties` (which win), private to the
/// instance's project — or shared with an `instance_owner` when another project asks. A
/// snapshot's formats come with its upload; a backup keeps its base image's.
pub async fn create_instance_image(
    db: &NovaDb,
    ctx: &RequestContext,
    instance: &InstanceRow,
    name: &str,
    image_type: InstanceImageType,
    extra_properties: &Map<String, Value>,
) -> Result<ImageRow, ApiError> {
    let base_ref = instance.image_ref.clone().unwrap_or_default();
    let base = db.image_get(&base_ref).await.map_err(db_error)?;
    let mut properties: Map<String, Value> = base
        .as_ref()
        .map(|b| b.properties.clone())
        .unwrap_or_default();
    properties.retain(|key, _| {
        !NON_INHERITABLE.contains(&key.as_str()) && !key.starts_with("img_signature")
    });
    let caller = viewer_of(ctx);
    let owner = instance.project_id.clone().unwrap_or_default();
    let visibility = if caller.project == owner {
        "private"
    } else {
        properties.insert("instance_owner".into(), json!(owner));
        "shared"
    };
    let user_id = ctx
        .values()
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    properties.insert("instance_uuid".into(), json!(instance.uuid));
    properties.insert("user_id".into(), json!(user_id));
    properties.insert("image_type".into(), json!(image_type.as_str()));
    properties.insert("base_image_ref".into(), json!(base_ref));
    properties.extend(extra_properties.clone());
    let (disk_format, container_format) = match (image_type, &base) {
        (InstanceImageType::Backup, Some(base)) => {
            (base.disk_format.clone(), base.container_format.clone())
        }
        _ => (None, None),
    };
    let new = NewImage {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        visibility: visibility.to_owned(),
        owner,
        disk_format,
        container_format,
        min_disk: base.as_ref().map_or(0, |b| b.min_disk),
        min_ram: base.as_ref().map_or(0, |b| b.min_ram),
        properties,
    };
    db.image_create(&new).await.map_err(db_error)
}

/// Delete an image the api made and no longer needs (Nova `compute_utils.delete_image`:
/// one already gone is fine).
pub async fn delete_quietly(db: &NovaDb, id: &str) {
    if let Err(error) = db.image_delete(id).await {
        tracing::warn!(image = %id, %error, "could not clean up an image");
    }
}
