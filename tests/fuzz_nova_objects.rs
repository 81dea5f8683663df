//! Bad input, target 2: Nova's object deserializer, the `nova_object.*` primitives RPC
//! arguments and conductor replies carry, turned into `NovaObject`s and the typed
//! `Flavor` / `RequestSpec` / `Selection`:
//! - the decoders themselves (`NovaObject::from_primitive`, `TypedObject::from_primitive`,
//!   the compute API's `rpcapi::compute::instance_from`, the conductor proxy's
//!   `rpcapi::conductor::object_from`), with a round trip for whatever decodes;
//! - the RPC methods that take objects from the wire, called over the memory transport on
//!   a conductor and a scheduler with a SQLite database: `object_action` (the object's
//!   fields become SQL values), `object_class_action_versions`, `select_destinations`
//!   (a `RequestSpec` drives the filters and the resource claims) and
//!   `update_instance_info` (an `InstanceList`). Every call gets a result or a failure
//!   (never a handler panic or a timeout) and no actor restarts.
//!
//! Corpus `tests/corpus/nova_objects/`: primitives novactor's actors sent during a boot,
//! stop, start, reboot and delete (extracted from the published bodies), plus a saved
//! `Service`, a saved `ComputeNode` and an `InstanceFault`.

#[path = "fuzz_support/mod.rs"]
mod fuzz_support;

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::Duration;

use fuzz_support::*;
use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{CallError, RequestContext, RpcClient};
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::{
    ComputeNodeValues, DbServiceGroup, NovaDb, INSTANCE_UPDATABLE_COLUMNS, SERVICE_VERSION,
};
use novactor_nova::objects::{Flavor, NovaObject, RequestSpec, Selection, TypedObject};
use novactor_nova::rpcapi::compute::instance_from;
use novactor_nova::rpcapi::conductor::object_from;
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::ConductorApi;
use novactor_nova::rpcapi::SchedulerApi;
use novactor_nova::{definitions, NovaService};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Map, Value};

const TARGET: &str = "nova_objects";

/// Field names of the slice's objects and of their envelope.
const KEYS: &[&str] = &[
    "nova_object.name",
    "nova_object.namespace",
    "nova_object.version",
    "nova_object.data",
    "nova_object.changes",
    "id",
    "uuid",
    "host",
    "binary",
    "topic",
    "report_count",
    "disabled",
    "disabled_reason",
    "forced_down",
    "version",
    "vm_state",
    "task_state",
    "power_state",
    "display_name",
    "launched_at",
    "flavor",
    "objects",
    "instance_uuid",
    "num_instances",
    "memory_mb",
    "vcpus",
    "root_gb",
    "ephemeral_gb",
    "swap",
    "rxtx_factor",
    "extra_specs",
    "ignore_hosts",
    "service_host",
    "nodename",
    "compute_node_uuid",
    "limits",
    "hypervisor_hostname",
    "vcpus_used",
    "memory_mb_used",
    "local_gb",
    "local_gb_used",
    "cpu_allocation_ratio",
    "stats",
    "code",
    "message",
    "details",
];

const STRINGS: &[&str] = &[
    "nova",
    "Instance",
    "InstanceList",
    "Service",
    "ComputeNode",
    "Flavor",
    "RequestSpec",
    "Selection",
    "InstanceFault",
    "1.0",
    "2.8",
    "building",
    "active",
    "deleting",
    "spawning",
    "error",
    "node1",
    "nova-compute",
    "a44106e8-2262-4fe2-85db-d00c40730322",
    "2024-05-01T12:00:00.000000",
    "2024-05-01T12:00:00Z",
    "9999-12-31T23:59:59.999999",
    "0000-00-00 00:00:00",
];

