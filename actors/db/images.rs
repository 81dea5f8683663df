//! The `novactor_images` table (D-IMAGE): the image catalog the `/image/v2` stand-in serves
//! and createImage, createBackup and the computes' uploads write. Glance's image record:
//! status, visibility, owner, formats, size, and its free-form properties as one JSON
//! object. Rows are hard-deleted. The catalog is small (the built-in `cirros` and the
//! snapshots made here), so Glance's list filters run on the rows in
//! [`crate::db::image_query`].

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;

/// One image of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    /// Its id (a uuid).
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Glance's status: `queued`, `saving`, `active`, `killed`, …
    pub status: String,
    /// `public`, `private`, `shared` or `community`.
    pub visibility: String,
    /// The owner project.
    pub owner: Option<String>,
    /// Bytes, once uploaded.
    pub size: Option<i64>,
    /// `qcow2`, `raw`, … once known.
    pub disk_format: Option<String>,
    /// `bare`, … once known.
    pub container_format: Option<String>,
    /// GiB of disk a server of it needs.
    pub min_disk: i64,
    /// MiB of RAM a server of it needs.
    pub min_ram: i64,
    /// Glance's delete protection.
    pub protected: bool,
    /// The free-form properties (`image_type`, `instance_uuid`, …).
    pub properties: Map<String, Value>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a new image starts with (status `queued`, no size).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewImage {
    /// Its id (a uuid the caller made).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `private`, `shared`, …
    pub visibility: String,
    /// The owner project.
    pub owner: String,
    /// Known formats (a backup keeps its base image's; a snapshot's come with the upload).
    pub disk_format: Option<String>,
    /// As above.
    pub container_format: Option<String>,
    /// GiB of disk a server of it needs.
    pub min_disk: i64,
    /// MiB of RAM a server of it needs.
    pub min_ram: i64,
    /// The properties.
    pub properties: Map<String, Value>,
}

/// What an upload sets: the image becomes `active` with its data's size and formats.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageUpload {
    /// Bytes uploaded.
    pub size: i64,
    /// The data's disk format.
    pub disk_format: String,
    /// The data's container format.
    pub container_format: String,
}

#[derive(Debug, sqlx::FromRow)]
struct ImageColumns {
    uuid: String,
    name: Option<String>,
    status: String,
    visibility: String,
    owner: Option<String>,
    size: Option<i64>,
    disk_format: Option<String>,
    container_format: Option<String>,
    min_disk: i64,
    min_ram: i64,
    protected: bool,
    properties: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

impl From<ImageColumns> for ImageRow {
    fn from(c: ImageColumns) -> Self {
        // The column is written only from a JSON object below; anything else reads as none.
        let properties = c
            .properties
            .and_then(|text| serde_json::from_str::<Map<String, Value>>(&text).ok())
            .unwrap_or_default();
        Self {
            id: c.uuid,
            name: c.name,
            status: c.status,
            visibility: c.visibility,
            owner: c.owner,
            size: c.size,
            disk_format: c.disk_format,
            container_format: c.container_format,
            min_disk: c.min_disk,
            min_ram: c.min_ram,
            protected: c.protected,
            properties,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

const SELECT_IMAGES: &str = "SELECT uuid, name, status, visibility, owner, size, disk_format, \
     container_format, min_disk, min_ram, protected, properties, created_at, updated_at \
     FROM novactor_images";

impl NovaDb {
    /// A new `queued` image; returns it as stored.
    pub async fn image_create(&self, new: &NewImage) -> Result<ImageRow, NovaDbError> {
        let now = utc_now();
        let properties = Value::Object(new.properties.clone()).to_string();
        self.db
            .insert(
                "novactor_images",
                &[
                    ("uuid", new.id.as_str().into()),
                    ("name", new.name.as_str().into()),
                    ("status", "queued".into()),
                    ("visibility", new.visibility.as_str().into()),
                    ("owner", new.owner.as_str().into()),
                    ("disk_format", new.disk_format.clone().into()),
                    ("container_format", new.container_format.clone().into()),
                    ("min_disk", new.min_disk.into()),
                    ("min_ram", new.min_ram.into()),
                    ("properties", properties.into()),
                    ("created_at", now.into()),
                    ("updated_at", now.into()),
                ],
            )
            .await?;
        Ok(ImageRow {
            id: new.id.clone(),
            name: Some(new.name.clone()),
            status: "queued".into(),
            visibility: new.visibility.clone(),
            owner: Some(new.owner.clone()),
            size: None,
            disk_format: new.disk_format.clone(),
            container_format: new.container_format.clone(),
            min_disk: new.min_disk,
            min_ram: new.min_ram,
            protected: false,
            properties: new.properties.clone(),
            created_at: Some(now),
            updated_at: Some(now),
        })
    }

    /// The image with this id, if any.
    pub async fn image_get(&self, id: &str) -> Result<Option<ImageRow>, NovaDbError> {
        let sql = format!("{SELECT_IMAGES} WHERE uuid = ?");
        let row: Option<ImageColumns> = self.db.fetch_optional(&sql, &[id.into()]).await?;
        Ok(row.map(ImageRow::from))
    }

    /// Every image, oldest first (the catalog is filtered by `image_query`).
    pub async fn image_get_all(&self) -> Result<Vec<ImageRow>, NovaDbError> {
        let sql = format!("{SELECT_IMAGES} ORDER BY id");
        let rows: Vec<ImageColumns> = self.db.fetch_all(&sql, &[]).await?;
        Ok(rows.into_iter().map(ImageRow::from).collect())
    }

    /// The upload of the image's data is done: `active` with its size and formats. False
    /// when there is no such image or it is active already (an image's data is written
    /// once, as Glance's 409 on a second upload).
    pub async fn image_upload_done(
        &self,
        id: &str,
        upload: &ImageUpload,
    ) -> Result<bool, NovaDbError> {
        let n = self
            .db
            .execute(
                "UPDATE novactor_images SET status = 'active', size = ?, disk_format = ?, \
                 container_format = ?, updated_at = ? \
                 WHERE uuid = ? AND status IN ('queued', 'saving')",
                &[
                    upload.size.into(),
                    upload.disk_format.as_str().into(),
                    upload.container_format.as_str().into(),
                    utc_now().into(),
                    id.into(),
                ],
            )
            .await?;
        Ok(n > 0)
    }

    /// Delete the image; false when there was none.
    pub async fn image_delete(&self, id: &str) -> Result<bool, NovaDbError> {
        let n = self
            .db
            .execute("DELETE FROM novactor_images WHERE uuid = ?", &[id.into()])
            .await?;
        Ok(n > 0)
    }
}
