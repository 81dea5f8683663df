//! The world of the compute flow tests: a conductor node with SQLite and a compute node
//! without any database on one memory broker, the compute's `Instance.save` events
//! captured from its tracing, and the API/conductor side's moves.

use crate::common::wait_until;
use crate::conductor;
use novactor_nova::conf::NovaConfig;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use novactor::rpc::RequestContext;
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::{ComputeNodeRow, InstanceRow, NovaDb, NovaDbError};
use novactor_nova::rpcapi::{ComputeApi, ConductorApi};
use novactor_nova::{definitions, NovaService};
use serde_json::{json, Map, Value};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

// ------------------------------------------------------------------ saved-state capture

/// One `SaveFields` per `Instance.save` of the compute, in order.
#[derive(Clone, Default)]
pub(super) struct Saves(Arc<Mutex<Vec<SaveFields>>>);

/// The fields of one `novactor::compute::instance` event.
#[derive(Clone, Default)]
pub(super) struct SaveFields {
    instance: String,
    vm_state: String,
    task_state: String,
    power_state: String,
}

impl tracing::field::Visit for SaveFields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "instance" => self.instance = text,
            "vm_state" => self.vm_state = text,
            "task_state" => self.task_state = text,
            "power_state" => self.power_state = text,
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Saves {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "novactor::compute::instance" {
            return;
        }
        let mut fields = SaveFields::default();
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields);
    }
}

impl Saves {
    /// (vm_state, task_state) of each save of `uuid`, in order.
    pub(super) fn of(&self, uuid: &str) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|save| save.instance == uuid)
            .map(|save| (save.vm_state.clone(), save.task_state.clone()))
            .collect()
    }
}

impl Saves {
    /// The saves of `uuid` from the last one that set `task` on (the events may lag the
    /// database by one reply, so tests look for a phase's start rather than count).
    pub(super) fn since(&self, uuid: &str, task: &str) -> Vec<(String, String)> {
        let all = self.of(uuid);
        match all.iter().rposition(|(_, t)| t == task) {
            Some(start) => all[start..].to_vec(),
            None => Vec::new(),
        }
    }
}

pub(super) fn states(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(vm, task)| (vm.to_string(), task.to_string()))
        .collect()
}

// ------------------------------------------------------------------ the world

pub(super) struct World {
    pub(super) conductor_node: Node,
    _compute_node: Node,
    pub(super) db: NovaDb,
    pub(super) saves: Saves,
    _capture: tracing::subscriber::DefaultGuard,
    _states: (tempfile::TempDir, tempfile::TempDir),
}

pub(super) fn config(
    state: &tempfile::TempDir,
    host: &str,
    extra: &[(&str, &str, &str)],
) -> NovaConfig {
    let state_path = state.path().to_str().unwrap().to_owned();
    let mut overrides = vec![
        ("DEFAULT", "host", host),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "rpc_response_timeout", "10"),
        ("DEFAULT", "state_path", state_path.as_str()),
    ];
    overrides.extend_from_slice(extra);
    crate::nova::nova_config(&overrides).unwrap()
}

/// A conductor node with SQLite and a compute node (host `cmp1` unless `extra` says
/// otherwise) without any database, on one memory broker.
pub(super) async fn world(extra: &[(&str, &str, &str)]) -> World {
    let saves = Saves::default();
    // Every actor runs on this test's single thread, so a thread-local subscriber sees all.
    let capture = tracing::subscriber::set_default(
        tracing_subscriber::registry::Registry::default().with(saves.clone()),
    );
    let ctl_state = tempfile::tempdir().unwrap();
    let ctl_config = config(&ctl_state, "ctl", &[]);
    let conductor::Conductor {
        node: conductor_node,
        db,
        transport,
    } = conductor::start_conductor(&ctl_config).await;
    let cmp_state = tempfile::tempdir().unwrap();
    let compute_config = config(&cmp_state, "cmp1", extra);
    let env = RuntimeEnv::new(
        Arc::clone(compute_config.runtime()),
        Arc::clone(&transport),
        Arc::new(MemoryServiceGroup::default()),
    );
    // No database handed to the compute: definitions(.., None) must be enough.
    let compute_node = Node::start_with(
        env,
        definitions(&compute_config, &[NovaService::Compute], None).unwrap(),
    )
    .await
    .unwrap();
    World {
        conductor_node,
        _compute_node: compute_node,
        db,
        saves,
        _capture: capture,
        _states: (ctl_state, cmp_state),
    }
}