/// Every decoder of a primitive; whatever decodes must encode back to itself.
fn decode_object(value: &Value) -> Result<(), String> {
    if let Ok(object) = NovaObject::from_primitive(value) {
        let again = NovaObject::from_primitive(&object.to_primitive())
            .map_err(|e| format!("a re-encoded object does not decode: {e}"))?;
        if again != object {
            return Err(format!("re-encoding changed {object:?} into {again:?}"));
        }
        // Nested objects, as the scheduler reads an InstanceList and the conductor a
        // BuildRequest's instance.
        for nested in object.data.values() {
            let items = match nested {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                if item.get("nova_object.name").is_some() {
                    let _ = NovaObject::from_primitive(item);
                }
            }
        }
    }
    let _ = object_from(value);
    if let Ok(instance) = instance_from(value) {
        if !instance.changes.is_empty() || instance.get("uuid").as_str().is_none() {
            return Err(format!(
                "instance_from kept changes or lost the uuid: {instance:?}"
            ));
        }
    }
    typed::<Flavor>(value)?;
    typed::<RequestSpec>(value)?;
    typed::<Selection>(value)
}

fn typed<T: TypedObject + PartialEq + std::fmt::Debug>(value: &Value) -> Result<(), String> {
    if let Ok(object) = T::from_primitive(value) {
        let again = T::from_primitive(&object.to_primitive())
            .map_err(|e| format!("a re-encoded {} does not decode: {e}", T::NAME))?;
        if again != object {
            return Err(format!("re-encoding changed {object:?} into {again:?}"));
        }
    }
    Ok(())
}

fn tokens() -> Vec<&'static [u8]> {
    let mut tokens = BYTE_TOKENS.to_vec();
    tokens.extend_from_slice(&[b"\"nova_object.data\": ", b"\"nova_object.changes\": ["]);
    tokens
}

#[test]
fn every_corpus_object_decodes() {
    let seeds = corpus(TARGET);
    replay(TARGET, &seeds, |seed| {
        let value: Value = serde_json::from_slice(&seed.bytes).map_err(|e| e.to_string())?;
        let object = NovaObject::from_primitive(&value).map_err(|e| e.to_string())?;
        match object.name.as_str() {
            "Flavor" => Flavor::from_primitive(&value).map(drop),
            "RequestSpec" => RequestSpec::from_primitive(&value).map(drop),
            "Selection" => Selection::from_primitive(&value).map(drop),
            _ => Ok(()),
        }
        .map_err(|e| e.to_string())?;
        decode_object(&value)
    });
}

#[test]
fn mutated_primitives_are_decoded_or_refused_never_a_panic() {
    let seeds = corpus(TARGET);
    let tokens = tokens();
    fuzz(
        "nova objects: mutated primitives",
        "fuzz_nova_objects",
        8000,
        Duration::from_secs(15),
        Duration::from_secs(5),
        mutation(KEYS, STRINGS),
        |mutation, watch| {
            let bytes = mutation.apply(&seeds, &tokens);
            watch.input(&bytes);
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => {
                    decode_object(&value).map_err(|e| format!("{e}\ninput: {}", show(&bytes)))
                }
                Err(_) => Ok(()),
            }
        },
    );
}

/// A conductor, a scheduler and a compute (fake driver, host `fuzz`) on SQLite, with a
/// second up compute host and the corpus's instances in the database, so that mutated
/// objects reach real rows.
struct World {
    system: actix_rt::SystemRunner,
    node: Node,
    conductor: RpcClient,
    scheduler: RpcClient,
    compute: RpcClient,
    db: NovaDb,
    _state: tempfile::TempDir,
}

