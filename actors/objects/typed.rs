//! The slice's objects as typed structs, converted to and from their `nova_object`
//! primitives: `Flavor` (1.2), `RequestSpec` (1.15, carrying a `Flavor`, an
//! `InstanceGroup` and a `Destination` (1.4)), `Selection` (1.1),
//! `BuildRequest` (1.3, carrying an `Instance` primitive).
//! Field names are Nova's; fields novactor does not use are not carried.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope::{NovaObject, ObjectError};
use super::instance_group::{null_as_default, InstanceGroup};
use crate::db::FlavorRow;

/// A typed Nova object.
pub trait TypedObject: Serialize + DeserializeOwned {
    /// `nova_object.name`.
    const NAME: &'static str;
    /// `nova_object.version` novactor sends.
    const VERSION: &'static str;

    /// The primitive, with nested objects as primitives.
    fn to_primitive(&self) -> Value {
        let data = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        NovaObject::new(Self::NAME, Self::VERSION, self.nest(data)).to_primitive()
    }

    /// Read a primitive of this class.
    fn from_primitive(value: &Value) -> Result<Self, ObjectError> {
        let object = NovaObject::from_primitive(value)?;
        if object.name != Self::NAME {
            return Err(ObjectError::Malformed(format!(
                "expected a {} object, got {}",
                Self::NAME,
                object.name
            )));
        }
        let data = Self::unnest(object.data)?;
        serde_json::from_value(Value::Object(data))
            .map_err(|e| ObjectError::Malformed(format!("{}: {e}", Self::NAME)))
    }

    /// Turn nested typed fields into primitives (default: none).
    fn nest(&self, data: Map<String, Value>) -> Map<String, Value> {
        data
    }

    /// Turn nested primitives back into plain data (default: none).
    fn unnest(data: Map<String, Value>) -> Result<Map<String, Value>, ObjectError> {
        Ok(data)
    }
}

/// Nova `Flavor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    /// Database id.
    pub id: i64,
    /// API id (`1` … `5` for the defaults).
    pub flavorid: String,
    /// Name, e.g. `m1.small`.
    pub name: String,
    /// RAM in MiB.
    pub memory_mb: i64,
    /// vCPUs.
    pub vcpus: i64,
    /// Root disk GiB.
    pub root_gb: i64,
    /// Ephemeral disk GiB.
    pub ephemeral_gb: i64,
    /// Swap MiB.
    pub swap: i64,
    /// Network factor.
    #[serde(default = "one")]
    pub rxtx_factor: f64,
    /// Public flavor.
    #[serde(default = "yes")]
    pub is_public: bool,
    /// Disabled flavor.
    #[serde(default)]
    pub disabled: bool,
    /// Extra specs.
    #[serde(default)]
    pub extra_specs: Map<String, Value>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

impl Flavor {
    /// The flavor of a `flavors` row, without extra specs.
    pub fn from_row(row: &FlavorRow) -> Self {
        Self {
            id: row.id,
            flavorid: row.flavorid.clone(),
            name: row.name.clone(),
            memory_mb: row.memory_mb,
            vcpus: row.vcpus,
            root_gb: row.root_gb.unwrap_or(0),
            ephemeral_gb: row.ephemeral_gb,
            swap: row.swap,
            rxtx_factor: row.rxtx_factor,
            is_public: row.is_public,
            disabled: row.disabled,
            extra_specs: Map::new(),
        }
    }

    /// Disk the flavor takes on a host, in GiB (root + ephemeral + swap rounded up).
    /// Saturating: the fields come from the wire, and no i64 may overflow (found by
    /// tests/fuzz/nova_objects: `swap` = 2^63 − 1 panicked the scheduler).
    pub fn disk_gb(&self) -> i64 {
        self.root_gb
            .saturating_add(self.ephemeral_gb)
            .saturating_add(self.swap.saturating_add(1023) / 1024)
    }
}

impl TypedObject for Flavor {
    const NAME: &'static str = "Flavor";
    const VERSION: &'static str = "1.2";
}

