//! The `services` table (Nova `nova/db/main/api.py` `service_*`, spec §3.1–3.2), Nova's
//! liveness rule and the `SERVICE_VERSION` written into service rows.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use novactor::db::{DbError, SqlValue};

/// Nova 34's `SERVICE_VERSION` (`nova/objects/service.py`), written into service rows: 74,
/// compute RPC 6.5. A real Nova 34 control plane accepts 72–74; at 74 its API sends the
/// moving and external-event methods to the `compute-alt` topic, and its scheduler asks
/// placement only for providers with the `OWNER_NOVA` trait.
pub const SERVICE_VERSION: i64 = 74;

pub(super) const COLUMNS: &str = "id, uuid, host, \"binary\", topic, report_count, disabled, \
     disabled_reason, last_seen_up, forced_down, version, created_at, updated_at, deleted_at, deleted";

/// One row of `services`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ServiceRow {
    /// Integer id (the API's id before 2.53).
    pub id: i64,
    /// Uuid (the API's id from 2.53).
    pub uuid: String,
    /// Host.
    pub host: String,
    /// Binary, e.g. `nova-compute`.
    pub binary: String,
    /// RPC topic; `None` for the API.
    pub topic: Option<String>,
    /// Heartbeats so far.
    pub report_count: i64,
    /// Operator disabled the service (no new instances scheduled to it).
    pub disabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Last heartbeat.
    pub last_seen_up: Option<DateTime<Utc>>,
    /// Operator says down regardless of heartbeats.
    pub forced_down: bool,
    /// Service version (Nova `SERVICE_VERSION`).
    pub version: i64,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// Soft-deleted at.
    pub deleted_at: Option<DateTime<Utc>>,
    /// 0, or the id once soft-deleted.
    pub deleted: i64,
}

/// Which service a call means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKey<'a> {
    /// By integer id.
    Id(i64),
    /// By (host, binary), as `openstack compute service set HOST BINARY` does.
    HostBinary {
        /// Host.
        host: &'a str,
        /// Binary.
        binary: &'a str,
    },
}

/// What `service_set` changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceChanges {
    /// Enable (`false`) or disable (`true`).
    pub disabled: Option<bool>,
    /// Set (`Some(Some(..))`) or clear (`Some(None)`) the reason.
    pub disabled_reason: Option<Option<String>>,
    /// Force down or clear it.
    pub forced_down: Option<bool>,
}

/// Nova's `service_is_up` (`nova/servicegroup/drivers/db.py`): never when forced down;
/// otherwise the last heartbeat (or the creation time, before any) lies within
/// `service_down_time` of `now`, either side (Nova takes the absolute difference).
pub fn service_is_up(
    service: &ServiceRow,
    service_down_time: Duration,
    now: DateTime<Utc>,
) -> bool {
    if service.forced_down {
        return false;
    }
    let Some(last) = service.last_seen_up.or(service.created_at) else {
        return false;
    };
    let window = chrono::Duration::from_std(service_down_time).unwrap_or(chrono::Duration::MAX);
    (now - last).abs() <= window
}