fn world(seeds: &[Seed]) -> World {
    let state = tempfile::tempdir().expect("a temporary directory");
    let state_path = state.path().to_str().expect("UTF-8 path").to_owned();
    let config = NovaConfig::with_overrides(&[
        ("DEFAULT", "host", "fuzz"),
        ("DEFAULT", "state_path", &state_path),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "rpc_response_timeout", "20"),
    ])
    .expect("config");
    let system = actix_rt::System::new();
    let db = system
        .block_on(novactor_nova::db::open(&config))
        .expect("SQLite");
    let node = system.block_on(async {
        seed_database(&db, seeds).await;
        let env = RuntimeEnv::new(
            Arc::clone(config.runtime()),
            Arc::new(MemoryTransport::new()),
            Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION)),
        );
        let services = definitions(
            &config,
            &[
                NovaService::Conductor,
                NovaService::Scheduler,
                NovaService::Compute,
            ],
            Some(&db),
        )
        .expect("definitions");
        let node = Node::start_with(env, services).await.expect("node starts");
        // The compute registers its node through the conductor once it runs.
        let started = std::time::Instant::now();
        while db
            .compute_node_get_by_host_and_nodename("fuzz", "fuzz")
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the compute never registered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        node
    });
    let conductor = node.client(ConductorApi::target());
    let scheduler = node.client(SchedulerApi::target());
    let compute = node.client(ComputeApi::target()).with_server("fuzz");
    World {
        system,
        node,
        conductor,
        scheduler,
        compute,
        db,
        _state: state,
    }
}

async fn seed_database(db: &NovaDb, seeds: &[Seed]) {
    let service = db
        .service_create("node1", "nova-compute", Some("compute"), SERVICE_VERSION)
        .await
        .expect("service row");
    db.service_report(service.id).await.expect("heartbeat");
    let values = ComputeNodeValues {
        service_id: Some(service.id),
        vcpus: Some(8),
        memory_mb: Some(16384),
        local_gb: Some(100),
        vcpus_used: Some(0),
        memory_mb_used: Some(0),
        local_gb_used: Some(0),
        ..ComputeNodeValues::default()
    };
    db.compute_node_create("node1", "node1", &values)
        .await
        .expect("compute node row");
    // The instances of the corpus, by their uuids.
    let mut instances = Vec::new();
    for seed in seeds {
        let Ok(value) = serde_json::from_slice::<Value>(&seed.bytes) else {
            continue;
        };
        collect_instances(&value, &mut instances);
    }
    for data in instances {
        let mut values: Map<String, Value> = data
            .iter()
            .filter(|(k, _)| INSTANCE_UPDATABLE_COLUMNS.contains(&k.as_str()) || *k == "uuid")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        values.insert("host".into(), json!("node1"));
        let uuid = values.get("uuid").cloned();
        if db.instance_create(&values).await.is_err() {
            // Already there (the same instance appears in several seeds).
            assert!(uuid.is_some());
        }
    }
}

