//! Nova `ComputeManager.init_host` → `_init_instance`: a compute that starts again after
//! being killed settles the instances it left mid-operation before it serves — builds go
//! to ERROR, deletes are finished, reboots, stops and starts are retried, everything else
//! is left alone. A conductor node with SQLite and a compute node with no database share
//! a memory broker; the test writes the interrupted rows straight into the database, as
//! the dead compute left them, then (re)starts the compute and reads the rows back.
//!
//! Two ways of coming back: a new process (the fake hypervisor starts empty, as Nova's
//! in-memory fake driver does) and a supervisor restart of the actor (the guests survive,
//! as real guests survive a `nova-compute` restart).

use crate::common::wait_until;
use crate::conductor;
use novactor_nova::conf::NovaConfig;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use novactor::rpc::{RequestContext, Transport};
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::{ActorCommand, ActorState, RuntimeEnv};
use novactor::Node;
use novactor_nova::db::{InstanceRow, NewMigration, NovaDb, NovaDbError};
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::ConductorApi;
use novactor_nova::{definitions, NovaService};
use serde_json::{json, Map, Value};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const DEADLINE: Duration = Duration::from_secs(20);
const RESERVED_MB: i64 = 512;

// ------------------------------------------------------------------ log capture

/// (message, instance) of every compute event that names an instance.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<(String, String)>>>);

#[derive(Default)]
struct Fields {
    message: String,
    instance: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "instance" => self.instance = format!("{value:?}"),
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Logs {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if !event.metadata().target().contains("compute") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.0
            .lock()
            .unwrap()
            .push((fields.message, fields.instance));
    }
}

impl Logs {
    fn said(&self, message: &str, uuid: &str) -> bool {
        self.0
            .lock()
            .unwrap()
            .iter()
            .any(|(m, i)| m.contains(message) && i == uuid)
    }

    fn any(&self, message: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m.contains(message))
            .map(|(_, i)| i.clone())
            .collect()
    }
}

// ------------------------------------------------------------------ the world

struct World {
    transport: Arc<dyn Transport>,
    conductor_node: Node,
    compute_node: Option<Node>,
    db: NovaDb,
    logs: Logs,
    _capture: tracing::subscriber::DefaultGuard,
    _states: (tempfile::TempDir, tempfile::TempDir),
}

fn config(state: &tempfile::TempDir, host: &str) -> NovaConfig {
    let state_path = state.path().to_str().unwrap().to_owned();
    crate::nova::nova_config(&[
        ("DEFAULT", "host", host),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "rpc_response_timeout", "10"),
        ("DEFAULT", "state_path", state_path.as_str()),
    ])
    .unwrap()
}

/// A conductor node with SQLite; the compute (host `cmp1`) is started by the test.
async fn world() -> World {
    let logs = Logs::default();
    // Every actor runs on this test's single thread, so a thread-local subscriber sees all.
    let capture = tracing::subscriber::set_default(
        tracing_subscriber::registry::Registry::default().with(logs.clone()),
    );
    let ctl_state = tempfile::tempdir().unwrap();
    let ctl_config = config(&ctl_state, "ctl");
    let conductor::Conductor {
        node: conductor_node,
        db,
        transport,
    } = conductor::start_conductor(&ctl_config).await;
    World {
        transport,
        conductor_node,
        compute_node: None,
        db,
        logs,
        _capture: capture,
        _states: (ctl_state, tempfile::tempdir().unwrap()),
    }
}

impl World {
    /// Start the compute of `cmp1` in a new "process": its own node and a new fake
    /// hypervisor, with no database handle.
    async fn start_compute(&mut self) {
        let compute_config = config(&self._states.1, "cmp1");
        let env = RuntimeEnv::new(
            Arc::clone(compute_config.runtime()),
            Arc::clone(&self.transport),
            Arc::new(MemoryServiceGroup::default()),
        );
        let node = Node::start_with(
            env,
            definitions(&compute_config, &[NovaService::Compute], None).unwrap(),
        )
        .await
        .unwrap();
        self.compute_node = Some(node);
    }

    fn compute_node(&self) -> &Node {
        self.compute_node.as_ref().expect("the compute was started")
    }

