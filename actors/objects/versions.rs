//! The object versions this novactor speaks: Nova 34's (`VERSION` of each class in
//! `nova/objects/`), the whole table a Nova 34 compute sends as the `object_versions`
//! manifest of its class actions. A data table; the typed objects carry theirs as
//! `TypedObject::VERSION` too (a unit test keeps both in step).

use serde_json::{Map, Value};

/// `Instance`.
pub const INSTANCE: &str = "2.8";
/// `InstanceList`.
pub const INSTANCE_LIST: &str = "2.6";
/// `Service`.
pub const SERVICE: &str = "1.22";
/// `ComputeNode`.
pub const COMPUTE_NODE: &str = "1.19";
/// `ComputeNodeList`.
pub const COMPUTE_NODE_LIST: &str = "1.17";
/// `InstanceFault`.
pub const INSTANCE_FAULT: &str = "1.2";
/// `Migration`.
pub const MIGRATION: &str = "1.8";
/// `MigrationList`.
pub const MIGRATION_LIST: &str = "1.5";
/// `InstanceActionEvent`.
pub const INSTANCE_ACTION_EVENT: &str = "1.4";
/// `InstanceAction`.
pub const INSTANCE_ACTION: &str = "1.2";

/// Every Nova object class a compute or conductor of Nova 34 moves, with its version.
pub static NOVA_OBJECT_VERSIONS: &[(&str, &str)] = &[
    ("BlockDeviceMapping", "1.21"),
    ("BlockDeviceMappingList", "1.18"),
    ("BuildRequest", "1.3"),
    ("CellMapping", "1.1"),
    ("CellMappingList", "1.1"),
    ("ComputeNode", "1.19"),
    ("ComputeNodeList", "1.17"),
    ("Destination", "1.4"),
    ("DeviceBus", "1.0"),
    ("DeviceMetadata", "1.0"),
    ("EC2Ids", "1.0"),
    ("Flavor", "1.2"),
    ("HVSpec", "1.2"),
    ("ImageMeta", "1.8"),
    ("ImageMetaProps", "1.44"),
    ("Instance", "2.8"),
    ("InstanceAction", "1.2"),
    ("InstanceActionEvent", "1.4"),
    ("InstanceDeviceMetadata", "1.0"),
    ("InstanceFault", "1.2"),
    ("InstanceInfoCache", "1.5"),
    ("InstanceList", "2.6"),
    ("InstanceNUMACell", "1.6"),
    ("InstanceNUMATopology", "1.3"),
    ("InstancePCIRequest", "1.4"),
    ("InstancePCIRequests", "1.1"),
    ("KeyPair", "1.4"),
    ("KeyPairList", "1.3"),
    ("Migration", "1.8"),
    ("MigrationContext", "1.2"),
    ("MigrationList", "1.5"),
    ("NetworkRequest", "1.3"),
    ("NetworkRequestList", "1.1"),
    ("PciDevice", "1.7"),
    ("PciDeviceList", "1.3"),
    ("PciDevicePool", "1.1"),
    ("PciDevicePoolList", "1.1"),
    ("RequestLevelParams", "1.1"),
    ("RequestSpec", "1.15"),
    ("Resource", "1.0"),
    ("ResourceList", "1.0"),
    ("ResourceMetadata", "1.0"),
    ("SchedulerLimits", "1.0"),
    ("SecurityGroup", "1.2"),
    ("SecurityGroupList", "1.1"),
    ("Selection", "1.1"),
    ("Service", "1.22"),
    ("ServiceList", "1.19"),
    ("ShareMapping", "1.2"),
    ("ShareMappingList", "1.1"),
    ("Tag", "1.1"),
    ("TagList", "1.1"),
    ("TrustedCerts", "1.0"),
    ("VirtCPUFeature", "1.0"),
    ("VirtCPUModel", "1.0"),
    ("VirtCPUTopology", "1.0"),
    ("VirtualInterface", "1.3"),
];

/// The version of `class`, if novactor knows the class.
pub fn version_of(class: &str) -> Option<&'static str> {
    NOVA_OBJECT_VERSIONS
        .iter()
        .find(|(name, _)| *name == class)
        .map(|(_, version)| *version)
}

/// The `object_versions` manifest sent with `object_class_action_versions`: oslo sends the
/// tree of the class acted on; the conductor reads only the entries it needs, so the whole
/// table serves every class.
pub fn manifest() -> Value {
    let map: Map<String, Value> = NOVA_OBJECT_VERSIONS
        .iter()
        .map(|(name, version)| ((*name).to_owned(), Value::String((*version).to_owned())))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::compute_node::HvSpec;
    use crate::objects::{BuildRequest, Destination, Flavor, RequestSpec, Selection, TypedObject};

    #[test]
    fn the_constants_and_the_typed_objects_agree_with_the_table() {
        for (class, version) in [
            ("Instance", INSTANCE),
            ("InstanceList", INSTANCE_LIST),
            ("Service", SERVICE),
            ("ComputeNode", COMPUTE_NODE),
            ("ComputeNodeList", COMPUTE_NODE_LIST),
            ("InstanceFault", INSTANCE_FAULT),
            ("InstanceActionEvent", INSTANCE_ACTION_EVENT),
            ("InstanceAction", INSTANCE_ACTION),
            (Flavor::NAME, Flavor::VERSION),
            (Destination::NAME, Destination::VERSION),
            (RequestSpec::NAME, RequestSpec::VERSION),
            (Selection::NAME, Selection::VERSION),
            (BuildRequest::NAME, BuildRequest::VERSION),
            (HvSpec::NAME, HvSpec::VERSION),
        ] {
            assert_eq!(version_of(class), Some(version), "{class}");
        }
        assert_eq!(manifest()["ImageMetaProps"], "1.44");
    }
}
