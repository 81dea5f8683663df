//! Placement's bodies as typed serde structs, requests beside the answers they get, and the
//! microversion each request is sent with — the ones Nova's report client sends
//! (`nova/scheduler/client/report.py` constants; recorded in
//! `spec/real-nova-34/captures/PLACEMENT.md`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The `OpenStack-API-Version: placement <mv>` of each request, as Nova sends it.
pub mod microversion {
    /// `GET /resource_providers?in_tree=`, `GET /resource_providers/{uuid}`
    /// (Nova `NESTED_PROVIDER_API_VERSION`).
    pub const NESTED_PROVIDER: &str = "1.14";
    /// `POST /resource_providers` answering the new provider (`POST_RPS_RETURNS_PAYLOAD_API_VERSION`).
    pub const POST_RPS_RETURNS_PAYLOAD: &str = "1.20";
    /// `PUT …/inventories`, reserved may equal total (`ALLOW_RESERVED_EQUAL_TOTAL_INVENTORY_VERSION`).
    pub const ALLOW_RESERVED_EQUAL_TOTAL_INVENTORY: &str = "1.26";
    /// `GET /traits?name=in:`, `PUT /traits/{name}`, `GET|PUT …/traits`.
    pub const TRAITS: &str = "1.6";
    /// `GET …/aggregates` with the provider generation (`AGGREGATE_GENERATION_VERSION`).
    pub const AGGREGATE_GENERATION: &str = "1.19";
    /// `GET /allocations/{consumer}` with the consumer generation (`CONSUMER_GENERATION_VERSION`).
    pub const CONSUMER_GENERATION: &str = "1.28";
}

/// One resource class of a provider's inventory. Field order is the order Nova's body has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Amount the provider has.
    pub total: i64,
    /// Smallest amount one allocation may take.
    pub min_unit: i64,
    /// Largest amount one allocation may take.
    pub max_unit: i64,
    /// Allocations are multiples of this.
    pub step_size: i64,
    /// Overcommit: capacity = (total − reserved) × allocation_ratio.
    pub allocation_ratio: f64,
    /// Amount kept back from allocations.
    pub reserved: i64,
}

impl Inventory {
    /// Equal, with the ratio compared to a millionth: MySQL keeps placement's
    /// `allocation_ratio` in a single-precision FLOAT, so 0.7 comes back 0.699999988…, and
    /// an exact comparison would PUT an unchanged inventory on every periodic run.
    pub fn same_as(&self, other: &Inventory) -> bool {
        self.total == other.total
            && self.reserved == other.reserved
            && self.min_unit == other.min_unit
            && self.max_unit == other.max_unit
            && self.step_size == other.step_size
            && (self.allocation_ratio - other.allocation_ratio).abs()
                <= 1e-6 * self.allocation_ratio.abs().max(1.0)
    }
}

/// A provider's inventory by resource class (`VCPU`, `MEMORY_MB`, `DISK_GB`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Inventories(pub BTreeMap<String, Inventory>);

impl Inventories {
    /// The same classes with [`Inventory::same_as`] values.
    pub fn same_as(&self, other: &Inventories) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .all(|(class, inv)| other.0.get(class).is_some_and(|o| inv.same_as(o)))
    }

    /// The inventory of `class`.
    pub fn get(&self, class: &str) -> Option<&Inventory> {
        self.0.get(class)
    }
}

/// A resource provider as placement answers it (links left out).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceProvider {
    /// Its uuid (a compute node's provider has the node's uuid).
    pub uuid: String,
    /// Its name (a compute node's is its `hypervisor_hostname`).
    pub name: String,
    /// Bumped by every change of inventory, traits or aggregates.
    pub generation: i64,
    /// The parent, for nested providers.
    #[serde(default)]
    pub parent_provider_uuid: Option<String>,
    /// The root of its tree.
    #[serde(default)]
    pub root_provider_uuid: Option<String>,
}

/// `GET /resource_providers` (1.14).
#[derive(Debug, Deserialize)]
pub(super) struct ResourceProviderList {
    pub(super) resource_providers: Vec<ResourceProvider>,
}

/// `POST /resource_providers` (1.20).
#[derive(Debug, Serialize)]
pub(super) struct CreateProvider<'a> {
    pub(super) uuid: &'a str,
    pub(super) name: &'a str,
}