impl World {
    pub(super) fn compute(&self) -> ComputeApi {
        ComputeApi::new(self.conductor_node.client(ComputeApi::target()))
    }

    pub(super) fn conductor(&self) -> ConductorApi {
        ConductorApi::new(self.conductor_node.client(ConductorApi::target()))
    }

    /// The compute `host` is serving: its node row exists and its service row was created
    /// (which happens after its RPC consumers started).
    pub(super) async fn ready(&self, host: &str) -> ComputeNodeRow {
        wait_until(
            Duration::from_secs(15),
            "the compute to come up",
            || async {
                let service = self
                    .db
                    .service_get_by_host_and_binary(host, "nova-compute")
                    .await
                    .unwrap();
                let node = self
                    .db
                    .compute_node_get_by_host_and_nodename(host, host)
                    .await
                    .ok();
                service.and(node)
            },
        )
        .await
    }

    pub(super) async fn node(&self, host: &str) -> ComputeNodeRow {
        self.db
            .compute_node_get_by_host_and_nodename(host, host)
            .await
            .unwrap()
    }

    /// An instance as the conductor leaves it before `build_and_run_instance`: building,
    /// scheduling, host chosen.
    pub(super) async fn new_instance(&self, name: &str, host: &str) -> InstanceRow {
        let values = json!({
            "display_name": name, "vm_state": "building", "task_state": "scheduling",
            "power_state": 0, "host": host, "node": host, "memory_mb": 2048, "vcpus": 2,
            "root_gb": 20, "ephemeral_gb": 0, "swap": 0, "project_id": "p1", "user_id": "u1",
        });
        self.db
            .instance_create(values.as_object().unwrap())
            .await
            .unwrap()
    }

    /// The instance as an `Instance` primitive, read through the conductor.
    pub(super) async fn primitive(&self, uuid: &str) -> Value {
        self.conductor()
            .object_class_action_versions(
                &RequestContext::new(),
                "Instance",
                "get_by_uuid",
                vec![json!(uuid)],
                Map::new(),
            )
            .await
            .unwrap()
    }

    pub(super) async fn row(&self, uuid: &str) -> Result<InstanceRow, NovaDbError> {
        self.db.instance_get_by_uuid(uuid).await
    }

    /// What the API does before a cast: set the task state (its conditional save).
    pub(super) async fn api_sets_task(
        &self,
        uuid: &str,
        task: &str,
        expected: Option<Vec<Option<String>>>,
    ) {
        self.db
            .instance_update_and_get(
                uuid,
                json!({"task_state": task}).as_object().unwrap(),
                expected.as_deref(),
                None,
            )
            .await
            .unwrap();
    }

    pub(super) async fn build(&self, uuid: &str, host_list: Vec<Value>) {
        let instance = self.primitive(uuid).await;
        self.compute()
            .build_and_run_instance(
                &RequestContext::new(),
                "cmp1",
                instance,
                Value::Null,
                Map::new(),
                "cmp1",
                Some(Map::new()),
                host_list,
                Vec::new(),
            )
            .await
            .unwrap();
    }

    pub(super) async fn wait_state(&self, uuid: &str, vm: &str, task: Option<&str>) -> InstanceRow {
        wait_until(
            Duration::from_secs(15),
            &format!("{uuid} to reach {vm}/{task:?}"),
            || async {
                let row = self.row(uuid).await.ok()?;
                (row.vm_state.as_deref() == Some(vm) && row.task_state.as_deref() == task)
                    .then_some(row)
            },
        )
        .await
    }

    pub(super) async fn wait_gone(&self, uuid: &str) {
        wait_until(
            Duration::from_secs(15),
            "the row to be soft-deleted",
            || async {
                matches!(
                    self.row(uuid).await,
                    Err(NovaDbError::InstanceNotFound { .. })
                )
                .then_some(())
            },
        )
        .await
    }

    pub(super) async fn boot(&self, name: &str) -> InstanceRow {
        let row = self.new_instance(name, "cmp1").await;
        self.build(&row.uuid, Vec::new()).await;
        self.wait_state(&row.uuid, "active", None).await
    }
}

pub(super) const RESERVED_MB: i64 = 512;
