//! The `compute_nodes` table (Nova `compute_node_*`, spec §3.4): one row per hypervisor
//! node, written by the compute's resource audit and read by the scheduler.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::nova_db::{utc_now, NovaDb};
use super::nova_db_error::NovaDbError;
use novactor::db::SqlValue;

const COLUMNS: &str = "id, uuid, service_id, host, hypervisor_hostname, vcpus, memory_mb, \
     local_gb, vcpus_used, memory_mb_used, local_gb_used, free_ram_mb, free_disk_gb, \
     current_workload, running_vms, disk_available_least, hypervisor_type, hypervisor_version, \
     cpu_info, host_ip, supported_instances, metrics, pci_stats, extra_resources, stats, \
     numa_topology, cpu_allocation_ratio, ram_allocation_ratio, disk_allocation_ratio, mapped, \
     created_at, updated_at, deleted_at, deleted";

/// One row of `compute_nodes`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[allow(missing_docs)] // Nova's column names; see nova/db/main/models.py ComputeNode.
pub struct ComputeNodeRow {
    pub id: i64,
    pub uuid: String,
    pub service_id: Option<i64>,
    pub host: Option<String>,
    pub hypervisor_hostname: Option<String>,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub local_gb: i64,
    pub vcpus_used: i64,
    pub memory_mb_used: i64,
    pub local_gb_used: i64,
    pub free_ram_mb: Option<i64>,
    pub free_disk_gb: Option<i64>,
    pub current_workload: Option<i64>,
    pub running_vms: Option<i64>,
    pub disk_available_least: Option<i64>,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    /// JSON text.
    pub cpu_info: String,
    pub host_ip: Option<String>,
    pub supported_instances: Option<String>,
    pub metrics: Option<String>,
    pub pci_stats: Option<String>,
    pub extra_resources: Option<String>,
    /// JSON text, `{}` by default.
    pub stats: Option<String>,
    pub numa_topology: Option<String>,
    pub cpu_allocation_ratio: Option<f64>,
    pub ram_allocation_ratio: Option<f64>,
    pub disk_allocation_ratio: Option<f64>,
    pub mapped: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted: i64,
}

/// The fields a compute writes about its node; for `compute_node_update` only the `Some`
/// ones change.
#[derive(Debug, Clone, Default, PartialEq)]
#[allow(missing_docs)] // one per column of the same name
pub struct ComputeNodeValues {
    /// Only `compute_node_create` reads it (the node's identity never changes); a fresh
    /// one is generated when unset, as Nova's `ComputeNode.create` does.
    pub uuid: Option<String>,
    pub service_id: Option<i64>,
    pub vcpus: Option<i64>,
    pub memory_mb: Option<i64>,
    pub local_gb: Option<i64>,
    pub vcpus_used: Option<i64>,
    pub memory_mb_used: Option<i64>,
    pub local_gb_used: Option<i64>,
    pub free_ram_mb: Option<i64>,
    pub free_disk_gb: Option<i64>,
    pub current_workload: Option<i64>,
    pub running_vms: Option<i64>,
    pub disk_available_least: Option<i64>,
    pub hypervisor_type: Option<String>,
    pub hypervisor_version: Option<i64>,
    pub cpu_info: Option<String>,
    pub host_ip: Option<String>,
    pub supported_instances: Option<String>,
    pub stats: Option<String>,
    pub cpu_allocation_ratio: Option<f64>,
    pub ram_allocation_ratio: Option<f64>,
    pub disk_allocation_ratio: Option<f64>,
}

