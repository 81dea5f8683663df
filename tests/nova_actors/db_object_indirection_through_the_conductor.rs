//! Nova's object indirection: a compute without database access reads and writes only
//! through the conductor's `object_action` / `object_class_action_versions` (3.0); typed
//! `nova.exception` failures round-trip; races on `expected_task_state` are decided by the
//! database. Memory transport and SQLite (the DB suites cover PostgreSQL and MySQL).

use crate::conductor;
use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::Duration;

use novactor::rpc::{RequestContext, Transport};
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::NovaDb;
use novactor_nova::objects::{versions, NovaObject};
use novactor_nova::rpcapi::ConductorApi;
use novactor_nova::NovaService;
use serde_json::{json, Map, Value};

struct World {
    conductor_node: Node,
    db: NovaDb,
    transport: Arc<dyn Transport>,
    _state: tempfile::TempDir,
}

fn config(state: &tempfile::TempDir, host: &str) -> NovaConfig {
    let state_path = state.path().to_str().unwrap().to_owned();
    crate::nova::nova_config(&[
        ("DEFAULT", "host", host),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "rpc_response_timeout", "10"),
        ("DEFAULT", "state_path", &state_path),
    ])
    .unwrap()
}

/// A conductor node with a SQLite database, on a memory broker others can join.
async fn world() -> World {
    let state = tempfile::tempdir().unwrap();
    let config = config(&state, "ctl");
    let conductor::Conductor {
        node: conductor_node,
        db,
        transport,
    } = conductor::start_conductor(&config).await;
    World {
        conductor_node,
        db,
        transport,
        _state: state,
    }
}

fn conductor(world: &World) -> ConductorApi {
    ConductorApi::new(world.conductor_node.client(ConductorApi::target()))
}

#[actix_rt::test]
async fn a_compute_with_no_database_heartbeats_through_the_conductor() {
    let world = world().await;
    // The compute's own node has no database at all: in-memory service records, and no
    // NovaDb anywhere in its definition's reach.
    let other_state = tempfile::tempdir().unwrap();
    let compute_config = config(&other_state, "cmp1");
    let env = RuntimeEnv::new(
        Arc::clone(compute_config.runtime()),
        Arc::clone(&world.transport),
        Arc::new(MemoryServiceGroup::default()),
    );
    let compute_node = Node::start_with(
        env,
        vec![novactor_nova::deployment::definition(
            NovaService::Compute,
            &compute_config,
            &world.db,
        )
        .unwrap()],
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let row = world
            .db
            .service_get_by_host_and_binary("cmp1", "nova-compute")
            .await
            .unwrap();
        if row
            .as_ref()
            .is_some_and(|r| r.report_count >= 2 && r.last_seen_up.is_some())
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no compute heartbeats in the conductor's database: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Each of those writes was an RPC the conductor handled.
    let handled = world
        .conductor_node
        .snapshot()
        .await
        .unwrap()
        .actor("conductor")
        .unwrap()
        .handled;
    assert!(
        handled >= 3,
        "conductor handled {handled} calls (get, create, saves)"
    );
    // The compute counts a report once the conductor's reply is back, which may be just
    // after the row above was written: wait for it too.
    loop {
        let compute = compute_node.snapshot().await.unwrap();
        let heartbeat = compute.actor("compute").unwrap().heartbeat.clone().unwrap();
        if heartbeat.reports >= 2 && !heartbeat.in_outage {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the compute counted no second report: {heartbeat:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_rt::test]
async fn missing_objects_come_back_as_their_nova_exception_class() {
    let world = world().await;
    let api = conductor(&world);
    let ctx = RequestContext::new();
    let missing = api
        .object_class_action_versions(
            &ctx,
            "Instance",
            "get_by_uuid",
            vec![json!("00000000-0000-0000-0000-000000000000")],
            Map::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        missing
            .remote()
            .map(|f| (f.module.as_str(), f.class.as_str())),
        Some(("nova.exception", "InstanceNotFound")),
        "{missing}"
    );
    let host = api
        .object_class_action_versions(
            &ctx,
            "ComputeNode",
            "get_by_host_and_nodename",
            vec![json!("nohost"), json!("nonode")],
            Map::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        host.remote().map(|f| f.class.as_str()),
        Some("ComputeHostNotFound"),
        "{host}"
    );
    let no_service = api
        .object_class_action_versions(
            &ctx,
            "Service",
            "get_by_host_and_binary",
            vec![json!("nohost"), json!("nova-compute")],
            Map::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        no_service,
        Value::Null,
        "Nova's Service.get_by_host_and_binary returns None"
    );
    let mut service = NovaObject::new("Service", versions::SERVICE, Map::new());
    service.set("id", json!(424242));
    service.set("report_count", json!(1));
    let gone = api
        .object_action(&ctx, &mut service, "save", Vec::new(), Map::new())
        .await
        .unwrap_err();
    assert_eq!(
        gone.remote().map(|f| f.class.as_str()),
        Some("ServiceNotFound"),
        "{gone}"
    );
    let unknown = api
        .object_class_action_versions(&ctx, "Instance", "do_anything", Vec::new(), Map::new())
        .await
        .unwrap_err();
    assert_eq!(
        unknown.remote().map(|f| f.class.as_str()),
        Some("ObjectActionError"),
        "{unknown}"
    );
}

#[actix_rt::test]
async fn concurrent_saves_with_the_same_expected_task_state_have_exactly_one_winner() {
    let world = world().await;
    let api = conductor(&world);
    let ctx = RequestContext::new();
    let created = world
        .db
        .instance_create(
            &json!({"display_name": "racer", "vm_state": "building", "task_state": "scheduling"})
                .as_object()
                .cloned()
                .unwrap(),
        )
        .await
        .unwrap();
    let fetched = api
        .object_class_action_versions(
            &ctx,
            "Instance",
            "get_by_uuid",
            vec![json!(created.uuid)],
            Map::new(),
        )
        .await
        .unwrap();
    let original = NovaObject::from_primitive(&fetched).unwrap();
    assert_eq!(original.get("task_state"), "scheduling");
    let mut first = original.clone();
    first.set("task_state", json!("spawning"));
    let mut second = original.clone();
    second.set("task_state", json!("deleting"));
    let expected = || {
        json!({"expected_task_state": "scheduling"})
            .as_object()
            .cloned()
            .unwrap()
    };
    let (a, b) = tokio::join!(
        api.object_action(&ctx, &mut first, "save", Vec::new(), expected()),
        api.object_action(&ctx, &mut second, "save", Vec::new(), expected()),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "exactly one wins: {a:?} / {b:?}"
    );
    let loser = if a.is_ok() {
        b.unwrap_err()
    } else {
        a.unwrap_err()
    };
    let class = loser.remote().map(|f| f.class.clone()).unwrap_or_default();
    assert!(
        class == "UnexpectedTaskStateError" || class == "UnexpectedDeletingTaskStateError",
        "{loser}"
    );
    // The winner's object carries the saved state and no pending changes.
    let winner = if outcomes[0] { &first } else { &second };
    assert!(winner.changes.is_empty());
    let row = world.db.instance_get_by_uuid(&created.uuid).await.unwrap();
    assert_eq!(row.task_state.as_deref(), winner.get("task_state").as_str());
}
