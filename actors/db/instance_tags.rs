//! The `tags` table (Nova `tag_add`, `tag_set`, `tag_get_by_resource_id`, `tag_delete`,
//! `tag_delete_all`, `tag_exists`): the user's tags of an instance, keyed by its uuid. The
//! list views read the tags of a whole page in one query ([`NovaDb::tags_by_resource_ids`]).

use std::collections::HashMap;

use super::nova_db::NovaDb;
use super::nova_db_error::NovaDbError;
use novactor::db::SqlValue;

/// Nova's `MAX_TAG_COUNT` (`nova/objects/instance.py`): tags one server may carry.
pub const MAX_TAG_COUNT: usize = 50;

impl NovaDb {
    /// Nova `tag_get_by_resource_id`: the instance's tags, sorted.
    pub async fn tags_get(&self, resource_id: &str) -> Result<Vec<String>, NovaDbError> {
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(
                "SELECT tag FROM tags WHERE resource_id = ? ORDER BY tag",
                &[resource_id.into()],
            )
            .await?;
        Ok(rows.into_iter().map(|(tag,)| tag).collect())
    }

    /// The tags of every instance in `resource_ids`, in one query (a list page's).
    pub async fn tags_by_resource_ids(
        &self,
        resource_ids: &[String],
    ) -> Result<HashMap<String, Vec<String>>, NovaDbError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        if resource_ids.is_empty() {
            return Ok(out);
        }
        let marks = vec!["?"; resource_ids.len()].join(", ");
        let params: Vec<SqlValue> = resource_ids.iter().map(SqlValue::from).collect();
        let sql = format!(
            "SELECT resource_id, tag FROM tags WHERE resource_id IN ({marks}) \
             ORDER BY resource_id, tag"
        );
        let rows: Vec<(String, String)> = self.db.fetch_all(&sql, &params).await?;
        for (resource_id, tag) in rows {
            out.entry(resource_id).or_default().push(tag);
        }
        Ok(out)
    }

    /// Nova `tag_exists`.
    pub async fn tag_exists(&self, resource_id: &str, tag: &str) -> Result<bool, NovaDbError> {
        let row: Option<(String,)> = self
            .db
            .fetch_optional(
                "SELECT tag FROM tags WHERE resource_id = ? AND tag = ?",
                &[resource_id.into(), tag.into()],
            )
            .await?;
        Ok(row.is_some())
    }

    /// Nova `tag_add`: idempotent (a tag already there, even one a concurrent request just
    /// added, is success).
    pub async fn tag_add(&self, resource_id: &str, tag: &str) -> Result<(), NovaDbError> {
        if self.tag_exists(resource_id, tag).await? {
            return Ok(());
        }
        let inserted = self
            .db
            .execute(
                "INSERT INTO tags (resource_id, tag) VALUES (?, ?)",
                &[resource_id.into(), tag.into()],
            )
            .await;
        match inserted {
            Ok(_) => Ok(()),
            // The primary key refused a duplicate added since the check above.
            Err(_) if self.tag_exists(resource_id, tag).await? => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Nova `tag_set`: the instance's tags become exactly `tags` (duplicates collapse);
    /// returns them sorted.
    pub async fn tag_set(
        &self,
        resource_id: &str,
        tags: &[String],
    ) -> Result<Vec<String>, NovaDbError> {
        self.tag_delete_all(resource_id).await?;
        for tag in tags {
            self.tag_add(resource_id, tag).await?;
        }
        self.tags_get(resource_id).await
    }

    /// Nova `tag_delete`: false when the instance has no such tag.
    pub async fn tag_delete(&self, resource_id: &str, tag: &str) -> Result<bool, NovaDbError> {
        let n = self
            .db
            .execute(
                "DELETE FROM tags WHERE resource_id = ? AND tag = ?",
                &[resource_id.into(), tag.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Nova `tag_delete_all` (also what `instance_destroy` does to a deleted instance's tags).
    pub async fn tag_delete_all(&self, resource_id: &str) -> Result<(), NovaDbError> {
        self.db
            .execute(
                "DELETE FROM tags WHERE resource_id = ?",
                &[resource_id.into()],
            )
            .await?;
        Ok(())
    }
}