impl ComputeNodeValues {
    /// The set fields as (column, value); column names are literals, never input.
    fn columns(&self) -> Vec<(&'static str, SqlValue)> {
        let ints = [
            ("service_id", self.service_id),
            ("vcpus", self.vcpus),
            ("memory_mb", self.memory_mb),
            ("local_gb", self.local_gb),
            ("vcpus_used", self.vcpus_used),
            ("memory_mb_used", self.memory_mb_used),
            ("local_gb_used", self.local_gb_used),
            ("free_ram_mb", self.free_ram_mb),
            ("free_disk_gb", self.free_disk_gb),
            ("current_workload", self.current_workload),
            ("running_vms", self.running_vms),
            ("disk_available_least", self.disk_available_least),
            ("hypervisor_version", self.hypervisor_version),
        ];
        let texts = [
            ("hypervisor_type", &self.hypervisor_type),
            ("cpu_info", &self.cpu_info),
            ("host_ip", &self.host_ip),
            ("supported_instances", &self.supported_instances),
            ("stats", &self.stats),
        ];
        let floats = [
            ("cpu_allocation_ratio", self.cpu_allocation_ratio),
            ("ram_allocation_ratio", self.ram_allocation_ratio),
            ("disk_allocation_ratio", self.disk_allocation_ratio),
        ];
        let mut out: Vec<(&'static str, SqlValue)> = Vec::new();
        out.extend(
            ints.into_iter()
                .filter_map(|(c, v)| v.map(|v| (c, v.into()))),
        );
        out.extend(
            texts
                .into_iter()
                .filter_map(|(c, v)| v.as_deref().map(|v| (c, v.into()))),
        );
        out.extend(
            floats
                .into_iter()
                .filter_map(|(c, v)| v.map(|v| (c, v.into()))),
        );
        out
    }
}

impl NovaDb {
    /// Nova `compute_node_get_by_host_and_nodename`.
    pub async fn compute_node_get_by_host_and_nodename(
        &self,
        host: &str,
        nodename: &str,
    ) -> Result<ComputeNodeRow, NovaDbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM compute_nodes \
             WHERE host = ? AND hypervisor_hostname = ? AND deleted = 0"
        );
        self.db
            .fetch_optional(&sql, &[host.into(), nodename.into()])
            .await?
            .ok_or_else(|| NovaDbError::ComputeHostNotFound {
                host: format!("{host}/{nodename}"),
            })
    }

    /// Nova `compute_node_get`.
    pub async fn compute_node_get(&self, id: i64) -> Result<ComputeNodeRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM compute_nodes WHERE id = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[id.into()])
            .await?
            .ok_or(NovaDbError::ComputeNodeNotFound { id })
    }

    /// Nova `compute_node_get_all_by_host`: [`NovaDbError::ComputeHostNotFound`] if the host
    /// has none (as Nova raises).
    pub async fn compute_node_get_all_by_host(
        &self,
        host: &str,
    ) -> Result<Vec<ComputeNodeRow>, NovaDbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM compute_nodes WHERE host = ? AND deleted = 0 ORDER BY id"
        );
        let rows: Vec<ComputeNodeRow> = self.db.fetch_all(&sql, &[host.into()]).await?;
        if rows.is_empty() {
            return Err(NovaDbError::ComputeHostNotFound {
                host: host.to_owned(),
            });
        }
        Ok(rows)
    }

    /// Compute nodes created, updated or deleted at or after `since`, soft-deleted ones
    /// included (so a deletion is seen as a change): the scheduler's incremental refresh.
    pub async fn compute_node_get_all_changed_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ComputeNodeRow>, NovaDbError> {
        Ok(self
            .db
            .fetch_all(
                "SELECT * FROM compute_nodes WHERE updated_at >= ? OR created_at >= ? OR deleted_at >= ?",
                &[since.into(), since.into(), since.into()],
            )
            .await?)
    }

    /// Every live compute node, by id (the scheduler's host list).
    pub async fn compute_node_get_all(&self) -> Result<Vec<ComputeNodeRow>, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM compute_nodes WHERE deleted = 0 ORDER BY id");
        Ok(self.db.fetch_all(&sql, &[]).await?)
    }

    /// Nova `compute_node_get_by_uuid` (`ComputeHostNotFound` when there is none, as Nova).
    pub async fn compute_node_get_by_uuid(
        &self,
        uuid: &str,
    ) -> Result<ComputeNodeRow, NovaDbError> {
        let sql = format!("SELECT {COLUMNS} FROM compute_nodes WHERE uuid = ? AND deleted = 0");
        self.db
            .fetch_optional(&sql, &[uuid.into()])
            .await?
            .ok_or_else(|| NovaDbError::ComputeHostNotFound {
                host: uuid.to_owned(),
            })
    }

    /// Nova `compute_node_create` for (host, nodename), with `values.uuid` or a fresh one. Required
    /// resources not given are 0; `hypervisor_type`/`cpu_info` default to `""`/`{}`.
    pub async fn compute_node_create(
        &self,
        host: &str,
        nodename: &str,
        values: &ComputeNodeValues,
    ) -> Result<ComputeNodeRow, NovaDbError> {
        let mut columns = values.columns();
        let defaults: [(&'static str, SqlValue); 7] = [
            ("vcpus", 0i64.into()),
            ("memory_mb", 0i64.into()),
            ("local_gb", 0i64.into()),
            ("hypervisor_type", "".into()),
            ("hypervisor_version", 0i64.into()),
            ("cpu_info", "{}".into()),
            ("stats", "{}".into()),
        ];
        for (column, value) in defaults {
            if !columns.iter().any(|(c, _)| *c == column) {
                columns.push((column, value));
            }
        }
        columns.extend([
            (
                "uuid",
                values
                    .uuid
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
                    .into(),
            ),
            ("host", host.into()),
            ("hypervisor_hostname", nodename.into()),
            ("created_at", utc_now().into()),
            ("deleted", 0i64.into()),
        ]);
        let id = self.db.insert("compute_nodes", &columns).await?;
        self.compute_node_get(id).await
    }

    /// Nova `compute_node_update`: the `Some` fields of `values`, plus `updated_at`.
    pub async fn compute_node_update(
        &self,
        id: i64,
        values: &ComputeNodeValues,
    ) -> Result<ComputeNodeRow, NovaDbError> {
        let columns = values.columns();
        let mut set: Vec<String> = columns
            .iter()
            .map(|(c, _)| format!("\"{c}\" = ?"))
            .collect();
        set.push("updated_at = ?".to_owned());
        let mut params: Vec<SqlValue> = columns.into_iter().map(|(_, v)| v).collect();
        params.push(utc_now().into());
        params.push(id.into());
        let sql = format!(
            "UPDATE compute_nodes SET {} WHERE id = ? AND deleted = 0",
            set.join(", ")
        );
        if self.db.execute(&sql, &params).await? == 0 {
            return Err(NovaDbError::ComputeNodeNotFound { id });
        }
        self.compute_node_get(id).await
    }

    /// Nova `compute_node_delete`: soft delete.
    pub async fn compute_node_delete(&self, id: i64) -> Result<(), NovaDbError> {
        if !self.soft_delete("compute_nodes", "id", id.into()).await? {
            return Err(NovaDbError::ComputeNodeNotFound { id });
        }
        Ok(())
    }
}
