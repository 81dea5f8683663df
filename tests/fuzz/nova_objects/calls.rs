//! The RPC calls that carry a mutated object: which method, which object kind, and the
//! other arguments as Nova sends them or random.

use novactor::rpc::RpcClient;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};

use super::world::World;
use super::{KEYS, STRINGS};
use crate::support::{json_value, mutation, tweaks, Mutation, Seed};

/// One RPC call carrying a mutated object.
#[derive(Debug, Clone)]
pub(super) struct ObjectCall {
    kind: Index,
    /// Mostly an object of the kind the method takes, else any seed.
    matching: bool,
    object: Mutation,
    method: Index,
    extra: Value,
    /// The other arguments random too (else as Nova sends them).
    flag: bool,
}

pub(super) const CALLS: &[&str] = &[
    "object_action",
    "object_class_action_versions",
    "select_destinations",
    "update_instance_info",
    "build_and_run_instance",
    "stop_instance",
    "start_instance",
    "reboot_instance",
];

pub(super) const OBJ_METHODS: &[&str] = &[
    "save",
    "create",
    "destroy",
    "get_by_uuid",
    "get_by_host_and_binary",
    "get_by_id",
    "get_by_host",
    "get_by_host_and_nodename",
    "get_all_by_host",
    "refresh",
    "",
];

pub(super) const OBJ_NAMES: &[&str] = &[
    "Service",
    "Instance",
    "InstanceList",
    "ComputeNode",
    "ComputeNodeList",
    "InstanceFault",
    "Flavor",
    "x",
];

/// The seeds a method takes (file-name prefixes).
pub(super) fn matching_seeds(seeds: &[Seed], call: &str) -> Vec<Seed> {
    let prefixes: &[&str] = match call {
        "object_action" => &["instance", "service", "computenode", "instancefault"],
        "select_destinations" => &["requestspec"],
        "update_instance_info" => &["instancelist"],
        "object_class_action_versions" => &[""],
        _ => &[
            "instance.json",
            "instance_with_changes.json",
            "instance_regression",
        ],
    };
    seeds
        .iter()
        .filter(|s| prefixes.iter().any(|p| s.name.starts_with(p)))
        .cloned()
        .collect()
}

impl ObjectCall {
    pub(super) fn object(&self, seeds: &[Seed], by_call: &[Vec<Seed>], tokens: &[&[u8]]) -> Value {
        let seeds = if self.matching {
            &by_call[self.kind.index(CALLS.len())]
        } else {
            seeds
        };
        let bytes = self.object.apply(seeds, tokens);
        serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// (client, method, version, args) of this call.
    pub(super) fn request<'a>(
        &self,
        world: &'a World,
        object: Value,
    ) -> (&'a RpcClient, &'static str, &'static str, Value) {
        let kind: &str = self.kind.get::<&str>(CALLS);
        let method: &str = self.method.get::<&str>(OBJ_METHODS);
        request_to(world, kind, method, object, &self.extra, self.flag)
    }
}

/// (client, method, version, args) of a call of `kind` carrying `object`; `method` is the
/// object method of the conductor's calls; with `flag`, the other arguments come from
/// `extra` too, else they are what Nova sends.
pub(super) fn request_to<'a>(
    world: &'a World,
    kind: &str,
    method: &str,
    object: Value,
    random: &Value,
    flag: bool,
) -> (&'a RpcClient, &'static str, &'static str, Value) {
    let extra = |key: &str| random.get(key).cloned().unwrap_or(Value::Null);
    {
        match kind {
            "object_action" => (
                &world.conductor,
                "object_action",
                "3.0",
                json!({"objinst": object, "objmethod": method, "args": [],
                       "kwargs": if flag { random.clone() } else { json!({"expected_task_state": extra("expected_task_state"), "expected_vm_state": extra("expected_vm_state")}) }}),
            ),
            "object_class_action_versions" => {
                let name = object
                    .get("nova_object.name")
                    .cloned()
                    .unwrap_or_else(|| json!(OBJ_NAMES[method.len() % OBJ_NAMES.len()]));
                let data = object.get("nova_object.data").cloned().unwrap_or(object);
                let args = match data {
                    Value::Object(map) => {
                        Value::Array(map.into_iter().map(|(_, v)| v).take(2).collect())
                    }
                    other => json!([other]),
                };
                (
                    &world.conductor,
                    "object_class_action_versions",
                    "3.0",
                    json!({"objname": name, "objmethod": method, "object_versions": {},
                           "args": if flag { extra("args") } else { args }, "kwargs": extra("kwargs")}),
                )
            }
            "select_destinations" => (
                &world.scheduler,
                "select_destinations",
                "4.5",
                json!({"spec_obj": object, "instance_uuids": if flag { extra("instance_uuids") } else { json!([]) },
                       "return_objects": flag, "return_alternates": true}),
            ),
            "build_and_run_instance" => (
                &world.compute,
                "build_and_run_instance",
                "6.0",
                json!({"instance": object, "image": {}, "request_spec": if flag { extra("request_spec") } else { Value::Null },
                       "filter_properties": if flag { extra("filter_properties") } else { json!({}) },
                       "admin_password": null, "injected_files": [], "requested_networks": null,
                       "security_groups": [], "block_device_mapping": [], "node": "fuzz",
                       "limits": if flag { extra("limits") } else { json!({"memory_mb": 800000, "disk_gb": 600000, "vcpu": 4000}) },
                       "host_list": if flag { extra("host_list") } else { json!([]) }, "accel_uuids": []}),
            ),
            "stop_instance" => (
                &world.compute,
                "stop_instance",
                "6.0",
                json!({"instance": object, "clean_shutdown": if flag { extra("clean_shutdown") } else { json!(true) }}),
            ),
            "start_instance" => (
                &world.compute,
                "start_instance",
                "6.0",
                json!({"instance": object}),
            ),
            "reboot_instance" => (
                &world.compute,
                "reboot_instance",
                "6.0",
                json!({"instance": object, "block_device_info": null,
                       "reboot_type": if flag { extra("reboot_type") } else { json!("HARD") }}),
            ),
            _ => (
                &world.scheduler,
                "update_instance_info",
                "4.2",
                json!({"host_name": if flag { extra("host_name") } else { json!("node1") }, "instance_info": object}),
            ),
        }
    }
}

pub(super) fn object_call() -> impl Strategy<Value = ObjectCall> {
    let keys: Vec<String> = KEYS
        .iter()
        .chain(&[
            "expected_task_state",
            "expected_vm_state",
            "args",
            "kwargs",
            "instance_uuids",
            "host_name",
        ])
        .map(|k| (*k).to_owned())
        .collect();
    let strings: Vec<String> = crate::support::STRINGS
        .iter()
        .chain(STRINGS)
        .map(|s| (*s).to_owned())
        .collect();
    (
        any::<Index>(),
        prop::bool::weighted(0.8),
        prop_oneof![3 => tweaks(STRINGS).boxed(), 2 => mutation(KEYS, STRINGS).boxed()],
        any::<Index>(),
        json_value(keys, strings),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(kind, matching, object, method, extra, flag)| ObjectCall {
            kind,
            matching,
            object,
            method,
            extra,
            flag,
        })
}
