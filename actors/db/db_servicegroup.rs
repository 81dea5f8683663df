//! `DbServiceGroup`: Nova's servicegroup DB driver (`nova/servicegroup/drivers/db.py`) for
//! services with database access (conductor, scheduler, api): join creates or refreshes the
//! `services` row, each heartbeat is one UPDATE.

use async_trait::async_trait;

use super::nova_db::NovaDb;
use super::nova_db_error::NovaDbError;
use super::services::{ServiceChanges, ServiceKey, ServiceRow};
use novactor::servicegroup::{ServiceGroup, ServiceGroupError, ServiceRecord};

/// The servicegroup over the `services` table.
#[derive(Debug, Clone)]
pub struct DbServiceGroup {
    db: NovaDb,
    version: i64,
}

impl DbServiceGroup {
    /// Heartbeats into `db`; `version` is written at join (Nova `SERVICE_VERSION`).
    pub fn new(db: NovaDb, version: i64) -> Self {
        DbServiceGroup { db, version }
    }
}

fn group_error(error: NovaDbError) -> ServiceGroupError {
    match error {
        NovaDbError::HostBinaryNotFound { host, binary } => {
            ServiceGroupError::NotFound { host, binary }
        }
        e if e.is_unavailable() => ServiceGroupError::Unavailable(e.to_string()),
        e => ServiceGroupError::Backend(e.to_string()),
    }
}

impl From<ServiceRow> for ServiceRecord {
    fn from(row: ServiceRow) -> Self {
        ServiceRecord {
            id: Some(row.id),
            uuid: Some(row.uuid),
            host: row.host,
            binary: row.binary,
            topic: row.topic.unwrap_or_default(),
            report_count: u64::try_from(row.report_count).unwrap_or(0),
            last_seen_up: row.last_seen_up,
            forced_down: row.forced_down,
            disabled: row.disabled,
            disabled_reason: row.disabled_reason,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[async_trait]
impl ServiceGroup for DbServiceGroup {
    async fn join(&self, host: &str, binary: &str, topic: &str) -> Result<(), ServiceGroupError> {
        // The API consumes no topic: Nova stores NULL, not "".
        let topic = (!topic.is_empty()).then_some(topic);
        self.db
            .service_create_or_update(host, binary, topic, self.version)
            .await
            .map(|_| ())
            .map_err(group_error)
    }

    async fn report_state(&self, host: &str, binary: &str) -> Result<(), ServiceGroupError> {
        self.db
            .service_report_by_host_and_binary(host, binary)
            .await
            .map_err(group_error)
    }

    async fn services(&self) -> Result<Vec<ServiceRecord>, ServiceGroupError> {
        let rows = self
            .db
            .service_list(None, None)
            .await
            .map_err(group_error)?;
        Ok(rows.into_iter().map(ServiceRecord::from).collect())
    }

    async fn set_disabled(
        &self,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<ServiceRecord, ServiceGroupError> {
        let changes = ServiceChanges {
            disabled: Some(disabled),
            disabled_reason: Some(reason.filter(|_| disabled).map(str::to_owned)),
            forced_down: None,
        };
        self.db
            .service_set(ServiceKey::HostBinary { host, binary }, &changes)
            .await
            .map(ServiceRecord::from)
            .map_err(group_error)
    }
}
