//! How the scheduler reads the `compute_nodes` and `nova-compute` `services` rows on each
//! request: everything (Nova's way: `ComputeNodeList.get_all` + `ServiceList`), or only the
//! rows written since a moment — which is what keeps `select_destinations` within its
//! latency goal with 1,000 hosts (docs/BENCHMARKS.md: reading all 2,000 rows costs
//! ≈ 18 ms on SQLite, reading what changed well under 1 ms).
//!
//! The "changed since" reads include soft-deleted rows, so a deletion is seen as a change
//! (every write, delete included, stamps `updated_at`/`deleted_at`).

use chrono::{DateTime, Utc};

use crate::db::{ComputeNodeRow, NovaDb, NovaDbError, ServiceRow};

/// The binary whose service rows make hosts schedulable.
pub const COMPUTE_BINARY: &str = "nova-compute";

/// Which rows a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadPlan {
    /// All live rows (first request, then periodically as a safety net).
    Full,
    /// Rows created, updated or deleted at or after this moment, deleted ones included.
    ChangedSince(DateTime<Utc>),
}

/// What a read returned.
#[derive(Debug, Clone)]
pub struct HostRows {
    /// The plan it followed.
    pub plan: ReadPlan,
    /// Compute node rows.
    pub nodes: Vec<ComputeNodeRow>,
    /// `nova-compute` service rows.
    pub services: Vec<ServiceRow>,
}

/// Read the rows `plan` asks for, both tables at once.
pub async fn read(db: &NovaDb, plan: ReadPlan) -> Result<HostRows, NovaDbError> {
    let (nodes, services) = match plan {
        ReadPlan::Full => futures::try_join!(
            db.compute_node_get_all(),
            db.service_list(None, Some(COMPUTE_BINARY)),
        )?,
        ReadPlan::ChangedSince(since) => futures::try_join!(
            db.compute_node_get_all_changed_since(since),
            db.service_get_all_changed_since(COMPUTE_BINARY, since),
        )?,
    };
    Ok(HostRows {
        plan,
        nodes,
        services,
    })
}
