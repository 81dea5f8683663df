//! The compute's side of placement (Nova: the resource tracker's `_update_to_placement` and
//! the delete path's `delete_allocation_for_instance`): after each resource audit the node
//! is a resource provider (uuid = the node's uuid, name = its hypervisor_hostname) with
//! Nova's inventory and traits; a deleted instance's allocations are removed. Only with
//! `[placement]` configured. A placement failure never fails the audit or the delete: the
//! client logs an outage once, and the next audit brings placement up to date.

use serde_json::Value;
use uuid::Uuid;

use crate::objects::NovaObject;
use crate::placement::{
    compute_node_inventory, compute_node_traits, NodeRatios, NodeReserved, NodeSize,
    PlacementError, ReportClient,
};

/// One node's reports, through the process's one placement client.
#[derive(Debug, Clone)]
pub struct PlacementReport {
    client: ReportClient,
    reserved: NodeReserved,
}

fn int(node: &NovaObject, field: &str) -> i64 {
    node.get(field).as_i64().unwrap_or(0)
}

fn ratio(node: &NovaObject, field: &str) -> f64 {
    node.get(field).as_f64().filter(|r| *r > 0.0).unwrap_or(1.0)
}

impl PlacementReport {
    /// Reports through `client`, with what the host keeps (`reserved_host_*`).
    pub fn new(client: ReportClient, reserved: NodeReserved) -> Self {
        Self { client, reserved }
    }

    /// The provider of `node` with its inventory and traits as the node says; logged, not
    /// raised, on failure.
    pub async fn node_audited(&self, node: &NovaObject) {
        if let Err(error) = self.update_provider(node).await {
            if !error.is_outage() {
                tracing::warn!(node = %node.get("hypervisor_hostname"), %error, "could not update the node's resource provider; the next audit retries");
            }
        }
    }

    async fn update_provider(&self, node: &NovaObject) -> Result<(), PlacementError> {
        let Some(uuid) = node
            .get("uuid")
            .as_str()
            .and_then(|u| Uuid::parse_str(u).ok())
        else {
            return Ok(());
        };
        let name = match node.get("hypervisor_hostname") {
            Value::String(name) => name.clone(),
            _ => uuid.to_string(),
        };
        self.client.ensure_resource_provider(uuid, &name).await?;
        let size = NodeSize {
            vcpus: int(node, "vcpus"),
            memory_mb: int(node, "memory_mb"),
            local_gb: int(node, "local_gb"),
        };
        let ratios = NodeRatios {
            cpu: ratio(node, "cpu_allocation_ratio"),
            ram: ratio(node, "ram_allocation_ratio"),
            disk: ratio(node, "disk_allocation_ratio"),
        };
        let inventory = compute_node_inventory(size, self.reserved, ratios);
        self.client.set_inventory(uuid, &inventory).await?;
        let current = self.client.provider_traits(uuid).unwrap_or_default();
        let traits = compute_node_traits(current.iter().map(String::as_str), false);
        self.client.set_traits(uuid, &traits).await?;
        Ok(())
    }

    /// Nova `delete_allocation_for_instance` once an instance is gone.
    pub async fn instance_deleted(&self, instance_uuid: &str) {
        let Ok(consumer) = Uuid::parse_str(instance_uuid) else {
            return;
        };
        if let Err(error) = self.client.delete_allocation_for_instance(consumer).await {
            if !error.is_outage() {
                tracing::warn!(instance = %instance_uuid, %error, "could not delete the instance's allocations");
            }
        }
    }
}
