//! The `migrations` table (Nova `migration_create`, `migration_get`,
//! `migration_get_by_uuid`, `migration_get_by_instance_and_status`, `migration_update`,
//! `migration_get_all_by_filters`): one row per resize or cold migration of an instance,
//! its hosts, nodes, flavors and status, as `nova/objects/migration.py` keeps it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use novactor::db::SqlValue;

const COLUMNS: &str = "id, created_at, updated_at, deleted_at, deleted, source_compute, \
     dest_compute, source_node, dest_node, dest_compute_id, dest_host, old_instance_type_id, \
     new_instance_type_id, instance_uuid, uuid, status, migration_type, hidden, memory_total, \
     memory_processed, memory_remaining, disk_total, disk_processed, disk_remaining, \
     cross_cell_move, user_id, project_id";

/// Nova's `migration_type` enum (`nova/objects/fields.py` MigrationType).
pub const MIGRATION_TYPES: &[&str] = &["migration", "resize", "live-migration", "evacuation"];

/// One row of `migrations`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py Migration.
pub struct MigrationRow {
    pub id: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
    pub source_compute: Option<String>,
    pub dest_compute: Option<String>,
    pub source_node: Option<String>,
    pub dest_node: Option<String>,
    pub dest_compute_id: Option<i64>,
    pub dest_host: Option<String>,
    pub old_instance_type_id: Option<i64>,
    pub new_instance_type_id: Option<i64>,
    pub instance_uuid: Option<String>,
    pub uuid: Option<String>,
    /// `pre-migrating`, `migrating`, `post-migrating`, `finished`, `confirmed`,
    /// `reverting`, `reverted`, `error`, …
    pub status: Option<String>,
    /// One of [`MIGRATION_TYPES`].
    pub migration_type: Option<String>,
    pub hidden: bool,
    pub memory_total: Option<i64>,
    pub memory_processed: Option<i64>,
    pub memory_remaining: Option<i64>,
    pub disk_total: Option<i64>,
    pub disk_processed: Option<i64>,
    pub disk_remaining: Option<i64>,
    pub cross_cell_move: bool,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
}

/// What a new migration record holds (the API's `Migration.create`).
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)] // the columns of the same names
pub struct NewMigration {
    pub instance_uuid: String,
    pub migration_type: String,
    pub status: String,
    pub source_compute: Option<String>,
    pub source_node: Option<String>,
    pub dest_compute: Option<String>,
    pub dest_node: Option<String>,
    pub old_instance_type_id: Option<i64>,
    pub new_instance_type_id: Option<i64>,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
}

/// Changes to a migration record (`Migration.save`); `None` keeps the column.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)] // the columns of the same names
pub struct MigrationChanges {
    pub status: Option<String>,
    pub dest_compute: Option<String>,
    pub dest_node: Option<String>,
    pub dest_compute_id: Option<i64>,
    pub dest_host: Option<String>,
    pub source_compute: Option<String>,
    pub source_node: Option<String>,
    pub new_instance_type_id: Option<i64>,
    pub memory_total: Option<i64>,
    pub memory_processed: Option<i64>,
    pub memory_remaining: Option<i64>,
    pub disk_total: Option<i64>,
    pub disk_processed: Option<i64>,
    pub disk_remaining: Option<i64>,
}

/// Statuses in which a migration is over (Nova `migration_get_in_progress_by_host_and_node`
/// and `..._by_instance` leave these out).
pub const MIGRATION_DONE_STATUSES: &[&str] = &[
    "confirmed",
    "reverted",
    "error",
    "failed",
    "completed",
    "cancelled",
    "done",
];

