//! `ImageCatalog` on the conductor (novactor's, D-IMAGE-UPLOAD): what Nova's compute asks
//! Glance over HTTP (`nova/image/glance.py` `get`, `update` with the data upload,
//! `delete`, `get_all`), a novactor compute asks the conductor, which has the catalog's
//! database — so a compute in another process, without a database and without the api's
//! address, still finishes its snapshots and rotates its backups. Images travel as Glance
//! v2's dicts (`id`, `name`, `status`, `size`, …, the properties at the top level).
//!
//! | class method | does |
//! |---|---|
//! | `get(image_id)` | the image, or `ImageNotFound` |
//! | `upload_done(image_id, size, disk_format, container_format)` | `active` with its size; `ImageNotFound` when gone or not waiting for data |
//! | `delete(image_id)` | gone, or `ImageNotFound` |
//! | `get_all(filters, sort_key, sort_dir)` | the images whose fields or properties match every filter, sorted |

use serde_json::{json, Map, Value};

use super::args::{bad_argument, text_arg, unsupported};
use crate::db::{select_images, ImageQuery, ImageRow, ImageUpload, ImageViewer, NovaDb};
use crate::exception::NovaException;
use novactor::rpc::RemoteFailure;

/// Glance v2's dict of an image, as the compute reads it (and as the conductor's
/// unshelve sends it).
pub fn image_dict(image: &ImageRow) -> Value {
    let mut out = image.properties.clone();
    let base = json!({
        "id": image.id, "name": image.name, "status": image.status,
        "visibility": image.visibility, "owner": image.owner, "size": image.size,
        "disk_format": image.disk_format, "container_format": image.container_format,
        "min_disk": image.min_disk, "min_ram": image.min_ram,
        "created_at": image.created_at.map(|t| t.to_rfc3339()),
    });
    if let Value::Object(base) = base {
        out.extend(base);
    }
    Value::Object(out)
}

fn not_found(id: &str) -> RemoteFailure {
    NovaException::ImageNotFound.failure(format!("Image {id} could not be found."))
}

fn db_failure(error: crate::db::NovaDbError) -> RemoteFailure {
    error.to_failure()
}

/// A text (or text-like) value of a filter map.
fn filters_of(value: Option<&Value>) -> Result<Vec<(String, Vec<String>)>, RemoteFailure> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key.clone(), vec![text.clone()])),
                Value::Number(n) => Ok((key.clone(), vec![n.to_string()])),
                other => Err(bad_argument(&format!(
                    "filter {key} must be a text, not {other}"
                ))),
            })
            .collect(),
        Some(other) => Err(bad_argument(&format!(
            "filters must be a dict, not {other}"
        ))),
    }
}

/// `ImageCatalog.*` class methods.
pub(super) async fn class_action(
    db: &NovaDb,
    objmethod: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, RemoteFailure> {
    match objmethod {
        "get" => {
            let id = text_arg(args, kwargs, 0, "image_id")?;
            let image = db.image_get(&id).await.map_err(db_failure)?;
            image.map(|i| image_dict(&i)).ok_or_else(|| not_found(&id))
        }
        "upload_done" => {
            let id = text_arg(args, kwargs, 0, "image_id")?;
            let size = args
                .get(1)
                .or_else(|| kwargs.get("size"))
                .and_then(Value::as_i64)
                .filter(|size| *size >= 0)
                .ok_or_else(|| bad_argument("argument size missing or not a size"))?;
            let upload = ImageUpload {
                size,
                disk_format: text_arg(args, kwargs, 2, "disk_format")?,
                container_format: text_arg(args, kwargs, 3, "container_format")?,
            };
            if !db
                .image_upload_done(&id, &upload)
                .await
                .map_err(db_failure)?
            {
                return Err(not_found(&id));
            }
            let image = db.image_get(&id).await.map_err(db_failure)?;
            image.map(|i| image_dict(&i)).ok_or_else(|| not_found(&id))
        }
        "delete" => {
            let id = text_arg(args, kwargs, 0, "image_id")?;
            if db.image_delete(&id).await.map_err(db_failure)? {
                Ok(Value::Null)
            } else {
                Err(not_found(&id))
            }
        }
        "get_all" => {
            let filters = filters_of(args.first().or_else(|| kwargs.get("filters")))?;
            let key = text_arg(args, kwargs, 1, "sort_key").unwrap_or_else(|_| "created_at".into());
            let dir = text_arg(args, kwargs, 2, "sort_dir").unwrap_or_else(|_| "desc".into());
            let query = ImageQuery {
                filters,
                sort: vec![(key, dir != "asc")],
                marker: None,
                limit: None,
            };
            // The compute acts for the instance's owner or an admin: it sees what the
            // filters select (instance_uuid), as Nova's elevated context does.
            let viewer = ImageViewer {
                is_admin: true,
                project: String::new(),
            };
            let rows = db.image_get_all().await.map_err(db_failure)?;
            let images =
                select_images(rows, &query, &viewer).map_err(|e| bad_argument(&e.to_string()))?;
            Ok(Value::Array(images.iter().map(image_dict).collect()))
        }
        other => Err(unsupported("ImageCatalog", other)),
    }
}
