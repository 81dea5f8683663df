//! What a fake-driver compute node's resource provider carries, computed as Nova computes it:
//! the inventory (`nova/virt/fake.py` `FakeDriver.update_provider_tree` with the ratios of
//! `ComputeDriver._get_allocation_ratios`) and the traits (`ResourceTracker._get_traits`:
//! the driver's capabilities through `CAPABILITY_TRAITS_MAP`, `COMPUTE_NODE`, `OWNER_NOVA`,
//! `COMPUTE_STATUS_DISABLED`). Pure functions; the values come from the caller's options.
//! Checked against `spec/real-nova-34/captures/placement/compute-startup.json`.

use std::collections::{BTreeMap, BTreeSet};

use super::wire::{Inventories, Inventory};

/// Resource class of vCPUs.
pub const VCPU: &str = "VCPU";
/// Resource class of RAM (MiB).
pub const MEMORY_MB: &str = "MEMORY_MB";
/// Resource class of local disk (GiB).
pub const DISK_GB: &str = "DISK_GB";

/// Every compute node's provider has it (`os_traits.COMPUTE_NODE`).
pub const COMPUTE_NODE: &str = "COMPUTE_NODE";
/// Nova owns the provider; the scheduler asks for it (`root_required=OWNER_NOVA`).
pub const OWNER_NOVA: &str = "OWNER_NOVA";
/// The compute service is disabled; the scheduler asks for its absence.
pub const COMPUTE_STATUS_DISABLED: &str = "COMPUTE_STATUS_DISABLED";

/// Nova's `CAPABILITY_TRAITS_MAP` (`nova/virt/driver.py`) with what `fake.FakeDriver`
/// declares for each capability (`FakeDriver.capabilities`; the rest default to false in
/// `ComputeDriver.capabilities`). `supports_remote_managed_ports` is true in the driver,
/// but the tracker exposes its trait only with remote-managed PCI devices, which a fake
/// host has none of (`_should_expose_remote_managed_ports_trait`), so it is false here.
pub const FAKE_DRIVER_CAPABILITY_TRAITS: &[(&str, bool)] = &[
    ("COMPUTE_NET_ATTACH_INTERFACE", true),
    ("COMPUTE_DEVICE_TAGGING", true),
    ("COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG", true),
    ("COMPUTE_VOLUME_ATTACH_WITH_TAG", true),
    ("COMPUTE_VOLUME_EXTEND", true),
    ("COMPUTE_VOLUME_MULTI_ATTACH", true),
    ("COMPUTE_TRUSTED_CERTS", true),
    ("COMPUTE_ACCELERATORS", true),
    ("COMPUTE_IMAGE_TYPE_AKI", false),
    ("COMPUTE_IMAGE_TYPE_AMI", false),
    ("COMPUTE_IMAGE_TYPE_ARI", false),
    ("COMPUTE_IMAGE_TYPE_ISO", false),
    ("COMPUTE_IMAGE_TYPE_QCOW2", false),
    ("COMPUTE_IMAGE_TYPE_RAW", true),
    ("COMPUTE_IMAGE_TYPE_VDI", false),
    ("COMPUTE_IMAGE_TYPE_VHD", false),
    ("COMPUTE_IMAGE_TYPE_VHDX", false),
    ("COMPUTE_IMAGE_TYPE_VMDK", false),
    ("COMPUTE_IMAGE_TYPE_PLOOP", false),
    ("COMPUTE_SAME_HOST_COLD_MIGRATE", false),
    ("COMPUTE_RESCUE_BFV", false),
    ("COMPUTE_SECURITY_UEFI_SECURE_BOOT", false),
    ("COMPUTE_SOCKET_PCI_NUMA_AFFINITY", false),
    ("COMPUTE_REMOTE_MANAGED_PORTS", false),
    ("COMPUTE_EPHEMERAL_ENCRYPTION", false),
    ("COMPUTE_EPHEMERAL_ENCRYPTION_LUKS", false),
    ("COMPUTE_EPHEMERAL_ENCRYPTION_PLAIN", false),
    ("COMPUTE_ADDRESS_SPACE_PASSTHROUGH", true),
    ("COMPUTE_ADDRESS_SPACE_EMULATED", true),
    ("COMPUTE_SECURITY_STATELESS_FIRMWARE", true),
    ("COMPUTE_STORAGE_VIRTIO_FS", true),
    ("COMPUTE_MEM_BACKING_FILE", true),
];

/// What the hypervisor has (`[fake_driver] vcpus`, `memory_mb`, `local_gb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSize {
    /// vCPUs.
    pub vcpus: i64,
    /// RAM in MiB.
    pub memory_mb: i64,
    /// Disk in GiB.
    pub local_gb: i64,
}