impl NovaDb {
    /// Nova `service_get`: a live service by id.
    pub async fn service_get(&self, id: i64) -> Result<ServiceRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM services WHERE id = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or_else(|| NovaDbError::ServiceNotFound { id: id.to_string() })
    }

    /// Nova `service_get_by_host_and_binary`; `None` if there is no live one.
    pub async fn service_get_by_host_and_binary(
        &self,
        host: &str,
        binary: &str,
    ) -> Result<Option<ServiceRow>, NovaDbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM services WHERE host = ? AND \"binary\" = ? AND deleted = 0"
        );
        Ok(self
            .db
            .fetch_optional(&sql, &[host.into(), binary.into()])
            .await?)
    }

    /// Nova `service_create`: a new row with a fresh uuid and `report_count` 0.
    /// [`NovaDbError::ServiceBinaryExists`] if (host, binary) already has a live row.
    pub async fn service_create(
        &self,
        host: &str,
        binary: &str,
        topic: Option<&str>,
        version: i64,
    ) -> Result<ServiceRow, NovaDbError> {
        let now = utc_now();
        let inserted = self
            .db
            .insert(
                "services",
                &[
                    ("uuid", uuid::Uuid::new_v4().to_string().into()),
                    ("host", host.into()),
                    ("binary", binary.into()),
                    ("topic", topic.into()),
                    ("report_count", 0i64.into()),
                    ("disabled", false.into()),
                    ("forced_down", false.into()),
                    ("version", version.into()),
                    ("created_at", now.into()),
                    ("deleted", 0i64.into()),
                ],
            )
            .await;
        match inserted {
            Ok(id) => self.service_get(id).await,
            Err(DbError::Duplicate { .. }) => Err(NovaDbError::ServiceBinaryExists {
                host: host.to_owned(),
                binary: binary.to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Nova's start rule (`nova/service.py` `Service.start`): create the row if missing,
    /// else bump its `version` when it differs. Two processes starting the same service at
    /// once both end up with the one row.
    pub async fn service_create_or_update(
        &self,
        host: &str,
        binary: &str,
        topic: Option<&str>,
        version: i64,
    ) -> Result<ServiceRow, NovaDbError> {
        let existing = match self.service_get_by_host_and_binary(host, binary).await? {
            Some(row) => row,
            None => match self.service_create(host, binary, topic, version).await {
                Err(NovaDbError::ServiceBinaryExists { .. }) => self
                    .service_get_by_host_and_binary(host, binary)
                    .await?
                    .ok_or_else(|| NovaDbError::HostBinaryNotFound {
                        host: host.to_owned(),
                        binary: binary.to_owned(),
                    })?,
                created => return created,
            },
        };
        if existing.version == version {
            return Ok(existing);
        }
        self.db
            .execute(
                "UPDATE services SET version = ?, updated_at = ? WHERE id = ? AND deleted = 0",
                &[version.into(), utc_now().into(), existing.id.into()],
            )
            .await?;
        self.service_get(existing.id).await
    }

    /// One heartbeat of service `id`, in one UPDATE: `report_count + 1`,
    /// `last_seen_up = updated_at = now` (Nova sets `last_seen_up` whenever the count grows).
    pub async fn service_report(&self, id: i64) -> Result<(), NovaDbError> {
        let now = utc_now();
        let n = self
            .db
            .execute(
                "UPDATE services SET report_count = report_count + 1, last_seen_up = ?, \
                 updated_at = ? WHERE id = ? AND deleted = 0",
                &[now.into(), now.into(), id.into()],
            )
            .await?;
        if n == 0 {
            return Err(NovaDbError::ServiceNotFound { id: id.to_string() });
        }
        Ok(())
    }

    /// Nova `service_update` of what a `Service` object's `save()` changed besides the
    /// operator's fields: `report_count` written as given (and `last_seen_up = now` when it
    /// grows: Nova's rule) and/or `version` (a restarted service of a newer release).
    pub async fn service_update_counters(
        &self,
        id: i64,
        report_count: Option<i64>,
        version: Option<i64>,
    ) -> Result<(), NovaDbError> {
        let now = utc_now();
        // last_seen_up first: MySQL assigns left to right, so it still sees the old count.
        let mut set = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(count) = report_count {
            set.push(
                "last_seen_up = CASE WHEN ? > report_count THEN ? ELSE last_seen_up END, \
                 report_count = ?",
            );
            params.extend([count.into(), now.into(), count.into()]);
        }
        if let Some(version) = version {
            set.push("version = ?");
            params.push(version.into());
        }
        set.push("updated_at = ?");
        params.push(now.into());
        params.push(id.into());
        let sql = format!(
            "UPDATE services SET {} WHERE id = ? AND deleted = 0",
            set.join(", ")
        );
        if self.db.execute(&sql, &params).await? == 0 {
            return Err(NovaDbError::ServiceNotFound { id: id.to_string() });
        }
        Ok(())
    }

    /// One heartbeat of the live (host, binary) service; as [`NovaDb::service_report`].
    pub async fn service_report_by_host_and_binary(
        &self,
        host: &str,
        binary: &str,
    ) -> Result<(), NovaDbError> {
        let now = utc_now();
        let n = self
            .db
            .execute(
                "UPDATE services SET report_count = report_count + 1, last_seen_up = ?, \
                 updated_at = ? WHERE host = ? AND \"binary\" = ? AND deleted = 0",
                &[now.into(), now.into(), host.into(), binary.into()],
            )
            .await?;
        if n == 0 {
            return Err(NovaDbError::HostBinaryNotFound {
                host: host.to_owned(),
                binary: binary.to_owned(),
            });
        }
        Ok(())
    }

    /// Services of `binary` created, updated or deleted at or after `since`, soft-deleted
    /// ones included: the scheduler's incremental refresh.
    pub async fn service_get_all_changed_since(
        &self,
        binary: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ServiceRow>, NovaDbError> {
        Ok(self
            .db
            .fetch_all(
                "SELECT * FROM services WHERE \"binary\" = ? AND (updated_at >= ? OR created_at >= ? OR deleted_at >= ?)",
                &[binary.into(), since.into(), since.into(), since.into()],
            )
            .await?)
    }

    /// Live services, optionally only those of `host` and/or `binary`, by id.
    pub async fn service_list(
        &self,
        host: Option<&str>,
        binary: Option<&str>,
    ) -> Result<Vec<ServiceRow>, NovaDbError> {
        let mut sql = format!("SELECT {COLUMNS} FROM services WHERE deleted = 0");
        let mut params = Vec::new();
        if let Some(host) = host {
            sql.push_str(" AND host = ?");
            params.push(host.into());
        }
        if let Some(binary) = binary {
            sql.push_str(" AND \"binary\" = ?");
            params.push(binary.into());
        }
        sql.push_str(" ORDER BY id");
        Ok(self.db.fetch_all(&sql, &params).await?)
    }

    /// Nova `service_update` for the operator's fields (`compute service set`): disable or
    /// enable, reason, forced_down. Bumps `updated_at` but never `last_seen_up`, so
    /// disabling a dead service does not make it look alive (Nova bug #1420848).
    pub async fn service_set(
        &self,
        key: ServiceKey<'_>,
        changes: &ServiceChanges,
    ) -> Result<ServiceRow, NovaDbError> {
        let mut set = vec!["updated_at = ?"];
        let mut params: Vec<SqlValue> = vec![utc_now().into()];
        if let Some(disabled) = changes.disabled {
            set.push("disabled = ?");
            params.push(disabled.into());
        }
        if let Some(reason) = &changes.disabled_reason {
            set.push("disabled_reason = ?");
            params.push(reason.as_deref().into());
        }
        if let Some(forced_down) = changes.forced_down {
            set.push("forced_down = ?");
            params.push(forced_down.into());
        }
        let (filter, not_found) = match key {
            ServiceKey::Id(id) => {
                params.push(id.into());
                (
                    "id = ?",
                    NovaDbError::ServiceNotFound { id: id.to_string() },
                )
            }
            ServiceKey::HostBinary { host, binary } => {
                params.push(host.into());
                params.push(binary.into());
                (
                    "host = ? AND \"binary\" = ?",
                    NovaDbError::HostBinaryNotFound {
                        host: host.to_owned(),
                        binary: binary.to_owned(),
                    },
                )
            }
        };
        let sql = format!(
            "UPDATE services SET {} WHERE {filter} AND deleted = 0",
            set.join(", ")
        );
        if self.db.execute(&sql, &params).await? == 0 {
            return Err(not_found);
        }
        match key {
            ServiceKey::Id(id) => self.service_get(id).await,
            ServiceKey::HostBinary { host, binary } => self
                .service_get_by_host_and_binary(host, binary)
                .await?
                .ok_or(not_found),
        }
    }

    /// Nova `service_destroy`: soft delete (`deleted = id`), so the (host, binary) can
    /// register again.
    pub async fn service_destroy(&self, id: i64) -> Result<(), NovaDbError> {
        if !self.soft_delete("services", "id", id.into()).await? {
            return Err(NovaDbError::ServiceNotFound { id: id.to_string() });
        }
        Ok(())
    }
}
