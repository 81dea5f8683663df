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
//!
//! `world`: the actors the RPC target calls; `calls`: the calls it generates.

mod calls;
mod world;

use std::time::Duration;

use crate::support::*;
use calls::*;
use novactor::rpc::{CallError, RequestContext, RpcClient};
use novactor_nova::objects::{Flavor, NovaObject, RequestSpec, Selection, TypedObject};
use novactor_nova::rpcapi::compute::instance_from;
use novactor_nova::rpcapi::conductor::object_from;
use serde_json::{json, Value};
use world::*;

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
