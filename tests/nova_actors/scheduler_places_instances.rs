//! The scheduler places instances as Nova's `_legacy_find_hosts` does (spec §2.1 step 3,
//! §7 D-PLACEMENT): ComputeFilter + RAM/disk/vCPU filters over the `compute_nodes` and
//! `nova-compute` `services` rows, RAM weigher, in-memory consumption so a multi-create
//! and concurrent requests never double-book, `NoValidHost` when nothing fits; the compute
//! fanouts keep its per-host instance view. Memory transport, SQLite in a temp dir, every
//! request through the RPC client `SchedulerApi`.

use crate::common;
use std::sync::Arc;
use std::time::Duration;

use novactor::rpc::{CallError, RequestContext, RpcClient};
use novactor::Node;
use novactor_nova::db::{self, ComputeNodeRow, NovaDb, ServiceChanges, ServiceKey};
use novactor_nova::objects::{Flavor, RequestSpec, Selection, TypedObject};
use novactor_nova::rpcapi::SchedulerApi;
use novactor_nova::scheduler::{definition_with_state, SchedulerState, NO_VALID_HOST};
use serde_json::{json, Map, Value};

/// Configured `service_down_time`; with `report_interval = 1` Nova keeps it as is.
const SERVICE_DOWN_TIME_S: u64 = 2;

struct World {
    _node: Node,
    db: NovaDb,
    api: SchedulerApi,
    raw: RpcClient,
    state: SchedulerState,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().to_str().unwrap().to_owned();
    let down = SERVICE_DOWN_TIME_S.to_string();
    let config = crate::nova::nova_config(&[
        ("DEFAULT", "host", "ctl"),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "service_down_time", &down),
        ("DEFAULT", "rpc_response_timeout", "10"),
        ("DEFAULT", "state_path", &state_path),
    ])
    .unwrap();
    let db = db::open(&config).await.expect("embedded database");
    let state = SchedulerState::new();
    let node = Node::start(
        Arc::clone(config.runtime()),
        vec![definition_with_state(&config, &db, state.clone())],
    )
    .await
    .expect("scheduler starts");
    let raw = node.client(SchedulerApi::target());
    World {
        api: SchedulerApi::new(raw.clone()),
        raw,
        _node: node,
        db,
        state,
        _dir: dir,
    }
}