/// What the host keeps (`reserved_host_cpus`, `reserved_host_memory_mb`,
/// `reserved_host_disk_mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeReserved {
    /// vCPUs.
    pub cpus: i64,
    /// RAM in MiB.
    pub memory_mb: i64,
    /// Disk in MiB: rounded up to whole GiB for placement.
    pub disk_mb: i64,
}

/// The allocation ratio of each resource class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRatios {
    /// `VCPU`.
    pub cpu: f64,
    /// `MEMORY_MB`.
    pub ram: f64,
    /// `DISK_GB`.
    pub disk: f64,
}

/// Nova's ratio precedence (`ComputeDriver._get_allocation_ratios`): the configured
/// `<res>_allocation_ratio` when set (non-zero); else the ratio the provider already has in
/// placement (an operator may have changed it there); else `initial_<res>_allocation_ratio`.
pub fn allocation_ratio(configured: Option<f64>, initial: f64, in_placement: Option<f64>) -> f64 {
    match (configured.filter(|ratio| *ratio != 0.0), in_placement) {
        (Some(ratio), _) => ratio,
        (None, Some(ratio)) => ratio,
        (None, None) => initial,
    }
}

/// Nova `compute_utils.convert_mb_to_ceil_gb`.
pub fn mb_to_ceil_gb(mb: i64) -> i64 {
    if mb <= 0 {
        0
    } else {
        (mb + 1023) / 1024
    }
}