/// Nova `RequestSpec`: what the scheduler places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestSpec {
    /// The (first) instance's uuid.
    pub instance_uuid: String,
    /// Instances in this request (multi-create).
    pub num_instances: i64,
    /// The flavor asked for.
    pub flavor: Flavor,
    /// Image properties (Nova's `ImageMeta`, kept as a map).
    #[serde(default)]
    pub image: Map<String, Value>,
    /// Requested availability zone.
    #[serde(default)]
    pub availability_zone: Option<String>,
    /// Hosts not to use (earlier attempts).
    #[serde(default)]
    pub ignore_hosts: Option<Vec<String>>,
    /// Where a request must land (Nova `Destination`: a 2.74 create's `host` /
    /// `hypervisor_hostname`, a cold migration's 2.56 `host`, a 2.91 unshelve's `host`).
    #[serde(default)]
    pub requested_destination: Option<Destination>,
    /// Hosts an admin forced at create (`availability_zone` `az:host[:node]`): the
    /// scheduler keeps only them and skips its filters (Nova `force_hosts`).
    #[serde(default)]
    pub force_hosts: Option<Vec<String>>,
    /// Nodes an admin forced at create (`az:host:node`, `az::node`; Nova `force_nodes`).
    #[serde(default)]
    pub force_nodes: Option<Vec<String>>,
    /// Owner project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Owner user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Nova's `scheduler_hints`: a dict of lists of strings (`same_host`,
    /// `different_host`, `group`), as `RequestSpec._from_hints` makes it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub scheduler_hints: Map<String, Value>,
    /// The server group the instances join (hint `group`), as an `InstanceGroup` object.
    #[serde(default)]
    pub instance_group: Option<InstanceGroup>,
}

/// Nova `Destination` (1.4): the host (and node) a move is pinned to; the scheduler keeps
/// only that host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// The compute host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl TypedObject for Destination {
    const NAME: &'static str = "Destination";
    const VERSION: &'static str = "1.4";
}

impl RequestSpec {
    /// Nova `RequestSpec.reset_forced_destinations`: a move of a server booted on a forced
    /// host is scheduled through the filters like any other (the forced host was the
    /// create's, not the server's for ever).
    pub fn reset_forced_destinations(&mut self) {
        self.force_hosts = None;
        self.force_nodes = None;
    }

    /// Nova `RequestSpec.get_scheduler_hint`: the strings of hint `name` (none when unset).
    pub fn scheduler_hint(&self, name: &str) -> Vec<&str> {
        match self.scheduler_hints.get(name) {
            Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(value)) => vec![value.as_str()],
            _ => Vec::new(),
        }
    }
}

impl TypedObject for RequestSpec {
    const NAME: &'static str = "RequestSpec";
    const VERSION: &'static str = "1.15";

    fn nest(&self, mut data: Map<String, Value>) -> Map<String, Value> {
        data.insert("flavor".into(), self.flavor.to_primitive());
        if let Some(group) = &self.instance_group {
            data.insert("instance_group".into(), group.to_primitive());
        }
        if let Some(destination) = &self.requested_destination {
            data.insert("requested_destination".into(), destination.to_primitive());
        }
        data
    }

    fn unnest(mut data: Map<String, Value>) -> Result<Map<String, Value>, ObjectError> {
        for nested in ["flavor", "instance_group", "requested_destination"] {
            if let Some(object) = data.get(nested).filter(|v| !v.is_null()).cloned() {
                let object = NovaObject::from_primitive(&object)?;
                data.insert(nested.into(), Value::Object(object.data));
            }
        }
        Ok(data)
    }
}

impl TypedObject for InstanceGroup {
    const NAME: &'static str = "InstanceGroup";
    const VERSION: &'static str = "1.11";
}