/// A compute host: its `nova-compute` service (heartbeat just now) and its node.
async fn add_host(
    db: &NovaDb,
    name: &str,
    ram_mb: i64,
    disk_gb: i64,
    vcpus: i64,
) -> ComputeNodeRow {
    let service = db
        .service_create(name, "nova-compute", Some("compute"), db::SERVICE_VERSION)
        .await
        .unwrap();
    db.service_report(service.id).await.unwrap();
    db.compute_node_create(
        name,
        name,
        &db::ComputeNodeValues {
            service_id: Some(service.id),
            vcpus: Some(vcpus),
            memory_mb: Some(ram_mb),
            local_gb: Some(disk_gb),
            vcpus_used: Some(0),
            memory_mb_used: Some(0),
            local_gb_used: Some(0),
            free_ram_mb: Some(ram_mb),
            free_disk_gb: Some(disk_gb),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn spec(memory_mb: i64, root_gb: i64, vcpus: i64) -> RequestSpec {
    RequestSpec {
        instance_uuid: uuid(0),
        num_instances: 1,
        flavor: Flavor {
            id: 1,
            flavorid: "t".into(),
            name: "test".into(),
            memory_mb,
            vcpus,
            root_gb,
            ephemeral_gb: 0,
            swap: 0,
            rxtx_factor: 1.0,
            is_public: true,
            disabled: false,
            extra_specs: Map::new(),
        },
        image: Map::new(),
        availability_zone: None,
        ignore_hosts: None,
        requested_destination: None,
        force_hosts: None,
        force_nodes: None,
        project_id: Some("p".into()),
        user_id: Some("u".into()),
        scheduler_hints: Map::new(),
        instance_group: None,
    }
}

fn uuid(i: usize) -> String {
    format!("00000000-0000-0000-0000-{i:012}")
}

fn uuids(n: usize) -> Vec<String> {
    (0..n).map(uuid).collect()
}

async fn select(
    world: &World,
    spec: &RequestSpec,
    n: usize,
) -> Result<Vec<Vec<Selection>>, CallError> {
    world
        .api
        .select_destinations(
            &RequestContext::new(),
            spec,
            &uuids(n),
            Duration::from_secs(30),
            Duration::from_secs(10),
        )
        .await
}

fn hosts(lists: &[Vec<Selection>]) -> Vec<Vec<String>> {
    lists
        .iter()
        .map(|l| l.iter().map(|s| s.service_host.clone()).collect())
        .collect()
}

fn assert_no_valid_host(outcome: Result<Vec<Vec<Selection>>, CallError>) {
    match outcome {
        Err(CallError::Remote(failure)) => {
            assert_eq!(failure.module, "nova.exception");
            assert_eq!(failure.class, NO_VALID_HOST);
            assert_eq!(
                failure.message,
                "No valid host was found. There are not enough hosts available."
            );
        }
        other => panic!("expected NoValidHost, got {other:?}"),
    }
}

#[actix_rt::test]
async fn a_single_instance_lands_on_the_host_with_most_free_ram() {
    let w = world().await;
    add_host(&w.db, "small", 2048, 100, 8).await;
    let big = add_host(&w.db, "big", 8192, 100, 8).await;
    add_host(&w.db, "medium", 4096, 100, 8).await;
    let lists = select(&w, &spec(1024, 10, 2), 1).await.unwrap();
    assert_eq!(hosts(&lists), [["big", "medium", "small"]]);
    let chosen = &lists[0][0];
    assert_eq!(chosen.nodename, "big");
    assert_eq!(chosen.compute_node_uuid, big.uuid);
    assert_eq!(chosen.availability_zone.as_deref(), Some("nova"));
    // Ratios from initial_*_allocation_ratio: ram 1.0, disk 1.0, cpu 4.0.
    assert_eq!(
        Value::Object(chosen.limits.clone().unwrap()),
        json!({"memory_mb": 8192, "disk_gb": 100, "vcpu": 32})
    );

    // return_objects=false: Nova's legacy `Selection.to_dict()` list, chosen hosts only.
    // `big` has 7168 MiB free now (consumed above), still the most.
    let legacy = w
        .raw
        .with_version("4.5")
        .call(
            &RequestContext::new(),
            "select_destinations",
            json!({"spec_obj": spec(1024, 10, 2).to_primitive(), "instance_uuids": [uuid(1)],
                   "return_objects": false, "return_alternates": false}),
        )
        .await
        .unwrap();
    assert_eq!(
        legacy,
        json!([{"host": "big", "nodename": "big",
                "limits": {"memory_mb": 8192, "disk_gb": 100, "vcpu": 32}}])
    );
}

#[actix_rt::test]
async fn disabled_forced_down_and_stale_hosts_are_skipped() {
    let w = world().await;
    add_host(&w.db, "disabled", 16384, 100, 8).await;
    add_host(&w.db, "forced-down", 16384, 100, 8).await;
    add_host(&w.db, "stale", 16384, 100, 8).await;
    add_host(&w.db, "ok", 2048, 100, 8).await;
    for (host, changes) in [
        (
            "disabled",
            ServiceChanges {
                disabled: Some(true),
                disabled_reason: Some(Some("maintenance".into())),
                ..Default::default()
            },
        ),
        (
            "forced-down",
            ServiceChanges {
                forced_down: Some(true),
                ..Default::default()
            },
        ),
    ] {
        w.db.service_set(
            ServiceKey::HostBinary {
                host,
                binary: "nova-compute",
            },
            &changes,
        )
        .await
        .unwrap();
    }
    // "stale" stops reporting: wait (a condition, not a fixed sleep) until Nova's rule
    // calls it down, while "ok" keeps heartbeating.
    let down_time = Duration::from_secs(SERVICE_DOWN_TIME_S);
    common::wait_until(
        Duration::from_secs(10),
        "the stale host to be down",
        || async {
            w.db.service_report_by_host_and_binary("ok", "nova-compute")
                .await
                .unwrap();
            let stale =
                w.db.service_get_by_host_and_binary("stale", "nova-compute")
                    .await
                    .unwrap()
                    .unwrap();
            !db::service_is_up(&stale, down_time, chrono::Utc::now())
        },
    )
    .await;
    let lists = select(&w, &spec(1024, 10, 1), 1).await.unwrap();
    assert_eq!(hosts(&lists), [["ok"]]);
}

#[actix_rt::test]
async fn a_host_too_small_for_the_flavor_is_skipped() {
    let w = world().await;
    add_host(&w.db, "little-disk", 16384, 5, 8).await;
    add_host(&w.db, "few-cpus", 8192, 100, 1).await; // 4 vCPUs at ratio 4.0
    add_host(&w.db, "fits", 4096, 100, 8).await;
    add_host(&w.db, "little-ram", 1024, 100, 8).await;
    let lists = select(&w, &spec(2048, 10, 5), 1).await.unwrap();
    assert_eq!(hosts(&lists), [["fits"]]);
}

#[actix_rt::test]
async fn no_fitting_host_is_no_valid_host_with_novas_message() {
    let w = world().await;
    // No hosts at all, then only hosts that are too small.
    assert_no_valid_host(select(&w, &spec(1024, 1, 1), 1).await);
    add_host(&w.db, "a", 1024, 100, 8).await;
    add_host(&w.db, "b", 512, 100, 8).await;
    assert_no_valid_host(select(&w, &spec(2048, 1, 1), 1).await);
    // Too few for a multi-create: nothing is consumed, the single request still fits.
    assert_no_valid_host(select(&w, &spec(1024, 1, 1), 2).await);
    assert_eq!(
        hosts(&select(&w, &spec(1024, 1, 1), 1).await.unwrap()),
        [["a"]]
    );
}

#[actix_rt::test]
async fn a_multi_create_spreads_and_alternates_are_distinct_and_at_most_max_attempts() {
    let w = world().await;
    for name in ["h1", "h2", "h3", "h4", "h5"] {
        add_host(&w.db, name, 4096, 100, 8).await;
    }
    let lists = select(&w, &spec(2048, 10, 1), 3).await.unwrap();
    assert_eq!(lists.len(), 3);
    let chosen: Vec<&str> = lists.iter().map(|l| l[0].service_host.as_str()).collect();
    assert_eq!(
        chosen,
        ["h1", "h2", "h3"],
        "equal hosts: spread by consumption"
    );
    for list in &lists {
        assert!(list.len() <= 3, "max_attempts is 3: {list:?}");
        let mut names: Vec<&str> = list.iter().map(|s| s.service_host.as_str()).collect();
        assert_eq!(
            &names[1..],
            ["h4", "h5"],
            "alternates are the unchosen hosts"
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), list.len(), "distinct hosts: {list:?}");
    }
    // The consumption stays until the computes report again: the next instances go to
    // the untouched hosts, then to the half-used ones.
    let next = select(&w, &spec(2048, 10, 1), 2).await.unwrap();
    assert_eq!(
        next.iter()
            .map(|l| l[0].service_host.as_str())
            .collect::<Vec<_>>(),
        ["h4", "h5"]
    );
    assert_eq!(w.state.host_count(), 5);
}

#[actix_rt::test]
async fn ignore_hosts_are_never_chosen_nor_alternates() {
    let w = world().await;
    add_host(&w.db, "best", 8192, 100, 8).await;
    add_host(&w.db, "second", 4096, 100, 8).await;
    add_host(&w.db, "third", 2048, 100, 8).await;
    let mut retry = spec(1024, 10, 1);
    retry.ignore_hosts = Some(vec!["best".into()]);
    let lists = select(&w, &retry, 1).await.unwrap();
    assert_eq!(hosts(&lists), [["second", "third"]]);
    retry.ignore_hosts = Some(vec!["best".into(), "second".into(), "third".into()]);
    assert_no_valid_host(select(&w, &retry, 1).await);
}

#[actix_rt::test]
async fn concurrent_requests_never_double_book_a_host_that_fits_one_instance() {
    let w = world().await;
    add_host(&w.db, "only", 4096, 100, 8).await;
    let requests = (0..12).map(|i| {
        let api = w.api.clone();
        let mut spec = spec(3072, 10, 1);
        spec.instance_uuid = uuid(100 + i);
        async move {
            api.select_destinations(
                &RequestContext::new(),
                &spec,
                &[uuid(100 + i)],
                Duration::from_secs(30),
                Duration::from_secs(10),
            )
            .await
        }
    });
    let outcomes = futures::future::join_all(requests).await;
    let placed = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(placed, 1, "{outcomes:?}");
    for outcome in outcomes.into_iter().filter(Result::is_err) {
        assert_no_valid_host(outcome);
    }
}

#[actix_rt::test]
async fn a_malformed_spec_obj_is_a_value_error_and_the_scheduler_keeps_serving() {
    let w = world().await;
    add_host(&w.db, "a", 4096, 100, 8).await;
    let client = w.raw.with_version("4.5");
    let ctx = RequestContext::new();
    for bad in [
        json!({"not": "an object primitive"}),
        json!(42),
        spec(1, 1, 1).flavor.to_primitive(), // a Flavor, not a RequestSpec
        {
            let mut broken = spec(1, 1, 1).to_primitive();
            broken["nova_object.data"]["flavor"]["nova_object.data"]["memory_mb"] = json!("lots");
            broken
        },
    ] {
        let err = client
            .call(
                &ctx,
                "select_destinations",
                json!({"spec_obj": bad, "instance_uuids": [uuid(1)],
                       "return_objects": true, "return_alternates": true}),
            )
            .await
            .unwrap_err();
        assert_eq!(err.remote_class(), Some("ValueError"), "{bad}: {err}");
    }
    let missing = client
        .call(&ctx, "select_destinations", json!({"instance_uuids": []}))
        .await
        .unwrap_err();
    assert_eq!(missing.remote_class(), Some("TypeError"), "{missing}");
    assert_eq!(
        hosts(&select(&w, &spec(1024, 1, 1), 1).await.unwrap()),
        [["a"]]
    );
}

fn instance_primitive(uuid: &str) -> Value {
    json!({
        "nova_object.name": "Instance", "nova_object.namespace": "nova",
        "nova_object.version": "2.8", "nova_object.data": {"uuid": uuid, "host": "h1"},
        "nova_object.changes": [],
    })
}

#[actix_rt::test]
async fn instance_info_fanouts_keep_the_per_host_view_and_a_sync_mismatch_rebuilds_it() {
    let w = world().await;
    let ctx = RequestContext::new();
    for u in [uuid(1), uuid(2)] {
        let mut values = Map::new();
        values.insert("uuid".into(), json!(u));
        values.insert("host".into(), json!("h1"));
        values.insert("vm_state".into(), json!("active"));
        w.db.instance_create(&values).await.unwrap();
    }
    let view = |state: &SchedulerState| {
        state
            .host_instances("h1")
            .map(|h| h.instances.into_iter().collect::<Vec<_>>())
    };

    // First fanout from an unknown host: rebuilt from the database (both instances).
    w.api
        .update_instance_info(&ctx, "h1", vec![instance_primitive(&uuid(1))])
        .await
        .unwrap();
    common::wait_until(Duration::from_secs(10), "h1's view", || async {
        view(&w.state).is_some()
    })
    .await;
    assert_eq!(view(&w.state).unwrap(), [uuid(1), uuid(2)]);

    // A known host: updates and deletes apply in place.
    w.api
        .update_instance_info(&ctx, "h1", vec![instance_primitive(&uuid(3))])
        .await
        .unwrap();
    w.api
        .delete_instance_info(&ctx, "h1", &uuid(1))
        .await
        .unwrap();
    common::wait_until(Duration::from_secs(10), "update and delete", || async {
        view(&w.state) == Some(vec![uuid(2), uuid(3)])
    })
    .await;

    // A matching sync changes nothing; a mismatching one rebuilds from the database.
    w.api
        .sync_instance_info(&ctx, "h1", &[uuid(3), uuid(2)])
        .await
        .unwrap();
    w.api
        .sync_instance_info(&ctx, "h1", &[uuid(2)])
        .await
        .unwrap();
    common::wait_until(
        Duration::from_secs(10),
        "the rebuild after a mismatch",
        || async { w.state.instance_info_recreated() == 2 },
    )
    .await;
    assert_eq!(w.state.sync_mismatches(), 1);
    assert_eq!(
        view(&w.state).unwrap(),
        [uuid(1), uuid(2)],
        "the database's list"
    );
    assert!(w.state.host_instances("h1").is_some_and(|h| !h.updated));
}

#[actix_rt::test]
async fn hosts_added_disabled_or_deleted_between_requests_are_seen_by_the_next_one() {
    let w = world().await;
    add_host(&w.db, "first", 4096, 100, 8).await;
    assert_eq!(
        hosts(&select(&w, &spec(512, 1, 1), 1).await.unwrap()),
        [["first"]]
    );
    // Requests after the first read only what changed: a new, bigger host is seen …
    let bigger = add_host(&w.db, "bigger", 16384, 100, 8).await;
    assert_eq!(
        hosts(&select(&w, &spec(512, 1, 1), 1).await.unwrap()),
        [["bigger", "first"]]
    );
    // … so is disabling it …
    w.db.service_set(
        ServiceKey::HostBinary {
            host: "bigger",
            binary: "nova-compute",
        },
        &ServiceChanges {
            disabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        hosts(&select(&w, &spec(512, 1, 1), 1).await.unwrap()),
        [["first"]]
    );
    // … and deleting the other one's node.
    let first =
        w.db.compute_node_get_by_host_and_nodename("first", "first")
            .await
            .unwrap();
    w.db.compute_node_delete(first.id).await.unwrap();
    assert_no_valid_host(select(&w, &spec(512, 1, 1), 1).await);
    assert_eq!(w.state.host_count(), 1, "only {} is left", bigger.uuid);
}
