//! Issue 13's "interop both ways at the object level": novactor's conductor (`novactor run
//! --actors conductor` on a RabbitMQ vhost and a PostgreSQL database of the test's own) is
//! driven by the real `nova` 34.0.0 package's own object classes through Nova's conductor
//! rpcapi, set up as a nova-compute sets them up (`nova_objects_client.py`, run with the
//! real-Nova venv's python). A compute's start-up (Service, ComputeNode), an instance's
//! build steps (`Instance.get_by_uuid` with and without `expected_attrs`, a lazy-loaded
//! flavor, `Instance.save` with `expected_task_state`, `InstanceList.get_by_host`), action
//! events under the API's action, and a destroy: every answer must deserialize into Nova's
//! objects, and the values and exception classes are Nova's, step by step.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::common::process::{command, Running};
use crate::common::{rabbit_url, repository_root, unique, Backend};
use crate::nova::{fresh_nova_db, BIN};
use crate::placement_server::real_nova_venv;
use novactor_nova::objects::Flavor;

const HOST: &str = "objects-compute";
const NODE_UUID: &str = "4f1bd9a6-0c7e-4b5e-9a51-7d1c39d0c0de";
const REQUEST_ID: &str = "req-5d0c3f4e-1b2a-4c6d-8e9f-0a1b2c3d4e5f";
/// Starting the conductor (connect, declare its queues) takes well under a second here.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// The whole Python scenario: imports (~3 s) and some 25 calls; a loaded box may be slower.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(300);