/// Nova `Selection`: one host chosen for an instance (the first of a list; the rest are
/// alternates for a reschedule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Compute host.
    pub service_host: String,
    /// Hypervisor node.
    pub nodename: String,
    /// The node's uuid.
    pub compute_node_uuid: String,
    /// Cell (novactor has one).
    #[serde(default)]
    pub cell_uuid: Option<String>,
    /// Limits the compute re-checks in its claim (`memory_mb`, `disk_gb`, `vcpu`).
    #[serde(default)]
    pub limits: Option<Map<String, Value>>,
    /// The host's availability zone.
    #[serde(default)]
    pub availability_zone: Option<String>,
}

impl TypedObject for Selection {
    const NAME: &'static str = "Selection";
    const VERSION: &'static str = "1.1";
}

/// Nova `BuildRequest`: an instance the api asks the conductor to schedule and build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildRequest {
    /// The instance's uuid.
    pub instance_uuid: String,
    /// The instance, as its `Instance` primitive.
    pub instance: Value,
    /// Owner project.
    pub project_id: String,
}

impl TypedObject for BuildRequest {
    const NAME: &'static str = "BuildRequest";
    const VERSION: &'static str = "1.3";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Flavor {
        Flavor {
            id: 2,
            flavorid: "2".into(),
            name: "m1.small".into(),
            memory_mb: 2048,
            vcpus: 1,
            root_gb: 20,
            ephemeral_gb: 0,
            swap: 0,
            rxtx_factor: 1.0,
            is_public: true,
            disabled: false,
            extra_specs: Map::new(),
        }
    }

    #[test]
    fn a_request_spec_round_trips_with_its_nested_flavor() {
        let spec = RequestSpec {
            instance_uuid: "u1".into(),
            num_instances: 2,
            flavor: small(),
            image: Map::new(),
            availability_zone: None,
            ignore_hosts: Some(vec!["a".into()]),
            project_id: Some("p".into()),
            user_id: None,
            scheduler_hints: serde_json::json!({"same_host": ["u0"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            instance_group: Some(InstanceGroup {
                uuid: "g1".into(),
                policy: Some("affinity".into()),
                members: vec!["u1".into()],
                ..InstanceGroup::default()
            }),
            requested_destination: Some(Destination {
                host: Some("h2".into()),
                node: None,
            }),
            force_hosts: Some(vec!["h3".into()]),
            force_nodes: None,
        };
        let primitive = spec.to_primitive();
        assert_eq!(primitive["nova_object.name"], "RequestSpec");
        assert_eq!(
            primitive["nova_object.data"]["flavor"]["nova_object.name"],
            "Flavor"
        );
        assert_eq!(
            primitive["nova_object.data"]["instance_group"]["nova_object.name"],
            "InstanceGroup"
        );
        assert_eq!(RequestSpec::from_primitive(&primitive).unwrap(), spec);
        assert_eq!(spec.scheduler_hint("same_host"), ["u0"]);
        assert!(spec.scheduler_hint("group").is_empty());
    }

    #[test]
    fn a_build_request_is_the_envelope_the_api_always_sent() {
        let request = BuildRequest {
            instance_uuid: "u1".into(),
            instance: serde_json::json!({"nova_object.name": "Instance"}),
            project_id: "p".into(),
        };
        // Byte for byte, key order included, what compute_api built by hand before.
        let before = serde_json::json!({
            "nova_object.name": "BuildRequest", "nova_object.namespace": "nova", "nova_object.version": "1.3",
            "nova_object.data": {"instance_uuid": "u1", "instance": {"nova_object.name": "Instance"}, "project_id": "p"},
            "nova_object.changes": [],
        });
        let primitive = request.to_primitive();
        assert_eq!(primitive.to_string(), before.to_string());
        assert_eq!(BuildRequest::from_primitive(&primitive).unwrap(), request);
    }

    #[test]
    fn wrong_class_or_fields_are_errors() {
        let flavor = small().to_primitive();
        assert!(Selection::from_primitive(&flavor).is_err());
        let mut broken = flavor.clone();
        broken["nova_object.data"]["memory_mb"] = Value::String("lots".into());
        assert!(Flavor::from_primitive(&broken).is_err());
        assert_eq!(small().disk_gb(), 20);
    }
}