    /// The compute serves: its service row exists (written after `init_host`,
    /// `pre_start_hook` and the RPC consumers) and its node row too.
    async fn ready(&self) {
        wait_until(DEADLINE, "the compute to come up", || async {
            let service = self
                .db
                .service_get_by_host_and_binary("cmp1", "nova-compute")
                .await
                .unwrap();
            let node = self
                .db
                .compute_node_get_by_host_and_nodename("cmp1", "cmp1")
                .await
                .ok();
            service.and(node)
        })
        .await;
    }

    /// A row as a dead compute left it.
    async fn put(
        &self,
        name: &str,
        host: &str,
        vm: &str,
        task: Option<&str>,
        power: i64,
    ) -> String {
        let values = json!({
            "display_name": name, "vm_state": vm, "task_state": task, "power_state": power,
            "host": host, "node": host, "launched_on": host, "memory_mb": 1024, "vcpus": 1,
            "root_gb": 10, "ephemeral_gb": 0, "swap": 0, "project_id": "p1", "user_id": "u1",
        });
        self.db
            .instance_create(values.as_object().unwrap())
            .await
            .unwrap()
            .uuid
    }

    async fn row(&self, uuid: &str) -> InstanceRow {
        self.db
            .instance_get_by_uuid_read_deleted(uuid)
            .await
            .unwrap()
    }

    /// Wait until `uuid` is live in `vm`/`task`.
    async fn wait_state(&self, uuid: &str, vm: &str, task: Option<&str>) -> InstanceRow {
        wait_until(
            DEADLINE,
            &format!("{uuid} to reach {vm}/{task:?}"),
            || async {
                let row = self.row(uuid).await;
                (row.deleted == 0
                    && row.vm_state.as_deref() == Some(vm)
                    && row.task_state.as_deref() == task)
                    .then_some(row)
            },
        )
        .await
    }

    /// Wait until `uuid` is soft-deleted.
    async fn wait_deleted(&self, uuid: &str) -> InstanceRow {
        wait_until(DEADLINE, &format!("{uuid} to be deleted"), || async {
            let row = self.row(uuid).await;
            (row.deleted != 0).then_some(row)
        })
        .await
    }

    async fn faults(&self, uuid: &str) -> usize {
        self.db
            .instance_fault_get_by_instance_uuid(uuid)
            .await
            .unwrap()
            .len()
    }

    /// Boot `name` through the running compute, to ACTIVE with a running guest.
    async fn boot(&self, name: &str) -> String {
        let uuid = self
            .put(name, "cmp1", "building", Some("scheduling"), 0)
            .await;
        let conductor = ConductorApi::new(self.conductor_node.client(ConductorApi::target()));
        let instance = conductor
            .object_class_action_versions(
                &RequestContext::new(),
                "Instance",
                "get_by_uuid",
                vec![json!(uuid)],
                Map::new(),
            )
            .await
            .unwrap();
        ComputeApi::new(self.conductor_node.client(ComputeApi::target()))
            .build_and_run_instance(
                &RequestContext::new(),
                "cmp1",
                instance,
                Value::Null,
                Map::new(),
                "cmp1",
                Some(Map::new()),
                Vec::new(),
                Vec::new(),
            )
            .await
            .unwrap();
        let row = self.wait_state(&uuid, "active", None).await;
        assert_eq!(row.power_state, Some(1));
        uuid
    }

    /// What the dead compute was doing: set the row's states behind its back.
    async fn interrupt(&self, uuid: &str, vm: &str, task: &str) {
        self.db
            .instance_update_and_get(
                uuid,
                json!({"vm_state": vm, "task_state": task})
                    .as_object()
                    .unwrap(),
                None,
                None,
            )
            .await
            .unwrap();
    }
}

// ------------------------------------------------------------------ tests

