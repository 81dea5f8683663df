//! The compute's image service (Nova: `nova/image/glance.py` `API` as the compute uses it —
//! `get`, the upload that makes an image `active`, `delete`, `get_all`), as the conductor's
//! `ImageCatalog` object calls (D-IMAGE-UPLOAD): a compute has no database and no image
//! endpoint of its own, so it reaches the catalog the way it reaches every other row.

use serde_json::{json, Map, Value};

use super::conductor_objects::{ConductorObjects, ObjectCallError};
use novactor::rpc::RequestContext;

/// The conductor's object class of the catalog.
const CATALOG: &str = "ImageCatalog";

/// What an upload wrote: the data's size and formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UploadedImage {
    /// Bytes.
    pub(super) size: i64,
    /// `qcow2`, `raw`, …
    pub(super) disk_format: String,
    /// `bare`, …
    pub(super) container_format: String,
}

impl ConductorObjects {
    async fn catalog_call(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, ObjectCallError> {
        Ok(self
            .conductor()
            .object_class_action_versions(ctx, CATALOG, method, args, Map::new())
            .await?)
    }

    /// Nova `image_api.get`: the image's dict ([`ObjectCallError::ImageNotFound`] if gone).
    pub(super) async fn image_get(
        &self,
        ctx: &RequestContext,
        image_id: &str,
    ) -> Result<Value, ObjectCallError> {
        self.catalog_call(ctx, "get", vec![json!(image_id)]).await
    }

    /// The upload of the snapshot's data into the `queued` image: it becomes `active`.
    pub(super) async fn image_upload(
        &self,
        ctx: &RequestContext,
        image_id: &str,
        data: &UploadedImage,
    ) -> Result<(), ObjectCallError> {
        let args = vec![
            json!(image_id),
            json!(data.size),
            json!(data.disk_format),
            json!(data.container_format),
        ];
        self.catalog_call(ctx, "upload_done", args).await.map(drop)
    }

    /// Nova `image_api.delete`.
    pub(super) async fn image_delete(
        &self,
        ctx: &RequestContext,
        image_id: &str,
    ) -> Result<(), ObjectCallError> {
        self.catalog_call(ctx, "delete", vec![json!(image_id)])
            .await
            .map(drop)
    }

    /// Nova `image_api.get_all(filters=…, sort_key='created_at', sort_dir='desc')`: the
    /// ids of the images whose fields or properties match every filter, newest first.
    pub(super) async fn image_ids_newest_first(
        &self,
        ctx: &RequestContext,
        filters: Map<String, Value>,
    ) -> Result<Vec<String>, ObjectCallError> {
        const CALL: &str = "ImageCatalog.get_all";
        let args = vec![Value::Object(filters), json!("created_at"), json!("desc")];
        let reply = self.catalog_call(ctx, "get_all", args).await?;
        let bad = |problem: &str| ObjectCallError::BadObject {
            call: CALL,
            problem: problem.to_owned(),
        };
        let images = reply.as_array().ok_or_else(|| bad("not a list"))?;
        images
            .iter()
            .map(|image| {
                image
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad("an image without an id"))
            })
            .collect()
    }
}
