//! The world of the RPC target: a conductor, a scheduler and a compute on SQLite with the
//! corpus's instances in the database.

use std::sync::Arc;
use std::time::Duration;

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::RpcClient;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::{
    ComputeNodeValues, DbServiceGroup, NovaDb, INSTANCE_UPDATABLE_COLUMNS, SERVICE_VERSION,
};
use novactor_nova::rpcapi::{ComputeApi, ConductorApi, SchedulerApi};
use novactor_nova::{definitions, NovaService};
use serde_json::{json, Map, Value};

use crate::common::wait_until;
use crate::support::*;

/// A conductor, a scheduler and a compute (fake driver, host `fuzz`) on SQLite, with a
/// second up compute host and the corpus's instances in the database, so that mutated
/// objects reach real rows.
pub(super) struct World {
    pub(super) system: actix_rt::SystemRunner,
    pub(super) node: Node,
    pub(super) conductor: RpcClient,
    pub(super) scheduler: RpcClient,
    pub(super) compute: RpcClient,
    pub(super) db: NovaDb,
    pub(super) _state: tempfile::TempDir,
}

pub(super) fn world(seeds: &[Seed]) -> World {
    let state = tempfile::tempdir().expect("a temporary directory");
    let state_path = state.path().to_str().expect("UTF-8 path").to_owned();
    let config = crate::nova::nova_config(&[
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
        wait_until(
            Duration::from_secs(30),
            "the compute registered",
            async || {
                db.compute_node_get_by_host_and_nodename("fuzz", "fuzz")
                    .await
                    .is_ok()
            },
        )
        .await;
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

pub(super) async fn seed_database(db: &NovaDb, seeds: &[Seed]) {
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

pub(super) fn collect_instances(value: &Value, out: &mut Vec<Map<String, Value>>) {
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
