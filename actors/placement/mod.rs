//! Nova's placement client for computes (Nova: `nova/scheduler/client/report.py`
//! `SchedulerReportClient`, the part a compute uses), built on `[placement]`
//! ([`PlacementConf`](crate::conf::PlacementConf)). When `auth_type` is unset there is no
//! client and no placement call.
//!
//! ```text
//! placement/report_client.rs     ReportClient: ensure a provider, refresh its associations,
//!                                allocations, delete a provider; the cheap-clone handle
//! placement/provider_updates.rs  set_inventory, set_traits: generation-conditioned PUTs,
//!                                skipped when unchanged, 409 ⇒ re-read and retry (4 PUTs)
//! placement/provider_cache.rs    what placement holds per provider, as last seen; staleness
//! placement/node_provider.rs     a fake-driver node's inventory and traits, as Nova builds them
//! placement/wire.rs              bodies as serde types; the microversion of each request
//! placement/placement_http.rs    one reqwest client, the concurrency bound, headers, 401 retry
//! placement/placement_auth.rs    admin_token / none / Keystone password: URL + token per request
//! placement/outage_log.rs        an outage logged once when it starts, once when it ends
//! placement/placement_error.rs   PlacementError; placement's JSON error body
//! ```
//!
//! Order of use: `ensure_resource_provider(node uuid, hypervisor_hostname)` → `set_inventory`
//! ([`compute_node_inventory`]) → `set_traits` ([`compute_node_traits`]), on start and on
//! every `update_available_resource`; `delete_allocation_for_instance` when a server is
//! deleted. Errors never panic and are safe to drop: the next periodic run retries.

mod node_provider;
mod outage_log;
mod placement_auth;
mod placement_error;
mod placement_http;
mod provider_cache;
mod provider_updates;
mod report_client;
mod wire;

pub use node_provider::{
    allocation_ratio, compute_node_inventory, compute_node_traits, mb_to_ceil_gb, NodeRatios,
    NodeReserved, NodeSize, COMPUTE_NODE, COMPUTE_STATUS_DISABLED, DISK_GB,
    FAKE_DRIVER_CAPABILITY_TRAITS, MEMORY_MB, OWNER_NOVA, VCPU,
};
pub use placement_error::{codes, PlacementError, PlacementFault};
pub use provider_updates::ATTEMPTS;
pub use report_client::{Ensured, ReportClient, Update};
pub use wire::{
    microversion, ConsumerAllocations, Inventories, Inventory, ProviderAllocation,
    ProviderAllocations, ProviderAssociations, ResourceProvider,
};
