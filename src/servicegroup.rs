//! Service liveness (Nova: `nova/servicegroup`): each RPC-serving actor joins at start and
//! reports state every `report_interval`; a service is up when it reported within
//! `service_down_time` and is not forced down.
//!
//! The driver is a seam: [`MemoryServiceGroup`] keeps records in-process (the embedded
//! default); a database driver writes the `services` table (Nova's:
//! the Nova crate's database-backed group).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One service as the servicegroup knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRecord {
    /// Database id; `None` for drivers without one.
    pub id: Option<i64>,
    /// Uuid; `None` for drivers without one.
    pub uuid: Option<String>,
    /// Host name.
    pub host: String,
    /// Binary, e.g. `nova-compute`.
    pub binary: String,
    /// RPC topic.
    pub topic: String,
    /// Heartbeats received.
    pub report_count: u64,
    /// Last heartbeat.
    pub last_seen_up: Option<DateTime<Utc>>,
    /// Operator says down regardless of heartbeats.
    pub forced_down: bool,
    /// Operator disabled the service.
    pub disabled: bool,
    /// Why.
    pub disabled_reason: Option<String>,
    /// Service version (Nova `SERVICE_VERSION`); 0 when unknown.
    pub version: i64,
    /// When the service first joined.
    pub created_at: Option<DateTime<Utc>>,
    /// Last change of the record.
    pub updated_at: Option<DateTime<Utc>>,
}

impl ServiceRecord {
    /// A record as a service joining for the first time has it.
    pub fn joined(host: &str, binary: &str, topic: &str, now: DateTime<Utc>) -> Self {
        ServiceRecord {
            id: None,
            uuid: None,
            host: host.to_owned(),
            binary: binary.to_owned(),
            topic: topic.to_owned(),
            report_count: 0,
            last_seen_up: None,
            forced_down: false,
            disabled: false,
            disabled_reason: None,
            version: 0,
            created_at: Some(now),
            updated_at: None,
        }
    }

    /// Nova's rule (`nova/servicegroup/drivers/db.py`): not forced down, and the last
    /// heartbeat (or, before any, the creation time) within `service_down_time` of `now`.
    pub fn is_up(&self, service_down_time: Duration, now: DateTime<Utc>) -> bool {
        let window = chrono::Duration::from_std(service_down_time).unwrap_or(chrono::Duration::MAX);
        !self.forced_down
            && self
                .last_seen_up
                .or(self.created_at)
                .is_some_and(|seen| (now - seen).abs() <= window)
    }
}

/// Why a servicegroup operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceGroupError {
    /// No record for this host and binary (Nova `ServiceNotFound`).
    #[error("service {binary} on host {host} not found")]
    NotFound {
        /// Host.
        host: String,
        /// Binary.
        binary: String,
    },
    /// The backing store could not be reached.
    #[error("servicegroup backend unavailable: {0}")]
    Unavailable(String),
    /// The backing store answered with an error waiting will not fix.
    #[error("servicegroup backend failed: {0}")]
    Backend(String),
}

/// The driver contract.
#[async_trait]
pub trait ServiceGroup: Send + Sync + 'static {
    /// Create or refresh the record of a starting service.
    async fn join(&self, host: &str, binary: &str, topic: &str) -> Result<(), ServiceGroupError>;
    /// One heartbeat.
    async fn report_state(&self, host: &str, binary: &str) -> Result<(), ServiceGroupError>;
    /// Every record.
    async fn services(&self) -> Result<Vec<ServiceRecord>, ServiceGroupError>;
    /// Disable (with an optional reason) or enable scheduling to a service; returns the
    /// changed record.
    async fn set_disabled(
        &self,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<ServiceRecord, ServiceGroupError>;
}

/// In-process records.
#[derive(Debug, Default, Clone)]
pub struct MemoryServiceGroup {
    records: Arc<Mutex<BTreeMap<(String, String), ServiceRecord>>>,
}

impl MemoryServiceGroup {
    fn with_records<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<(String, String), ServiceRecord>) -> R,
    ) -> R {
        f(&mut self.records.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait]
impl ServiceGroup for MemoryServiceGroup {
    async fn join(&self, host: &str, binary: &str, topic: &str) -> Result<(), ServiceGroupError> {
        self.with_records(|records| {
            records
                .entry((host.to_owned(), binary.to_owned()))
                .or_insert_with(|| ServiceRecord::joined(host, binary, topic, Utc::now()));
        });
        Ok(())
    }

    async fn report_state(&self, host: &str, binary: &str) -> Result<(), ServiceGroupError> {
        self.with_records(
            |records| match records.get_mut(&(host.to_owned(), binary.to_owned())) {
                Some(record) => {
                    let now = Utc::now();
                    record.report_count += 1;
                    record.last_seen_up = Some(now);
                    record.updated_at = Some(now);
                    Ok(())
                }
                None => Err(ServiceGroupError::NotFound {
                    host: host.to_owned(),
                    binary: binary.to_owned(),
                }),
            },
        )
    }

    async fn services(&self) -> Result<Vec<ServiceRecord>, ServiceGroupError> {
        Ok(self.with_records(|records| records.values().cloned().collect()))
    }

    async fn set_disabled(
        &self,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<ServiceRecord, ServiceGroupError> {
        self.with_records(
            |records| match records.get_mut(&(host.to_owned(), binary.to_owned())) {
                Some(record) => {
                    record.disabled = disabled;
                    record.disabled_reason = reason.filter(|_| disabled).map(str::to_owned);
                    record.updated_at = Some(Utc::now());
                    Ok(record.clone())
                }
                None => Err(ServiceGroupError::NotFound {
                    host: host.to_owned(),
                    binary: binary.to_owned(),
                }),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn a_reporting_service_is_up_until_it_stops_reporting() {
        let group = MemoryServiceGroup::default();
        assert!(group.report_state("h", "nova-compute").await.is_err());
        group.join("h", "nova-compute", "compute").await.unwrap();
        group.report_state("h", "nova-compute").await.unwrap();
        let record = group.services().await.unwrap().remove(0);
        assert_eq!(record.report_count, 1);
        let now = Utc::now();
        assert!(record.is_up(Duration::from_secs(60), now));
        assert!(!record.is_up(Duration::from_secs(60), now + chrono::Duration::seconds(61)));
        let forced = ServiceRecord {
            forced_down: true,
            ..record
        };
        assert!(!forced.is_up(Duration::from_secs(60), now));
    }

    #[test]
    fn a_service_that_never_reported_is_up_within_the_window_of_its_creation() {
        let created = Utc::now();
        let record = ServiceRecord::joined("h", "nova-compute", "compute", created);
        let window = Duration::from_secs(60);
        assert!(record.is_up(window, created + chrono::Duration::seconds(60)));
        assert!(!record.is_up(window, created + chrono::Duration::seconds(61)));
    }
}
