//! The `request_specs` table (Nova API database `RequestSpec`): the scheduling request of
//! an instance as a JSON blob, kept for rescheduling.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;

const COLUMNS: &str = "id, instance_uuid, spec, created_at, updated_at";

/// One row of `request_specs`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RequestSpecRow {
    /// Row id.
    pub id: i64,
    /// The instance.
    pub instance_uuid: String,
    /// The spec, JSON text (see [`RequestSpecRow::spec_json`]).
    pub spec: String,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl RequestSpecRow {
    /// The spec parsed.
    pub fn spec_json(&self) -> Result<Value, NovaDbError> {
        serde_json::from_str(&self.spec).map_err(|source| NovaDbError::CorruptJson {
            table: "request_specs",
            column: "spec",
            key: self.instance_uuid.clone(),
            source,
        })
    }
}

impl NovaDb {
    /// `RequestSpec.create`: one spec per instance (a second is a duplicate-entry error).
    pub async fn request_spec_create(
        &self,
        instance_uuid: &str,
        spec: &Value,
    ) -> Result<RequestSpecRow, NovaDbError> {
        self.db
            .insert(
                "request_specs",
                &[
                    ("instance_uuid", instance_uuid.into()),
                    ("spec", spec.to_string().into()),
                    ("created_at", utc_now().into()),
                ],
            )
            .await?;
        self.request_spec_get_by_instance_uuid(instance_uuid).await
    }

    /// `RequestSpec.get_by_instance_uuid`.
    pub async fn request_spec_get_by_instance_uuid(
        &self,
        instance_uuid: &str,
    ) -> Result<RequestSpecRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM request_specs WHERE instance_uuid = ?");
        self.db
            .fetch_optional(&sql, &[instance_uuid.into()])
            .await?
            .ok_or_else(|| NovaDbError::RequestSpecNotFound {
                uuid: instance_uuid.to_owned(),
            })
    }

    /// The specs of `instance_uuids` (those that have one), in one query: what the server
    /// views of a page show from the scheduling request (pinned zone, scheduler hints).
    pub async fn request_specs_by_instance_uuids(
        &self,
        instance_uuids: &[String],
    ) -> Result<Vec<RequestSpecRow>, NovaDbError> {
        if instance_uuids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; instance_uuids.len()].join(", ");
        let sql = format!("SELECT {COLUMNS} FROM request_specs WHERE instance_uuid IN ({marks})");
        let binds: Vec<_> = instance_uuids.iter().map(|u| u.as_str().into()).collect();
        Ok(self.db.fetch_all(&sql, &binds).await?)
    }

    /// `RequestSpec.save`: replaces the spec.
    pub async fn request_spec_save(
        &self,
        instance_uuid: &str,
        spec: &Value,
    ) -> Result<RequestSpecRow, NovaDbError> {
        let n = self
            .db
            .execute(
                "UPDATE request_specs SET spec = ?, updated_at = ? WHERE instance_uuid = ?",
                &[
                    spec.to_string().into(),
                    utc_now().into(),
                    instance_uuid.into(),
                ],
            )
            .await?;
        if n == 0 {
            return Err(NovaDbError::RequestSpecNotFound {
                uuid: instance_uuid.to_owned(),
            });
        }
        self.request_spec_get_by_instance_uuid(instance_uuid).await
    }
}