#[actix_rt::test]
async fn a_compute_process_started_again_settles_what_it_left_mid_operation() {
    let mut world = world().await;
    let put = |name: &'static str, vm: &'static str, task: Option<&'static str>, power: i64| {
        let world = &world;
        async move { world.put(name, "cmp1", vm, task, power).await }
    };
    // Builds: the process died before the instance was ACTIVE.
    let mut builds = Vec::new();
    for task in [
        None,
        Some("scheduling"),
        Some("networking"),
        Some("block_device_mapping"),
        Some("spawning"),
    ] {
        builds.push((task, put("build", "building", task, 0).await));
    }
    // Deletes: accepted (the API's `deleting`), or half done (`vm_state=deleted`, row live).
    let deleting = put("deleting", "active", Some("deleting"), 1).await;
    let deleting_build = put("deleting-build", "building", Some("deleting"), 0).await;
    let half_deleted = put("half-deleted", "deleted", None, 0).await;
    // Reboots, soft and hard, at every step.
    let mut reboots = Vec::new();
    for task in [
        "rebooting",
        "reboot_pending",
        "reboot_started",
        "rebooting_hard",
        "reboot_pending_hard",
        "reboot_started_hard",
    ] {
        reboots.push((task, put("reboot", "active", Some(task), 1).await));
    }
    let powering_off = put("powering-off", "active", Some("powering-off"), 1).await;
    let powering_on = put("powering-on", "stopped", Some("powering-on"), 4).await;
    // Left alone: idle, in error (Nova does not recover those), another host's.
    let idle = put("idle", "active", None, 1).await;
    let errored = put("errored", "error", Some("spawning"), 0).await;
    let elsewhere = world
        .put("elsewhere", "cmp2", "building", Some("spawning"), 0)
        .await;

    // A live migration from this host, cut off mid-copy (Nova `_reset_live_migration`).
    let migrating = put("migrating", "active", Some("migrating"), 1).await;
    let record = world
        .db
        .migration_create(&NewMigration {
            instance_uuid: migrating.clone(),
            migration_type: "live-migration".into(),
            status: "running".into(),
            source_compute: Some("cmp1".into()),
            dest_compute: Some("cmp2".into()),
            ..NewMigration::default()
        })
        .await
        .unwrap();

    world.start_compute().await;
    world.ready().await;

    for (task, uuid) in &builds {
        let row = world.wait_state(uuid, "error", None).await;
        assert_eq!(row.host.as_deref(), Some("cmp1"), "{task:?}");
        assert!(
            world.logs.said(
                "Instance failed to spawn correctly, setting to ERROR state",
                uuid
            ),
            "{task:?}: the log names the instance"
        );
    }
    for uuid in [&deleting, &deleting_build, &half_deleted] {
        let row = world.wait_deleted(uuid).await;
        assert_eq!(row.vm_state.as_deref(), Some("deleted"), "{row:?}");
        assert_eq!(row.task_state, None);
    }
    // The fake hypervisor of the new process has no guest: every retried reboot is a hard
    // one, which redefines it.
    for (task, uuid) in &reboots {
        let row = world.wait_state(uuid, "active", None).await;
        assert_eq!(row.power_state, Some(1), "{task}");
        assert_eq!(world.faults(uuid).await, 0, "{task}");
    }
    // The retried stop finds no guest (already off); the retried start redefines it.
    let stopped = world.wait_state(&powering_off, "stopped", None).await;
    assert_eq!(stopped.power_state, Some(0));
    let started = world.wait_state(&powering_on, "active", None).await;
    assert_eq!(started.power_state, Some(1));
    for uuid in [&powering_off, &powering_on] {
        assert_eq!(world.faults(uuid).await, 0);
    }
    world.wait_state(&migrating, "active", None).await;
    let record = world.db.migration_get(record.id).await.unwrap();
    assert_eq!(record.status.as_deref(), Some("error"), "{record:?}");

    let idle_row = world.row(&idle).await;
    assert_eq!(
        (
            idle_row.vm_state.as_deref(),
            idle_row.task_state.as_deref(),
            idle_row.deleted
        ),
        (Some("active"), None, 0),
        "left ACTIVE without a guest, as Nova's fake world does"
    );
    let errored_row = world.row(&errored).await;
    assert_eq!(
        (
            errored_row.vm_state.as_deref(),
            errored_row.task_state.as_deref(),
            errored_row.deleted
        ),
        (Some("error"), Some("spawning"), 0)
    );
    let elsewhere_row = world.row(&elsewhere).await;
    assert_eq!(
        (
            elsewhere_row.vm_state.as_deref(),
            elsewhere_row.task_state.as_deref(),
            elsewhere_row.deleted
        ),
        (Some("building"), Some("spawning"), 0)
    );

    // The first audit (after init_host) counts what is left on the host.
    let live = builds.len() + reboots.len() + 5; // powering-off/on, idle, errored, migrating
    let node = wait_until(
        DEADLINE,
        "the audit to count the live instances",
        || async {
            let node = world
                .db
                .compute_node_get_by_host_and_nodename("cmp1", "cmp1")
                .await
                .ok()?;
            (node.running_vms == Some(live as i64)).then_some(node)
        },
    )
    .await;
    assert_eq!(node.memory_mb_used, RESERVED_MB + 1024 * live as i64);
    assert!(
        world.logs.any("could not settle").is_empty(),
        "no instance failed: {:?}",
        world.logs.any("could not settle")
    );
    // The compute serves after settling.
    let uptime = ComputeApi::new(world.conductor_node.client(ComputeApi::target()))
        .get_host_uptime(&RequestContext::new(), "cmp1")
        .await
        .unwrap();
    assert!(uptime.as_str().is_some_and(|l| l.contains(" up ")));
}

