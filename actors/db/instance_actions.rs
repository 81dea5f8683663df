//! `instance_actions` + `instance_actions_events` (Nova `action_start`, `action_event_start`,
//! `action_event_finish`, `actions_get`, `action_events_get`): the per-request history
//! `openstack server event list` shows.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;

const ACTION_COLUMNS: &str = "id, action, instance_uuid, request_id, user_id, project_id, \
     start_time, finish_time, message, created_at, updated_at, deleted_at, deleted";

const EVENT_COLUMNS: &str = "id, event, action_id, start_time, finish_time, result, traceback, \
     host, details, created_at, updated_at, deleted_at, deleted";

/// One row of `instance_actions`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py InstanceAction.
pub struct InstanceActionRow {
    pub id: i64,
    /// e.g. `create`, `delete`, `stop`.
    pub action: Option<String>,
    pub instance_uuid: Option<String>,
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub project_id: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub finish_time: Option<DateTime<Utc>>,
    /// `Error` once an event failed (Nova).
    pub message: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
}

/// One row of `instance_actions_events`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py InstanceActionEvent.
pub struct InstanceActionEventRow {
    pub id: i64,
    /// e.g. `compute_build_and_run_instance`.
    pub event: Option<String>,
    pub action_id: Option<i64>,
    pub start_time: Option<DateTime<Utc>>,
    pub finish_time: Option<DateTime<Utc>>,
    /// `Success` or `Error`.
    pub result: Option<String>,
    pub traceback: Option<String>,
    pub host: Option<String>,
    pub details: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
}

/// Which page of an instance's actions [`NovaDb::actions_page`] reads.
#[derive(Debug, Clone, Default)]
pub struct ActionsPage {
    /// At most this many (none: all).
    pub limit: Option<u64>,
    /// Only those after this action (the `marker` request id's row).
    pub marker: Option<InstanceActionRow>,
    /// `changes-since`: updated at or after.
    pub changes_since: Option<DateTime<Utc>>,
    /// `changes-before`: updated at or before.
    pub changes_before: Option<DateTime<Utc>>,
}