fn rabbitmqctl(args: &[&str]) -> Result<(), String> {
    let output = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .map_err(|e| format!("rabbitmqctl does not run: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "rabbitmqctl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A RabbitMQ vhost of the test's own, guest allowed everything; deleted when dropped.
struct Vhost(String);

impl Vhost {
    fn create() -> Self {
        let name = unique("novactor_objects");
        rabbitmqctl(&["add_vhost", &name]).unwrap_or_else(|e| panic!("{e}"));
        let vhost = Self(name);
        rabbitmqctl(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"])
            .unwrap_or_else(|e| panic!("{e}"));
        vhost
    }

    fn url(&self) -> String {
        format!("{}/{}", rabbit_url().trim_end_matches('/'), self.0)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        if let Err(e) = rabbitmqctl(&["delete_vhost", &self.0]) {
            eprintln!("{e}");
        }
    }
}

/// `nova_objects_client.py`'s steps by name, as it printed them; the run's stderr on failure.
fn run_scenario(dir: &Path, transport_url: &str, instance: &str) -> HashMap<String, Value> {
    let python = real_nova_venv().join("bin/python");
    let script = repository_root().join("tests/real_nova/nova_objects_client.py");
    let (out, err) = (dir.join("client.out"), dir.join("client.err"));
    let mut child = Command::new(&python)
        .arg(&script)
        .args(["--transport-url", transport_url, "--host", HOST])
        .args(["--instance", instance, "--request-id", REQUEST_ID])
        .args(["--node-uuid", NODE_UUID])
        .env("HOME", dir)
        .current_dir(dir)
        .stdout(Stdio::from(
            std::fs::File::create(&out).expect("client.out"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err).expect("client.err"),
        ))
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", python.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the client") {
            break status;
        }
        if started.elapsed() > SCENARIO_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the Nova objects client ran over {SCENARIO_DEADLINE:?}; stderr:\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    assert!(
        status.success(),
        "the Nova objects client failed ({status}):\n{stdout}\n{stderr}"
    );
    stdout
        .lines()
        .map(|line| {
            let step: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\n{stderr}"));
            (step["step"].as_str().unwrap_or_default().to_owned(), step)
        })
        .collect()
}

/// The steps, with what each answered.
struct Steps(HashMap<String, Value>);

impl Steps {
    /// The value of step `name`, which must have succeeded.
    fn ok(&self, name: &str) -> &Value {
        let step = self.step(name);
        assert_eq!(step["ok"], true, "{name} failed: {step}");
        &step["value"]
    }

    /// The object step `name` answered: its fields (it must be a `class` with nothing left
    /// to save).
    fn object(&self, name: &str, class: &str) -> &Map<String, Value> {
        let value = self.ok(name);
        assert_eq!(value["class"], class, "{name}: {value}");
        assert_eq!(value["changed"], json!([]), "{name}: {value}");
        value["fields"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: {value}"))
    }

    /// The exception class step `name` raised (a `nova.exception` one).
    fn error(&self, name: &str) -> &str {
        let step = self.step(name);
        assert_eq!(step["ok"], false, "{name} did not fail: {step}");
        assert_eq!(step["error"]["nova_exception"], true, "{name}: {step}");
        step["error"]["class"].as_str().unwrap_or_default()
    }

    fn step(&self, name: &str) -> &Value {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no step {name}: {:?}", self.0.keys()))
    }
}

/// The fields of the nested object `field` of `fields`, of `class`.
fn nested<'a>(fields: &'a Map<String, Value>, field: &str, class: &str) -> &'a Value {
    let object = &fields[field];
    assert_eq!(object["class"], class, "{field}: {object}");
    &object["fields"]
}

#[actix_rt::test]
async fn nova_34_objects_and_conductor_rpcapi_get_novas_answers_from_novactors_conductor() {
    // Another test of this binary restarts RabbitMQ; not while this one uses it.
    let _broker = crate::broker_shared().await;
    let vhost = Vhost::create();
    let fresh = fresh_nova_db(Backend::Postgres, "novactor_objects").await;
    let db = fresh.db.clone();
    // An instance on HOST and the API's action for it, as novactor's compute API writes
    // them (its flavor snapshot included).
    let flavor = Flavor::from_row(&db.flavor_get_by_name("m1.tiny").await.expect("m1.tiny"));
    let values = json!({
        "display_name": "vm1", "hostname": "vm1", "user_id": "admin", "project_id": "admin",
        "image_ref": "cirros", "instance_type_id": flavor.id, "memory_mb": flavor.memory_mb,
        "vcpus": flavor.vcpus, "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
        "swap": flavor.swap, "flavor": serde_json::to_string(&flavor).expect("flavor"),
        "vm_state": "building", "task_state": null, "power_state": 0, "progress": 0,
        "reservation_id": "r-objects", "launch_index": 0, "metadata": {"role": "interop"},
        "host": HOST, "node": HOST, "launched_on": HOST,
    });
    let instance = db
        .instance_create(values.as_object().expect("values"))
        .await
        .expect("instance");
    db.action_start(
        &instance.uuid,
        "create",
        REQUEST_ID,
        Some("admin"),
        Some("admin"),
    )
    .await
    .expect("action");

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("nova.conf"),
        format!(
            "[DEFAULT]\ntransport_url = {}\nhost = objects-conductor\nstate_path = {}\n\n\
             [database]\nconnection = {}\n",
            vhost.url(),
            dir.path().join("state").display(),
            fresh.url
        ),
    )
    .expect("nova.conf");
    let mut novactor = command(BIN.as_ref(), dir.path());
    novactor.args(["--config-file", "nova.conf", "run", "--actors", "conductor"]);
    let mut conductor = Running::spawn(novactor);
    conductor.wait_for("actor ready actor=conductor", 1, START_DEADLINE);
    conductor.wait_for("connected to RabbitMQ", 1, START_DEADLINE);

    let dir_path = dir.path().to_path_buf();
    let (url, uuid) = (vhost.url(), instance.uuid.clone());
    let steps = Steps(
        tokio::task::spawn_blocking(move || run_scenario(&dir_path, &url, &uuid))
            .await
            .expect("the scenario ran"),
    );

    // A compute's start-up: no service, then its own; heartbeats; the node.
    assert_eq!(*steps.ok("service_missing"), Value::Null);
    let service = steps.object("service_create", "Service");
    let service_id = service["id"].as_i64().expect("service id");
    assert_eq!(service["host"], HOST);
    assert_eq!(service["binary"], "nova-compute");
    assert_eq!(service["topic"], "compute");
    assert_eq!(service["version"], 74);
    assert_eq!(service["deleted"], false);
    assert!(service["uuid"].is_string(), "{service:?}");
    assert_eq!(steps.object("service_found", "Service")["id"], service_id);
    let saved = steps.object("service_save", "Service");
    assert_eq!(saved["report_count"], 1);
    assert!(saved["last_seen_up"].is_string(), "{saved:?}");
    let by_host = steps.object("service_by_compute_host", "Service");
    assert_eq!(
        (&by_host["id"], &by_host["report_count"]),
        (&json!(service_id), &json!(1))
    );

    assert_eq!(steps.error("nodes_missing"), "ComputeHostNotFound");
    assert_eq!(steps.error("node_missing"), "ComputeHostNotFound");
    let node = steps.object("node_create", "ComputeNode");
    assert_eq!(node["uuid"], NODE_UUID);
    assert_eq!(node["service_id"], service_id);
    let node = steps.object("node_by_uuid", "ComputeNode");
    assert_eq!(node["hypervisor_hostname"], HOST);
    assert_eq!(node["host_ip"], "127.0.0.1");
    assert_eq!(node["cpu_allocation_ratio"], 4.0);
    assert_eq!(node["stats"], json!({"failed_builds": "0"}));
    let specs = node["supported_hv_specs"].as_array().expect("hv specs");
    assert_eq!(specs.len(), 1, "{specs:?}");
    assert_eq!(specs[0]["class"], "HVSpec");
    assert_eq!(
        specs[0]["fields"],
        json!({"arch": "x86_64", "hv_type": "fake", "vm_mode": "hvm"})
    );
    for list in ["nodes_by_host", "nodes_by_uuids"] {
        let objects = steps.object(list, "ComputeNodeList")["objects"]
            .as_array()
            .expect("objects");
        assert_eq!(objects.len(), 1, "{list}: {objects:?}");
        assert_eq!(objects[0]["fields"]["uuid"], NODE_UUID, "{list}");
    }
    assert_eq!(steps.object("node_save", "ComputeNode")["vcpus_used"], 1);
    let node = steps.object("node_saved", "ComputeNode");
    assert_eq!(
        (&node["vcpus_used"], &node["running_vms"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(node["stats"]["num_instances"], "1");

    // The instance: Nova's fields only, optional ones as asked, as Nova's types.
    let got = steps.object("instance_get", "Instance");
    assert_eq!(steps.ok("instance_get")["version"], "2.8");
    assert_eq!(got["uuid"], instance.uuid.as_str());
    assert_eq!(got["host"], HOST);
    assert_eq!(
        (&got["vm_state"], &got["task_state"]),
        (&json!("building"), &Value::Null)
    );
    assert_eq!(
        (&got["deleted"], &got["locked"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(
        nested(got, "info_cache", "InstanceInfoCache")["network_info"],
        json!([])
    );
    for absent in ["flavor", "metadata", "swap"] {
        assert!(!got.contains_key(absent), "{absent} in {got:?}");
    }
    let full = steps.object("instance_get_expected_attrs", "Instance");
    let flavor_fields = nested(full, "flavor", "Flavor");
    assert_eq!(flavor_fields["name"], "m1.tiny");
    assert_eq!(flavor_fields["memory_mb"], flavor.memory_mb);
    assert_eq!(flavor_fields["extra_specs"], json!({}));
    assert_eq!(full["metadata"], json!({"role": "interop"}));
    assert_eq!(full["system_metadata"], json!({}));
    assert_eq!(
        nested(full, "pci_requests", "InstancePCIRequests")["requests"],
        json!([])
    );
    assert_eq!(nested(full, "tags", "TagList")["objects"], json!([]));
    assert_eq!(
        steps.object("instance_lazy_flavor", "Flavor")["flavorid"],
        "1"
    );

    let spawning = steps.object("instance_save", "Instance");
    assert_eq!(spawning["task_state"], "spawning");
    assert!(spawning["updated_at"].is_string(), "{spawning:?}");
    assert_eq!(
        steps.error("instance_save_unexpected"),
        "UnexpectedTaskStateError"
    );
    let saved = steps.object("instance_save_metadata", "Instance");
    assert_eq!(saved["metadata"], json!({"role": "interop-saved"}));
    assert_eq!(
        saved["task_state"], "spawning",
        "the refused save wrote nothing"
    );
    let listed = steps.object("instances_by_host", "InstanceList")["objects"]
        .as_array()
        .expect("objects");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["fields"]["uuid"], instance.uuid.as_str());
    assert_eq!(listed[0]["fields"]["task_state"], "spawning");

    // Action events under the API's action.
    let started = steps.object("event_start", "InstanceActionEvent");
    assert_eq!(
        (&started["event"], &started["host"]),
        (&json!("compute_interop"), &json!(HOST))
    );
    assert!(
        started["start_time"].is_string() && started["result"].is_null(),
        "{started:?}"
    );
    let finished = steps.object("event_finish", "InstanceActionEvent");
    assert_eq!(finished["result"], "Success");
    assert!(finished["finish_time"].is_string(), "{finished:?}");
    let failed = steps.object("event_failure", "InstanceActionEvent");
    assert_eq!(failed["result"], "Error");
    assert_eq!(
        failed["details"],
        "Instance interop-failure could not be found."
    );
    assert!(
        failed["traceback"]
            .as_str()
            .is_some_and(|tb| tb.contains("raise exception.InstanceNotFound")),
        "{failed:?}"
    );
    assert_eq!(steps.error("event_no_action"), "InstanceActionNotFound");

    // The end of the instance.
    let destroyed = steps.object("instance_destroy", "Instance");
    assert_eq!(destroyed["deleted"], true);
    assert!(destroyed["deleted_at"].is_string(), "{destroyed:?}");
    assert_eq!(steps.error("instance_gone"), "InstanceNotFound");

    // What the database holds is what Nova's objects were told.
    let row = db
        .instance_get_by_uuid_read_deleted(&instance.uuid)
        .await
        .expect("row");
    assert_eq!(row.task_state.as_deref(), Some("spawning"));
    assert!(row.metadata.unwrap_or_default().contains("interop-saved"));
    let action = db.actions_get(&instance.uuid).await.expect("actions");
    let events = db.action_events_get(action[0].id).await.expect("events");
    assert_eq!(events.len(), 2, "{events:?}");
    let row = db
        .service_get_by_host_and_binary(HOST, "nova-compute")
        .await
        .expect("service")
        .expect("a service row");
    assert_eq!((row.id, row.report_count), (service_id, 1));

    conductor.signal("TERM");
    conductor.wait_exit(Duration::from_secs(30));
    let errors: Vec<String> = conductor
        .lines()
        .into_iter()
        .filter(|line| line.contains(" ERROR "))
        .collect();
    assert!(
        errors.is_empty(),
        "the conductor logged errors: {errors:#?}"
    );
}
