//! Glance v2's image list rules over the catalog's rows (D-IMAGE): who sees an image, the
//! filters (`name`, `id`, `status`, `visibility`, `owner` — each exact or `in:a,b` — and
//! any other key as a property filter, as Glance reads extra query parameters), the sort
//! (`sort_key`/`sort_dir`, repeatable, default `created_at` desc as Glance's) and the page
//! (`marker`, `limit`).

use std::cmp::Ordering;

use super::images::ImageRow;

/// Who asks: admins see every image; others the public and community ones and their
/// project's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageViewer {
    /// `context.is_admin`.
    pub is_admin: bool,
    /// The caller's project.
    pub project: String,
}

impl ImageViewer {
    /// Whether `image` is visible to this caller (Glance's `is_image_visible`, without
    /// members: a `shared` image is its owner's).
    pub fn sees(&self, image: &ImageRow) -> bool {
        self.is_admin
            || matches!(image.visibility.as_str(), "public" | "community")
            || image.owner.as_deref() == Some(self.project.as_str())
    }
}

/// The sort keys Glance v2 accepts.
pub const IMAGE_SORT_KEYS: &[&str] = &[
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
    "visibility",
    "owner",
    "min_disk",
    "min_ram",
];

/// One list request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageQuery {
    /// `(field, accepted values)`: a base field or a property; each must match one value.
    pub filters: Vec<(String, Vec<String>)>,
    /// `(key, descending)`, first key first; empty = `created_at` desc.
    pub sort: Vec<(String, bool)>,
    /// The id after which the page starts.
    pub marker: Option<String>,
    /// At most this many images.
    pub limit: Option<usize>,
}

/// A list request Glance refuses (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageQueryError {
    /// The marker is no image the caller sees.
    #[error("Invalid marker. Image {0} could not be found.")]
    MarkerNotFound(String),
}

/// A base field's text (None for a field the image has no value of).
fn field_text(image: &ImageRow, field: &str) -> Option<String> {
    match field {
        "id" => Some(image.id.clone()),
        "name" => image.name.clone(),
        "status" => Some(image.status.clone()),
        "visibility" => Some(image.visibility.clone()),
        "owner" => image.owner.clone(),
        "disk_format" => image.disk_format.clone(),
        "container_format" => image.container_format.clone(),
        "size" => image.size.map(|s| s.to_string()),
        "min_disk" => Some(image.min_disk.to_string()),
        "min_ram" => Some(image.min_ram.to_string()),
        "protected" => Some(image.protected.to_string()),
        property => image.properties.get(property).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

fn compare(a: &ImageRow, b: &ImageRow, key: &str) -> Ordering {
    match key {
        "size" => a.size.cmp(&b.size),
        "min_disk" => a.min_disk.cmp(&b.min_disk),
        "min_ram" => a.min_ram.cmp(&b.min_ram),
        "created_at" => a.created_at.cmp(&b.created_at),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        other => field_text(a, other).cmp(&field_text(b, other)),
    }
}

/// The page of `rows` (in insertion order) `query` asks for, as `viewer` sees them.
pub fn select_images(
    rows: Vec<ImageRow>,
    query: &ImageQuery,
    viewer: &ImageViewer,
) -> Result<Vec<ImageRow>, ImageQueryError> {
    let mut indexed: Vec<(usize, ImageRow)> = rows
        .into_iter()
        .enumerate()
        .filter(|(_, image)| viewer.sees(image))
        .filter(|(_, image)| {
            query.filters.iter().all(|(field, values)| {
                field_text(image, field).is_some_and(|value| values.contains(&value))
            })
        })
        .collect();
    let default_sort = [("created_at".to_owned(), true)];
    let sort: &[(String, bool)] = if query.sort.is_empty() {
        &default_sort
    } else {
        &query.sort
    };
    // Ties go as the last key's direction on the order of creation (Glance adds `id`).
    let last_desc = sort.last().is_some_and(|(_, desc)| *desc);
    indexed.sort_by(|(ia, a), (ib, b)| {
        sort.iter()
            .map(|(key, desc)| {
                let order = compare(a, b, key);
                if *desc {
                    order.reverse()
                } else {
                    order
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or_else(|| if last_desc { ib.cmp(ia) } else { ia.cmp(ib) })
    });
    let mut images: Vec<ImageRow> = indexed.into_iter().map(|(_, image)| image).collect();
    if let Some(marker) = &query.marker {
        let at = images
            .iter()
            .position(|image| &image.id == marker)
            .ok_or_else(|| ImageQueryError::MarkerNotFound(marker.clone()))?;
        images.drain(..=at);
    }
    if let Some(limit) = query.limit {
        images.truncate(limit);
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::{json, Map};

    use super::*;

    fn image(id: &str, owner: &str, visibility: &str, second: u32, kind: &str) -> ImageRow {
        let mut properties = Map::new();
        properties.insert("image_type".into(), json!(kind));
        ImageRow {
            id: id.into(),
            name: Some(format!("n-{id}")),
            status: "active".into(),
            visibility: visibility.into(),
            owner: Some(owner.into()),
            size: Some(1),
            disk_format: None,
            container_format: None,
            min_disk: 0,
            min_ram: 0,
            protected: false,
            properties,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, second).single(),
            updated_at: None,
        }
    }

    fn ids(images: &[ImageRow]) -> Vec<&str> {
        images.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn lists_newest_first_filtered_by_property_and_visibility_paged_by_marker() {
        let rows = vec![
            image("a", "p1", "private", 1, "backup"),
            image("b", "p2", "private", 2, "backup"),
            image("c", "p1", "private", 3, "snapshot"),
            image("d", "p1", "private", 3, "backup"),
            image("e", "admin", "public", 0, "base"),
        ];
        let viewer = ImageViewer {
            is_admin: false,
            project: "p1".into(),
        };
        let all = select_images(rows.clone(), &ImageQuery::default(), &viewer).unwrap();
        assert_eq!(ids(&all), ["d", "c", "a", "e"]);
        let backups = ImageQuery {
            filters: vec![("image_type".into(), vec!["backup".into()])],
            ..ImageQuery::default()
        };
        let page = select_images(rows.clone(), &backups, &viewer).unwrap();
        assert_eq!(ids(&page), ["d", "a"]);
        let next = ImageQuery {
            marker: Some("d".into()),
            limit: Some(1),
            ..backups.clone()
        };
        assert_eq!(
            ids(&select_images(rows.clone(), &next, &viewer).unwrap()),
            ["a"]
        );
        let by_name = ImageQuery {
            sort: vec![("name".into(), false)],
            ..ImageQuery::default()
        };
        let admin = ImageViewer {
            is_admin: true,
            project: "admin".into(),
        };
        let sorted = select_images(rows.clone(), &by_name, &admin).unwrap();
        assert_eq!(ids(&sorted), ["a", "b", "c", "d", "e"]);
        let missing = ImageQuery {
            marker: Some("b".into()),
            ..ImageQuery::default()
        };
        assert_eq!(
            select_images(rows, &missing, &viewer),
            Err(ImageQueryError::MarkerNotFound("b".into()))
        );
    }
}