/// `PUT …/inventories` (1.26), and `GET …/inventories` / the PUT's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ProviderInventories {
    pub(super) resource_provider_generation: i64,
    pub(super) inventories: Inventories,
}

/// `PUT …/traits` (1.6), and `GET …/traits` / the PUT's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ProviderTraits {
    pub(super) resource_provider_generation: i64,
    pub(super) traits: Vec<String>,
}

/// `GET …/aggregates` (1.19).
#[derive(Debug, Deserialize)]
pub(super) struct ProviderAggregates {
    pub(super) resource_provider_generation: i64,
    pub(super) aggregates: Vec<String>,
}

/// `GET /traits?name=in:…` (1.6).
#[derive(Debug, Deserialize)]
pub(super) struct TraitList {
    pub(super) traits: Vec<String>,
}

/// What `refresh_associations` read: a provider's inventories, aggregates and traits.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderAssociations {
    /// The provider generation after the last of the three reads.
    pub generation: i64,
    /// Its inventory.
    pub inventories: Inventories,
    /// Aggregate uuids.
    pub aggregates: BTreeSet<String>,
    /// Trait names.
    pub traits: BTreeSet<String>,
}

/// One provider's part of a consumer's allocations.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderAllocation {
    /// Amount by resource class.
    pub resources: BTreeMap<String, i64>,
    /// The provider's generation (in `GET /allocations/{consumer}`).
    #[serde(default)]
    pub generation: Option<i64>,
}

/// `GET /allocations/{consumer}` (1.28): an unknown consumer has no allocations and no
/// generation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConsumerAllocations {
    /// By provider uuid.
    pub allocations: BTreeMap<String, ProviderAllocation>,
    /// The consumer's generation (`None` when it has no allocations).
    #[serde(default)]
    pub consumer_generation: Option<i64>,
    /// Its project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Its user.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// `GET /resource_providers/{uuid}/allocations`: the allocations against one provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderAllocations {
    /// By consumer uuid.
    pub allocations: BTreeMap<String, ProviderAllocation>,
    /// The provider's generation.
    pub resource_provider_generation: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventories_read_from_placement_compare_with_a_float_tolerance() {
        let ours = Inventory {
            total: 8,
            min_unit: 1,
            max_unit: 8,
            step_size: 1,
            allocation_ratio: 0.7,
            reserved: 0,
        };
        let from_mysql = Inventory {
            allocation_ratio: f64::from(0.7_f32),
            ..ours
        };
        assert!(ours.same_as(&from_mysql));
        assert!(!ours.same_as(&Inventory {
            reserved: 1,
            ..ours
        }));
        assert!(!ours.same_as(&Inventory {
            allocation_ratio: 0.8,
            ..ours
        }));
        let one = Inventories([("VCPU".to_owned(), ours)].into());
        assert!(one.same_as(&Inventories([("VCPU".to_owned(), from_mysql)].into())));
        assert!(!one.same_as(&Inventories::default()));
        assert!(!one.same_as(&Inventories([("PCPU".to_owned(), ours)].into())));
    }

    #[test]
    fn a_consumer_without_allocations_reads_as_placement_answers_it() {
        let empty: ConsumerAllocations =
            serde_json::from_str(r#"{"allocations": {}}"#).expect("parses");
        assert!(empty.allocations.is_empty());
        assert_eq!(empty.consumer_generation, None);
        // As recorded: spec/real-nova-34/captures/placement/periodic-wait.json.
        let recorded: ConsumerAllocations = serde_json::from_str(
            r#"{"allocations": {"2a928796-65dc-49f5-831a-d13f97389907": {"resources": {"DISK_GB": 1, "MEMORY_MB": 512, "VCPU": 1}, "generation": 6}}, "project_id": "admin", "user_id": "admin", "consumer_generation": 1}"#,
        )
        .expect("parses");
        let on_node = &recorded.allocations["2a928796-65dc-49f5-831a-d13f97389907"];
        assert_eq!(on_node.resources["MEMORY_MB"], 512);
        assert_eq!(on_node.generation, Some(6));
        assert_eq!(recorded.consumer_generation, Some(1));
    }
}
