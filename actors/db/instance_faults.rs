//! The `instance_faults` table (Nova `instance_fault_create`,
//! `instance_fault_get_by_instance_uuids`): what went wrong with an instance, newest first.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;

pub(super) const COLUMNS: &str =
    "id, instance_uuid, code, message, details, host, created_at, updated_at, deleted_at, deleted";

/// One row of `instance_faults`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py InstanceFault.
pub struct InstanceFaultRow {
    pub id: i64,
    pub instance_uuid: String,
    /// HTTP-like code (500 for unexpected errors, as Nova's `fault_code`).
    pub code: i64,
    pub message: Option<String>,
    pub details: Option<String>,
    pub host: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
}

/// Nova's column width for `message` (longer messages are cut, as Nova's model does).
const MESSAGE_MAX: usize = 255;

impl NovaDb {
    /// Nova `instance_fault_create`. The instance must exist (foreign key).
    pub async fn instance_fault_create(
        &self,
        instance_uuid: &str,
        code: i64,
        message: &str,
        details: Option<&str>,
        host: Option<&str>,
    ) -> Result<InstanceFaultRow, NovaDbError> {
        let message: String = message.chars().take(MESSAGE_MAX).collect();
        let id = self
            .db
            .insert(
                "instance_faults",
                &[
                    ("instance_uuid", instance_uuid.into()),
                    ("code", code.into()),
                    ("message", message.into()),
                    ("details", details.into()),
                    ("host", host.into()),
                    ("created_at", utc_now().into()),
                    ("deleted", 0i64.into()),
                ],
            )
            .await?;
        let sql = format!("SELECT {COLUMNS} FROM instance_faults WHERE id = ?");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceNotFound {
                uuid: instance_uuid.to_owned(),
            })
    }

    /// Nova `instance_fault_get_by_instance_uuids` for one instance: newest first.
    pub async fn instance_fault_get_by_instance_uuid(
        &self,
        instance_uuid: &str,
    ) -> Result<Vec<InstanceFaultRow>, NovaDbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM instance_faults WHERE instance_uuid = ? AND deleted = 0 \
             ORDER BY created_at DESC, id DESC"
        );
        Ok(self.db.fetch_all(&sql, &[instance_uuid.into()]).await?)
    }
}
