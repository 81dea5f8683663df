//! What a page of instances needs besides its rows, read once per page (Nova's
//! `InstanceList.fill_faults` and the `services` join of the detail view): the newest fault
//! of each instance, the compute service of each host, and the flavors by id. Every read is
//! bounded by the page's own keys, never the whole table.

use std::collections::HashMap;

use novactor::db::SqlValue;

use super::flavors::{FlavorRow, COLUMNS as FLAVOR_COLUMNS};
use super::instance_faults::{InstanceFaultRow, COLUMNS as FAULT_COLUMNS};
use super::nova_db::NovaDb;
use super::nova_db_error::NovaDbError;
use super::services::{ServiceRow, COLUMNS as SERVICE_COLUMNS};

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl NovaDb {
    /// Nova `instance_fault_get_by_instance_uuids` (latest=True): the newest live fault of
    /// each of `uuids` that has one.
    pub async fn instance_faults_newest_by_uuids(
        &self,
        uuids: &[String],
    ) -> Result<HashMap<String, InstanceFaultRow>, NovaDbError> {
        if uuids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT {FAULT_COLUMNS} FROM instance_faults WHERE deleted = 0 AND instance_uuid \
             IN ({}) ORDER BY created_at DESC, id DESC",
            marks(uuids.len())
        );
        let params: Vec<SqlValue> = uuids.iter().map(SqlValue::from).collect();
        let rows: Vec<InstanceFaultRow> = self.db.fetch_all(&sql, &params).await?;
        let mut newest = HashMap::new();
        for row in rows {
            newest.entry(row.instance_uuid.clone()).or_insert(row);
        }
        Ok(newest)
    }

    /// The live `nova-compute` services of `hosts`, by host.
    pub async fn compute_services_by_hosts(
        &self,
        hosts: &[String],
    ) -> Result<HashMap<String, ServiceRow>, NovaDbError> {
        if hosts.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT {SERVICE_COLUMNS} FROM services WHERE deleted = 0 AND \"binary\" = ? \
             AND host IN ({})",
            marks(hosts.len())
        );
        let params: Vec<SqlValue> = std::iter::once(SqlValue::from("nova-compute"))
            .chain(hosts.iter().map(SqlValue::from))
            .collect();
        let rows: Vec<ServiceRow> = self.db.fetch_all(&sql, &params).await?;
        Ok(rows.into_iter().map(|s| (s.host.clone(), s)).collect())
    }

    /// The flavors of `ids` (integer ids, as `instances.instance_type_id`), by id.
    pub async fn flavors_by_ids(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, FlavorRow>, NovaDbError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT {FLAVOR_COLUMNS} FROM flavors WHERE id IN ({})",
            marks(ids.len())
        );
        let params: Vec<SqlValue> = ids.iter().map(|id| SqlValue::from(*id)).collect();
        let rows: Vec<FlavorRow> = self.db.fetch_all(&sql, &params).await?;
        Ok(rows.into_iter().map(|f| (f.id, f)).collect())
    }
}
