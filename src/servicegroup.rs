//! Service liveness (Nova: `nova/servicegroup`): each RPC-serving actor joins at start and
//! reports state every `report_interval`; a service is up when it reported within
//! `service_down_time` and is not forced down.
//!
//! The driver is a seam: [`MemoryServiceGroup`] keeps records in-process (the embedded
//! default); a database driver writes the `services` table.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One service as the servicegroup knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRecord {
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
}

impl ServiceRecord {
    /// Nova's rule: not forced down and seen within `service_down_time`.
    pub fn is_up(&self, service_down_time: Duration, now: DateTime<Utc>) -> bool {
        let window = chrono::Duration::from_std(service_down_time).unwrap_or(chrono::Duration::MAX);
        !self.forced_down && self.last_seen_up.is_some_and(|seen| now - seen <= window)
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
                .or_insert_with(|| ServiceRecord {
                    host: host.to_owned(),
                    binary: binary.to_owned(),
                    topic: topic.to_owned(),
                    report_count: 0,
                    last_seen_up: None,
                    forced_down: false,
                });
        });
        Ok(())
    }

    async fn report_state(&self, host: &str, binary: &str) -> Result<(), ServiceGroupError> {
        self.with_records(
            |records| match records.get_mut(&(host.to_owned(), binary.to_owned())) {
                Some(record) => {
                    record.report_count += 1;
                    record.last_seen_up = Some(Utc::now());
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
}