#[actix_rt::test]
async fn a_supervisor_restart_settles_with_the_guests_the_hypervisor_kept() {
    let mut world = world().await;
    world.start_compute().await;
    world.ready().await;
    let mut vms = HashMap::new();
    for name in ["started", "off", "gone", "soft", "idle"] {
        vms.insert(name, world.boot(name).await);
    }
    // Killed mid-operation: the reboot reached the hypervisor but not its last save; a
    // stop, a delete and a soft reboot were accepted but not started.
    world
        .interrupt(&vms["started"], "active", "reboot_started_hard")
        .await;
    world.interrupt(&vms["off"], "active", "powering-off").await;
    world.interrupt(&vms["gone"], "active", "deleting").await;
    world.interrupt(&vms["soft"], "active", "rebooting").await;
    let building = world
        .put("building", "cmp1", "building", Some("spawning"), 0)
        .await;

    let node = world.compute_node();
    node.control_actor("compute", ActorCommand::Restart)
        .await
        .unwrap()
        .unwrap();
    wait_until(DEADLINE, "the second incarnation to serve", || async {
        let snapshot = node.snapshot().await.ok()?;
        let actor = snapshot.actor("compute")?;
        (actor.incarnation == 2 && actor.state == ActorState::Running).then_some(())
    })
    .await;

    let row = world.wait_state(&vms["started"], "active", None).await;
    assert_eq!(row.power_state, Some(1));
    assert!(
        world.logs.said("clearing task state", &vms["started"]),
        "the guest runs: finished without another reboot"
    );
    let row = world.wait_state(&vms["off"], "stopped", None).await;
    assert_eq!(row.power_state, Some(4), "the kept guest was powered off");
    world.wait_deleted(&vms["gone"]).await;
    let row = world.wait_state(&vms["soft"], "active", None).await;
    assert_eq!(row.power_state, Some(1));
    world.wait_state(&building, "error", None).await;
    let row = world.row(&vms["idle"]).await;
    assert_eq!(
        (
            row.vm_state.as_deref(),
            row.task_state.as_deref(),
            row.power_state
        ),
        (Some("active"), None, Some(1))
    );
    for name in ["started", "off", "soft", "idle"] {
        assert_eq!(world.faults(&vms[name]).await, 0, "{name}");
    }
    // The deleted instance's usage is given back: four booted + the failed build remain.
    wait_until(
        DEADLINE,
        "the usage of the deleted instance to go",
        || async {
            let node = world
                .db
                .compute_node_get_by_host_and_nodename("cmp1", "cmp1")
                .await
                .ok()?;
            (node.running_vms == Some(5)).then_some(())
        },
    )
    .await;
    assert!(matches!(
        world.db.instance_get_by_uuid(&vms["gone"]).await,
        Err(NovaDbError::InstanceNotFound { .. })
    ));
}