impl NovaDb {
    /// Nova `action_start`: one action of one request on one instance.
    pub async fn action_start(
        &self,
        instance_uuid: &str,
        action: &str,
        request_id: &str,
        user_id: Option<&str>,
        project_id: Option<&str>,
    ) -> Result<InstanceActionRow, NovaDbError> {
        let now = utc_now();
        let id = self
            .db
            .insert(
                "instance_actions",
                &[
                    ("action", action.into()),
                    ("instance_uuid", instance_uuid.into()),
                    ("request_id", request_id.into()),
                    ("user_id", user_id.into()),
                    ("project_id", project_id.into()),
                    ("start_time", now.into()),
                    ("created_at", now.into()),
                    ("deleted", 0i64.into()),
                ],
            )
            .await?;
        let sql = format!("SELECT {ACTION_COLUMNS} FROM instance_actions WHERE id = ?");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceActionNotFound {
                request_id: request_id.to_owned(),
                uuid: instance_uuid.to_owned(),
            })
    }

    /// Nova `action_get_by_request_id`: the newest action of `request_id` on the instance.
    pub async fn action_get_by_request_id(
        &self,
        instance_uuid: &str,
        request_id: &str,
    ) -> Result<InstanceActionRow, NovaDbError> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM instance_actions \
             WHERE instance_uuid = ? AND request_id = ? AND deleted = 0 \
             ORDER BY created_at DESC, id DESC"
        );
        self.db
            .fetch_optional(&sql, &[instance_uuid.into(), request_id.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceActionNotFound {
                request_id: request_id.to_owned(),
                uuid: instance_uuid.to_owned(),
            })
    }

    /// Nova `actions_get`: the instance's actions, newest first.
    pub async fn actions_get(
        &self,
        instance_uuid: &str,
    ) -> Result<Vec<InstanceActionRow>, NovaDbError> {
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM instance_actions WHERE instance_uuid = ? AND deleted = 0 \
             ORDER BY created_at DESC, id DESC"
        );
        Ok(self.db.fetch_all(&sql, &[instance_uuid.into()]).await?)
    }

    /// Nova `action_event_start`: an event under the action of `request_id`.
    pub async fn action_event_start(
        &self,
        instance_uuid: &str,
        request_id: &str,
        event: &str,
        host: Option<&str>,
    ) -> Result<InstanceActionEventRow, NovaDbError> {
        let action = self
            .action_get_by_request_id(instance_uuid, request_id)
            .await?;
        let now = utc_now();
        let id = self
            .db
            .insert(
                "instance_actions_events",
                &[
                    ("event", event.into()),
                    ("action_id", action.id.into()),
                    ("start_time", now.into()),
                    ("host", host.into()),
                    ("created_at", now.into()),
                    ("deleted", 0i64.into()),
                ],
            )
            .await?;
        self.action_touch(action.id, now).await?;
        self.action_event_get(id, event, action.id).await
    }

    /// Nova `action_event_finish`: the event's result (`Success`/`Error`), finish time,
    /// traceback and details (the failure's message); an `Error` also marks the action's
    /// message `Error`, as Nova does.
    pub async fn action_event_finish(
        &self,
        instance_uuid: &str,
        request_id: &str,
        event: &str,
        result: &str,
        traceback: Option<&str>,
        details: Option<&str>,
    ) -> Result<InstanceActionEventRow, NovaDbError> {
        let action = self
            .action_get_by_request_id(instance_uuid, request_id)
            .await?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM instance_actions_events \
             WHERE action_id = ? AND event = ? AND deleted = 0 ORDER BY id DESC"
        );
        let row: InstanceActionEventRow = self
            .db
            .fetch_optional(&sql, &[action.id.into(), event.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceActionEventNotFound {
                event: event.to_owned(),
                action_id: action.id,
            })?;
        let now = utc_now();
        self.db
            .execute(
                "UPDATE instance_actions_events SET finish_time = ?, result = ?, traceback = ?, \
                 details = ?, updated_at = ? WHERE id = ?",
                &[
                    now.into(),
                    result.into(),
                    traceback.into(),
                    details.into(),
                    now.into(),
                    row.id.into(),
                ],
            )
            .await?;
        if result.eq_ignore_ascii_case("error") {
            self.db
                .execute(
                    "UPDATE instance_actions SET message = ? WHERE id = ?",
                    &["Error".into(), action.id.into()],
                )
                .await?;
        }
        self.action_touch(action.id, now).await?;
        self.action_event_get(row.id, event, action.id).await
    }

    /// Nova `action_events_get`: the action's events, newest first.
    pub async fn action_events_get(
        &self,
        action_id: i64,
    ) -> Result<Vec<InstanceActionEventRow>, NovaDbError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM instance_actions_events WHERE action_id = ? \
             AND deleted = 0 ORDER BY created_at DESC, id DESC"
        );
        Ok(self.db.fetch_all(&sql, &[action_id.into()]).await?)
    }

    /// Nova's `action.update({'updated_at': …})` of an event's start and finish: what
    /// 2.58's `updated_at` and `changes-since` read.
    async fn action_touch(&self, action_id: i64, now: DateTime<Utc>) -> Result<(), NovaDbError> {
        self.db
            .execute(
                "UPDATE instance_actions SET updated_at = ? WHERE id = ?",
                &[now.into(), action_id.into()],
            )
            .await?;
        Ok(())
    }

    /// Nova `actions_get` with 2.58's paging and filters: the instance's actions newest
    /// first (`created_at`, `id` descending), those after `marker` in that order, updated
    /// at or after `changes_since` and at or before `changes_before`, at most `limit`.
    pub async fn actions_page(
        &self,
        instance_uuid: &str,
        page: &ActionsPage,
    ) -> Result<Vec<InstanceActionRow>, NovaDbError> {
        if page.limit == Some(0) {
            return Ok(Vec::new());
        }
        let mut sql = format!(
            "SELECT {ACTION_COLUMNS} FROM instance_actions WHERE instance_uuid = ? AND deleted = 0"
        );
        let mut params: Vec<novactor::db::SqlValue> = vec![instance_uuid.into()];
        if let Some(since) = page.changes_since {
            sql.push_str(" AND updated_at >= ?");
            params.push(since.into());
        }
        if let Some(before) = page.changes_before {
            sql.push_str(" AND updated_at <= ?");
            params.push(before.into());
        }
        if let Some(marker) = &page.marker {
            sql.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            params.push(marker.created_at.into());
            params.push(marker.created_at.into());
            params.push(marker.id.into());
        }
        sql.push_str(" ORDER BY created_at DESC, id DESC");
        if let Some(limit) = page.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        Ok(self.db.fetch_all(&sql, &params).await?)
    }

    async fn action_event_get(
        &self,
        id: i64,
        event: &str,
        action_id: i64,
    ) -> Result<InstanceActionEventRow, NovaDbError> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM instance_actions_events WHERE id = ?");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or_else(|| NovaDbError::InstanceActionEventNotFound {
                event: event.to_owned(),
                action_id,
            })
    }
}