/// The inventory `FakeDriver.update_provider_tree` reports: VCPU, MEMORY_MB and DISK_GB,
/// each with `min_unit` 1, `max_unit` = total, `step_size` 1. A class whose total is 0 is
/// left out (placement refuses `total: 0`; Nova's fake driver would send it and fail).
pub fn compute_node_inventory(
    size: NodeSize,
    reserved: NodeReserved,
    ratios: NodeRatios,
) -> Inventories {
    let class = |total: i64, allocation_ratio: f64, reserved: i64| Inventory {
        total,
        min_unit: 1,
        max_unit: total,
        step_size: 1,
        allocation_ratio,
        reserved,
    };
    let classes = [
        (VCPU, class(size.vcpus, ratios.cpu, reserved.cpus)),
        (
            MEMORY_MB,
            class(size.memory_mb, ratios.ram, reserved.memory_mb),
        ),
        (
            DISK_GB,
            class(size.local_gb, ratios.disk, mb_to_ceil_gb(reserved.disk_mb)),
        ),
    ];
    Inventories(
        classes
            .into_iter()
            .filter(|(_, inventory)| inventory.total > 0)
            .map(|(name, inventory)| (name.to_owned(), inventory))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// The traits `ResourceTracker._get_traits` sets on a fake-driver node's provider, from
/// the ones it has now (`current`: what placement last said, so traits an operator added
/// stay): supported capability traits added, unsupported ones removed, `COMPUTE_NODE` and
/// `OWNER_NOVA` added, `COMPUTE_STATUS_DISABLED` present exactly when the compute service is
/// disabled. Sorted.
pub fn compute_node_traits<'a>(
    current: impl IntoIterator<Item = &'a str>,
    service_disabled: bool,
) -> Vec<String> {
    let mut traits: BTreeSet<&str> = current.into_iter().collect();
    for (trait_name, supported) in FAKE_DRIVER_CAPABILITY_TRAITS {
        if *supported {
            traits.insert(trait_name);
        } else {
            traits.remove(trait_name);
        }
    }
    traits.insert(COMPUTE_NODE);
    traits.insert(OWNER_NOVA);
    if service_disabled {
        traits.insert(COMPUTE_STATUS_DISABLED);
    } else {
        traits.remove(COMPUTE_STATUS_DISABLED);
    }
    traits.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bodies nova-compute 34.0.0 (fake.FakeDriver, default options) sent at its first
    /// start, copied from spec/real-nova-34/captures/placement/compute-startup.json.
    const RECORDED_INVENTORIES: &str = r#"{
        "VCPU": {"total": 1000, "min_unit": 1, "max_unit": 1000, "step_size": 1,
                 "allocation_ratio": 4.0, "reserved": 0},
        "MEMORY_MB": {"total": 800000, "min_unit": 1, "max_unit": 800000, "step_size": 1,
                      "allocation_ratio": 1.0, "reserved": 512},
        "DISK_GB": {"total": 600000, "min_unit": 1, "max_unit": 600000, "step_size": 1,
                    "allocation_ratio": 1.0, "reserved": 0}}"#;
    const RECORDED_TRAITS: &[&str] = &[
        "COMPUTE_VOLUME_MULTI_ATTACH",
        "COMPUTE_TRUSTED_CERTS",
        "COMPUTE_IMAGE_TYPE_RAW",
        "COMPUTE_VOLUME_EXTEND",
        "COMPUTE_DEVICE_TAGGING",
        "COMPUTE_STORAGE_VIRTIO_FS",
        "COMPUTE_MEM_BACKING_FILE",
        "OWNER_NOVA",
        "COMPUTE_VOLUME_ATTACH_WITH_TAG",
        "COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG",
        "COMPUTE_NET_ATTACH_INTERFACE",
        "COMPUTE_ACCELERATORS",
        "COMPUTE_SECURITY_STATELESS_FIRMWARE",
        "COMPUTE_ADDRESS_SPACE_EMULATED",
        "COMPUTE_NODE",
        "COMPUTE_ADDRESS_SPACE_PASSTHROUGH",
    ];

    #[test]
    fn the_default_fake_node_inventory_is_the_one_nova_34_put() {
        // nova.conf defaults: reserved_host_memory_mb 512, the others 0; initial ratios
        // 4.0 / 1.0 / 1.0; FakeDriver's 1000 vCPUs, 800000 MB, 600000 GB.
        let inventory = compute_node_inventory(
            NodeSize {
                vcpus: 1000,
                memory_mb: 800_000,
                local_gb: 600_000,
            },
            NodeReserved {
                cpus: 0,
                memory_mb: 512,
                disk_mb: 0,
            },
            NodeRatios {
                cpu: allocation_ratio(None, 4.0, None),
                ram: allocation_ratio(None, 1.0, None),
                disk: allocation_ratio(None, 1.0, None),
            },
        );
        let recorded: serde_json::Value = serde_json::from_str(RECORDED_INVENTORIES).expect("json");
        assert_eq!(serde_json::to_value(&inventory).expect("json"), recorded);
    }

    #[test]
    fn the_fake_node_traits_are_the_ones_nova_34_put() {
        let mut expected: Vec<String> = RECORDED_TRAITS.iter().map(|t| (*t).to_owned()).collect();
        expected.sort();
        assert_eq!(compute_node_traits([], false), expected);
        assert_eq!(expected.len(), 16);
    }

    #[test]
    fn traits_keep_the_operators_drop_unsupported_and_follow_the_service_state() {
        let disabled = compute_node_traits(["CUSTOM_RACK_7", "COMPUTE_IMAGE_TYPE_QCOW2"], true);
        assert!(disabled.iter().any(|t| t == "CUSTOM_RACK_7"));
        assert!(disabled.iter().any(|t| t == COMPUTE_STATUS_DISABLED));
        assert!(!disabled.iter().any(|t| t == "COMPUTE_IMAGE_TYPE_QCOW2"));
        let enabled = compute_node_traits(disabled.iter().map(String::as_str), false);
        assert!(!enabled.iter().any(|t| t == COMPUTE_STATUS_DISABLED));
        assert_eq!(enabled.len(), 17);
    }

    #[test]
    fn reserved_disk_rounds_up_to_whole_gigabytes_and_ratios_follow_novas_precedence() {
        assert_eq!(mb_to_ceil_gb(0), 0);
        assert_eq!(mb_to_ceil_gb(1), 1);
        assert_eq!(mb_to_ceil_gb(1024), 1);
        assert_eq!(mb_to_ceil_gb(1025), 2);
        let inventory = compute_node_inventory(
            NodeSize {
                vcpus: 8,
                memory_mb: 4096,
                local_gb: 0,
            },
            NodeReserved {
                cpus: 2,
                memory_mb: 0,
                disk_mb: 2049,
            },
            NodeRatios {
                cpu: 16.0,
                ram: 1.5,
                disk: 1.0,
            },
        );
        let vcpu = inventory.get(VCPU).expect("VCPU");
        assert_eq!((vcpu.total, vcpu.max_unit, vcpu.reserved), (8, 8, 2));
        assert_eq!(vcpu.allocation_ratio, 16.0);
        assert_eq!(inventory.get(MEMORY_MB).expect("RAM").allocation_ratio, 1.5);
        assert!(inventory.get(DISK_GB).is_none(), "total 0 is left out");

        assert_eq!(allocation_ratio(Some(2.0), 4.0, Some(8.0)), 2.0);
        assert_eq!(allocation_ratio(Some(0.0), 4.0, Some(8.0)), 8.0);
        assert_eq!(allocation_ratio(None, 4.0, Some(8.0)), 8.0);
        assert_eq!(allocation_ratio(None, 4.0, None), 4.0);
    }
}