/// The filters of `GET /os-migrations` (Nova `migration_get_all_by_filters`).
#[derive(Debug, Clone, Default)]
pub struct MigrationFilters {
    /// Source or destination compute.
    pub host: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Any of these statuses (Nova's compute passes a list, as `_destroy_evacuated_instances`).
    pub status_in: Option<Vec<String>>,
    /// Exact migration type.
    pub migration_type: Option<String>,
    /// The instance.
    pub instance_uuid: Option<String>,
    /// Source compute (ignored when `host` is given, as in Nova).
    pub source_compute: Option<String>,
    /// Source or destination node.
    pub node: Option<String>,
    /// The record's own uuid.
    pub uuid: Option<String>,
    /// Hidden (`true`) or shown (`false`) records only.
    pub hidden: Option<bool>,
    /// Owner user (2.80).
    pub user_id: Option<String>,
    /// Owner project (2.80).
    pub project_id: Option<String>,
    /// Updated at or after (2.59).
    pub changes_since: Option<DateTime<Utc>>,
    /// Updated at or before (2.66).
    pub changes_before: Option<DateTime<Utc>>,
    /// Only those after this row in the order (2.59 paging).
    pub marker: Option<MigrationRow>,
    /// At most this many.
    pub limit: Option<u64>,
}

impl NovaDb {
    /// Nova `migration_create`: a new record with a fresh uuid.
    pub async fn migration_create(&self, new: &NewMigration) -> Result<MigrationRow, NovaDbError> {
        if !MIGRATION_TYPES.contains(&new.migration_type.as_str()) {
            return Err(NovaDbError::InvalidValue {
                table: "migrations",
                column: "migration_type".to_owned(),
                expected: "migration, resize, live-migration or evacuation",
                got: new.migration_type.clone(),
            });
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = self
            .db
            .insert(
                "migrations",
                &[
                    ("uuid", uuid.as_str().into()),
                    ("instance_uuid", new.instance_uuid.as_str().into()),
                    ("migration_type", new.migration_type.as_str().into()),
                    ("status", new.status.as_str().into()),
                    ("source_compute", new.source_compute.as_deref().into()),
                    ("source_node", new.source_node.as_deref().into()),
                    ("dest_compute", new.dest_compute.as_deref().into()),
                    ("dest_node", new.dest_node.as_deref().into()),
                    ("old_instance_type_id", new.old_instance_type_id.into()),
                    ("new_instance_type_id", new.new_instance_type_id.into()),
                    ("user_id", new.user_id.as_deref().into()),
                    ("project_id", new.project_id.as_deref().into()),
                    ("hidden", false.into()),
                    ("cross_cell_move", false.into()),
                    ("created_at", utc_now().into()),
                    ("deleted", 0i64.into()),
                ],
            )
            .await?;
        self.migration_get(id).await
    }

    /// Nova `migration_get`: a live record by id.
    pub async fn migration_get(&self, id: i64) -> Result<MigrationRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM migrations WHERE id = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or_else(|| NovaDbError::MigrationNotFound {
                migration_id: id.to_string(),
            })
    }