fn collect_instances(value: &Value, out: &mut Vec<Map<String, Value>>) {
    match value {
        Value::Object(map) => {
            if map.get("nova_object.name") == Some(&json!("Instance")) {
                if let Some(Value::Object(data)) = map.get("nova_object.data") {
                    out.push(data.clone());
                }
            }
            map.values().for_each(|v| collect_instances(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_instances(v, out)),
        _ => {}
    }
}

/// One RPC call carrying a mutated object.
#[derive(Debug, Clone)]
struct ObjectCall {
    kind: Index,
    /// Mostly an object of the kind the method takes, else any seed.
    matching: bool,
    object: Mutation,
    method: Index,
    extra: Value,
    /// The other arguments random too (else as Nova sends them).
    flag: bool,
}

const CALLS: &[&str] = &[
    "object_action",
    "object_class_action_versions",
    "select_destinations",
    "update_instance_info",
    "build_and_run_instance",
    "stop_instance",
    "start_instance",
    "reboot_instance",
];

const OBJ_METHODS: &[&str] = &[
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

const OBJ_NAMES: &[&str] = &[
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
fn matching_seeds(seeds: &[Seed], call: &str) -> Vec<Seed> {
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
    fn object(&self, seeds: &[Seed], by_call: &[Vec<Seed>], tokens: &[&[u8]]) -> Value {
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
    fn request<'a>(
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
fn request_to<'a>(
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

fn object_call() -> impl Strategy<Value = ObjectCall> {
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
    let strings: Vec<String> = fuzz_support::STRINGS
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

#[test]
fn rpc_calls_with_mutated_objects_get_a_result_or_a_failure_never_a_crash() {
    let seeds = corpus(TARGET);
    let tokens = tokens();
    let by_call: Vec<Vec<Seed>> = CALLS.iter().map(|c| matching_seeds(&seeds, c)).collect();
    let world = world(&seeds);
    let cases = std::cell::Cell::new(0u32);
    let outcomes = std::cell::RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    let ctx = RequestContext::new()
        .with("user_id", "admin")
        .with("project_id", "admin")
        .with("is_admin", true);
    // Sends one call; a result or a refusal of any class is fine, a handler panic (a
    // RuntimeError saying so), a timeout or a transport error is not.
    let send = |client: &RpcClient, method: &str, version: &str, args: Value, watch: &Watch| {
        let shown = args.to_string();
        watch.input(shown.as_bytes());
        // Nested deeper than serde_json reads (128 levels), the payload is unreadable: the
        // server rejects it unanswered, as the envelope target checks. Not sent.
        if serde_json::from_str::<Value>(&json!({ "args": args }).to_string()).is_err() {
            *outcomes
                .borrow_mut()
                .entry("unreadable, not sent".into())
                .or_default() += 1;
            return Ok(());
        }
        let outcome = world
            .system
            .block_on(client.with_version(version).call(&ctx, method, args));
        let class = match &outcome {
            Ok(_) => "ok".to_owned(),
            Err(CallError::Remote(failure)) => failure.class.clone(),
            Err(_) => "error".to_owned(),
        };
        *outcomes
            .borrow_mut()
            .entry(format!("{method}: {class}"))
            .or_default() += 1;
        match outcome {
            Ok(_) => Ok(()),
            Err(CallError::Remote(failure)) if !failure.message.contains("panicked") => Ok(()),
            Err(error) => Err(format!("{method}({}) → {error}", show(shown.as_bytes()))),
        }
    };
    // Every seed verbatim to every method that takes its kind, with Nova's other arguments.
    replay(TARGET, &seeds, |seed| {
        let object: Value = serde_json::from_slice(&seed.bytes).map_err(|e| e.to_string())?;
        for (kind, matching) in CALLS.iter().zip(&by_call) {
            if matching.iter().any(|m| m.name == seed.name) {
                let (client, method, version, args) =
                    request_to(&world, kind, "save", object.clone(), &json!({}), false);
                send(client, method, version, args, &Watch::detached())?;
            }
        }
        Ok(())
    });
    fuzz(
        "nova objects: RPC calls with mutated objects",
        "fuzz_nova_objects",
        1500,
        Duration::from_secs(15),
        Duration::from_secs(30),
        object_call(),
        |call, watch| {
            let case = cases.get() + 1;
            cases.set(case);
            if case % 20 == 0 {
                // Destroys and saves of mutated objects leave the corpus's instances
                // deleted or in odd states: bring them back now and then.
                world
                    .system
                    .block_on(world.db.database().execute(
                        "UPDATE instances SET deleted = 0, deleted_at = NULL, task_state = NULL, vm_state = 'active', power_state = 1",
                        &[],
                    ))
                    .expect("instances revived");
            }
            let object = call.object(&seeds, &by_call, &tokens);
            let (client, method, version, args) = call.request(&world, object);
            send(client, method, version, args, watch)
        },
    );
    eprintln!("outcomes: {:#?}", outcomes.borrow());
    let snapshot = world
        .system
        .block_on(world.node.snapshot())
        .expect("snapshot");
    for actor in ["conductor", "scheduler", "compute"] {
        let actor = snapshot.actor(actor).expect("the actor");
        assert_eq!(
            actor.restarts, 0,
            "{} restarted: {:?}",
            actor.name, actor.last_error
        );
    }
}