    /// Nova `migration_get_by_uuid`.
    pub async fn migration_get_by_uuid(&self, uuid: &str) -> Result<MigrationRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM migrations WHERE uuid = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[uuid.into()])
            .await?
            .ok_or_else(|| NovaDbError::MigrationNotFound {
                migration_id: uuid.to_owned(),
            })
    }

    /// Nova `migration_get_by_instance_and_status`: the newest record of the instance in
    /// `status` (`MigrationNotFoundByStatus` otherwise).
    pub async fn migration_get_by_instance_and_status(
        &self,
        instance_uuid: &str,
        status: &str,
    ) -> Result<MigrationRow, NovaDbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM migrations WHERE instance_uuid = ? AND status = ? \
             AND deleted = 0 ORDER BY created_at DESC, id DESC"
        );
        self.db
            .fetch_optional(&sql, &[instance_uuid.into(), status.into()])
            .await?
            .ok_or_else(|| NovaDbError::MigrationNotFoundByStatus {
                instance_id: instance_uuid.to_owned(),
                status: status.to_owned(),
            })
    }

    /// Nova `migration_update`: sets the given columns and `updated_at`; returns the row.
    pub async fn migration_update(
        &self,
        id: i64,
        changes: &MigrationChanges,
    ) -> Result<MigrationRow, NovaDbError> {
        let mut set = vec!["updated_at = ?".to_owned()];
        let mut params: Vec<SqlValue> = vec![utc_now().into()];
        let text = [
            ("status", &changes.status),
            ("dest_compute", &changes.dest_compute),
            ("dest_node", &changes.dest_node),
            ("dest_host", &changes.dest_host),
            ("source_compute", &changes.source_compute),
            ("source_node", &changes.source_node),
        ];
        for (column, value) in text {
            if let Some(value) = value {
                set.push(format!("{column} = ?"));
                params.push(value.as_str().into());
            }
        }
        let numbers = [
            ("dest_compute_id", changes.dest_compute_id),
            ("new_instance_type_id", changes.new_instance_type_id),
            ("memory_total", changes.memory_total),
            ("memory_processed", changes.memory_processed),
            ("memory_remaining", changes.memory_remaining),
            ("disk_total", changes.disk_total),
            ("disk_processed", changes.disk_processed),
            ("disk_remaining", changes.disk_remaining),
        ];
        for (column, value) in numbers {
            if let Some(value) = value {
                set.push(format!("{column} = ?"));
                params.push(value.into());
            }
        }
        params.push(id.into());
        let sql = format!(
            "UPDATE migrations SET {} WHERE id = ? AND deleted = 0",
            set.join(", ")
        );
        if self.db.execute(&sql, &params).await? == 0 {
            return Err(NovaDbError::MigrationNotFound {
                migration_id: id.to_string(),
            });
        }
        self.migration_get(id).await
    }

    /// Nova `migration_get_all_by_filters` with `sort_keys=[created_at, id]`,
    /// `sort_dirs=[desc, desc]`: the records the filters select, newest first.
    pub async fn migration_get_all_by_filters(
        &self,
        filters: &MigrationFilters,
    ) -> Result<Vec<MigrationRow>, NovaDbError> {
        let mut conditions = vec!["deleted = 0".to_owned()];
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(host) = &filters.host {
            conditions.push("(source_compute = ? OR dest_compute = ?)".to_owned());
            params.push(host.as_str().into());
            params.push(host.as_str().into());
        } else if let Some(source) = &filters.source_compute {
            conditions.push("source_compute = ?".to_owned());
            params.push(source.as_str().into());
        }
        if let Some(node) = &filters.node {
            conditions.push("(source_node = ? OR dest_node = ?)".to_owned());
            params.push(node.as_str().into());
            params.push(node.as_str().into());
        }
        if let Some(hidden) = filters.hidden {
            conditions.push("hidden = ?".to_owned());
            params.push(hidden.into());
        }
        let exact = [
            ("status", &filters.status),
            ("migration_type", &filters.migration_type),
            ("instance_uuid", &filters.instance_uuid),
            ("uuid", &filters.uuid),
            ("user_id", &filters.user_id),
            ("project_id", &filters.project_id),
        ];
        for (column, value) in exact {
            if let Some(value) = value {
                conditions.push(format!("{column} = ?"));
                params.push(value.as_str().into());
            }
        }
        if let Some(statuses) = &filters.status_in {
            if statuses.is_empty() {
                return Ok(Vec::new());
            }
            let placeholders = vec!["?"; statuses.len()].join(", ");
            conditions.push(format!("status IN ({placeholders})"));
            params.extend(statuses.iter().map(|status| status.as_str().into()));
        }
        if let Some(since) = filters.changes_since {
            conditions.push("updated_at >= ?".to_owned());
            params.push(since.into());
        }
        if let Some(before) = filters.changes_before {
            conditions.push("updated_at <= ?".to_owned());
            params.push(before.into());
        }
        if let Some(marker) = &filters.marker {
            // After the marker in (created_at DESC, id DESC) order.
            conditions.push("(created_at < ? OR (created_at = ? AND id < ?))".to_owned());
            params.push(marker.created_at.into());
            params.push(marker.created_at.into());
            params.push(marker.id.into());
        }
        if filters.limit == Some(0) {
            return Ok(Vec::new());
        }
        let limit = filters
            .limit
            .map(|limit| format!(" LIMIT {limit}"))
            .unwrap_or_default();
        let sql = format!(
            "SELECT {COLUMNS} FROM migrations WHERE {} ORDER BY created_at DESC, id DESC{limit}",
            conditions.join(" AND ")
        );
        Ok(self.db.fetch_all(&sql, &params).await?)
    }

    /// Nova `migration_get_in_progress_by_host_and_node` (`node` given) and
    /// `migration_get_in_progress_by_instance` (`instance_uuid` given): the records not in
    /// one of [`MIGRATION_DONE_STATUSES`], oldest first.
    pub async fn migration_get_in_progress(
        &self,
        host_and_node: Option<(&str, &str)>,
        instance_uuid: Option<&str>,
        migration_type: Option<&str>,
    ) -> Result<Vec<MigrationRow>, NovaDbError> {
        let placeholders = vec!["?"; MIGRATION_DONE_STATUSES.len()].join(", ");
        let mut conditions = vec![
            "deleted = 0".to_owned(),
            format!("status NOT IN ({placeholders})"),
        ];
        let mut params: Vec<SqlValue> = MIGRATION_DONE_STATUSES
            .iter()
            .map(|status| (*status).into())
            .collect();
        if let Some((host, node)) = host_and_node {
            conditions.push(
                "((source_compute = ? AND source_node = ?) OR (dest_compute = ? AND dest_node = ?))"
                    .to_owned(),
            );
            for value in [host, node, host, node] {
                params.push(value.into());
            }
        }
        if let Some(uuid) = instance_uuid {
            conditions.push("instance_uuid = ?".to_owned());
            params.push(uuid.into());
        }
        if let Some(kind) = migration_type {
            conditions.push("migration_type = ?".to_owned());
            params.push(kind.into());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM migrations WHERE {} ORDER BY created_at, id",
            conditions.join(" AND ")
        );
        Ok(self.db.fetch_all(&sql, &params).await?)
    }
}
