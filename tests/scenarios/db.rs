// Shared database scenarios; included by one test file per backend, after it defines
// `const BACKEND: Backend`. Every test runs on a database of its own (a temp dir for SQLite,
// a fresh `novactor_test_<hex>` database on the server otherwise), so runs never collide.
// Liveness is computed with a chosen `now`: no test sleeps.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use novactor_nova::db::{
    service_is_up, ComputeNodeValues, DbServiceGroup, NovaDb, NovaDbError, ServiceChanges,
    ServiceKey,
};
use novactor::config::{DatabaseOptions, SecretUrl};
use novactor::db::{Database, DbError, Dialect};
use novactor::servicegroup::{ServiceGroup, ServiceGroupError};
use serde_json::{json, Map, Value};

/// Which server the scenarios run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each test binary uses one
enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    /// Admin URL (its database is only used to create and drop test databases).
    fn admin_url(self) -> Option<String> {
        let (var, default) = match self {
            Backend::Sqlite => return None,
            Backend::Postgres => (
                "NOVACTOR_TEST_POSTGRES_URL",
                "postgresql://postgres@127.0.0.1:5432/test",
            ),
            Backend::MySql => (
                "NOVACTOR_TEST_MYSQL_URL",
                "mysql://root@127.0.0.1:3306/test",
            ),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }

    fn start_hint(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => {
                "bash scripts/services.sh (or: pg_ctlcluster --skip-systemctl-redirect \
                 $(ls /etc/postgresql) main start), or set NOVACTOR_TEST_POSTGRES_URL"
            }
            Backend::MySql => {
                "bash scripts/services.sh (or: start-stop-daemon --start --oknodo --background \
                 --exec /usr/sbin/mariadbd), or set NOVACTOR_TEST_MYSQL_URL"
            }
        }
    }

    fn dialect(self) -> Dialect {
        match self {
            Backend::Sqlite => Dialect::Sqlite,
            Backend::Postgres => Dialect::Postgres,
            Backend::MySql => Dialect::MySql,
        }
    }
}

fn options(url: Option<String>) -> DatabaseOptions {
    DatabaseOptions {
        connection: url.map(SecretUrl::new),
        max_pool_size: 5,
        max_retries: Some(0),
        retry_interval: Duration::ZERO,
        connection_recycle_time: Duration::from_secs(3600),
    }
}

/// `url` with its database (path) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (url, String::new()),
    };
    let base = match head[scheme_end..].find('/') {
        Some(slash) => &head[..scheme_end + slash],
        None => head,
    };
    format!("{base}/{name}{query}")
}

/// Runs `scenario` on a fresh, empty (not migrated) database of `BACKEND`, then drops it,
/// also when the scenario panics.
async fn with_db<F, Fut>(scenario: F)
where
    F: FnOnce(NovaDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(admin_url) = BACKEND.admin_url() else {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::connect(&options(None), dir.path())
            .await
            .expect("SQLite database in a temp dir");
        scenario(NovaDb::new(db.clone())).await;
        db.close().await;
        return;
    };
    let admin = match Database::connect(&options(Some(admin_url.clone())), Path::new(".")).await {
        Ok(admin) => admin,
        Err(e) => panic!(
            "{BACKEND:?} is needed for these tests and is not reachable: {e}\nstart it with: {}",
            BACKEND.start_hint()
        ),
    };
    let name = format!("novactor_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .expect("create the test database");
    let db = Database::connect(
        &options(Some(with_database(&admin_url, &name))),
        Path::new("."),
    )
    .await
    .expect("connect to the fresh test database");
    assert_eq!(db.dialect(), BACKEND.dialect());
    let outcome = AssertUnwindSafe(scenario(NovaDb::new(db.clone())))
        .catch_unwind()
        .await;
    db.close().await;
    let drop = match BACKEND {
        Backend::Postgres => format!("DROP DATABASE {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE {name}"),
    };
    let dropped = admin.execute(&drop, &[]).await;
    admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    dropped.expect("drop the test database");
}

async fn synced(db: &NovaDb) {
    db.sync().await.expect("db sync");
}

fn values(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[tokio::test]
async fn the_schema_check_asks_for_db_sync_until_it_ran_and_sync_is_idempotent() {
    with_db(|db| async move {
        let err = db
            .check_schema()
            .await
            .expect_err("empty database passes the check");
        assert!(err.to_string().contains("run `novactor db sync`"), "{err}");
        assert!(matches!(
            err,
            NovaDbError::Db(DbError::SchemaOutdated {
                current: None,
                expected: 2
            })
        ));
        assert_eq!(
            db.database()
                .pending_migrations(&novactor_nova::db::MIGRATIONS)
                .await
                .unwrap(),
            vec![1, 2]
        );
        synced(&db).await;
        synced(&db).await;
        db.check_schema().await.expect("schema current after sync");
        assert!(db
            .database()
            .pending_migrations(&novactor_nova::db::MIGRATIONS)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            db.flavor_list(None).await.unwrap().len(),
            5,
            "sync twice seeds once"
        );
    })
    .await;
}

#[tokio::test]
async fn novas_default_flavors_are_seeded() {
    with_db(|db| async move {
        synced(&db).await;
        let flavors = db.flavor_list(Some(true)).await.unwrap();
        let names: Vec<&str> = flavors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
        );
        let small = db.flavor_get_by_flavor_id("2").await.unwrap();
        assert_eq!(
            (small.memory_mb, small.vcpus, small.root_gb),
            (2048, 1, Some(20))
        );
        assert!(small.is_public && !small.disabled);
        assert_eq!(small.rxtx_factor, 1.0);
        let xlarge = db.flavor_get_by_name("m1.xlarge").await.unwrap();
        assert_eq!(
            (xlarge.memory_mb, xlarge.vcpus, xlarge.root_gb),
            (16384, 8, Some(160))
        );
        assert!(db.flavor_list(Some(false)).await.unwrap().is_empty());
        let missing = db.flavor_get_by_flavor_id("42").await.unwrap_err();
        assert_eq!(missing.to_string(), "Flavor 42 could not be found.");
        assert_eq!(missing.nova_class(), Some("FlavorNotFound"));
    })
    .await;
}

#[tokio::test]
async fn a_reporting_service_is_up_and_goes_down_after_service_down_time() {
    with_db(|db| async move {
        synced(&db).await;
        let down_time = Duration::from_secs(3);
        let created = db
            .service_create("node1", "nova-conductor", Some("conductor"), 73)
            .await
            .unwrap();
        assert_eq!(created.report_count, 0);
        assert_eq!(created.uuid.len(), 36);
        assert!(created.last_seen_up.is_none());
        let born = created.created_at.expect("created_at set");
        // Before any heartbeat, Nova falls back to created_at.
        assert!(service_is_up(&created, down_time, born + secs(3)));
        assert!(!service_is_up(&created, down_time, born + secs(4)));

        db.service_report(created.id).await.unwrap();
        db.service_report(created.id).await.unwrap();
        let reported = db.service_get(created.id).await.unwrap();
        assert_eq!(reported.report_count, 2);
        let seen = reported.last_seen_up.expect("last_seen_up set by report");
        assert_eq!(reported.updated_at, Some(seen));
        assert!(service_is_up(&reported, down_time, seen + secs(3)));
        assert!(!service_is_up(&reported, down_time, seen + secs(4)));

        let forced = db
            .service_set(
                ServiceKey::Id(created.id),
                &ServiceChanges {
                    forced_down: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!service_is_up(&forced, down_time, seen));

        db.service_create("node1", "nova-scheduler", Some("scheduler"), 73)
            .await
            .unwrap();
        db.service_create("node2", "nova-compute", Some("compute"), 73)
            .await
            .unwrap();
        assert_eq!(db.service_list(None, None).await.unwrap().len(), 3);
        assert_eq!(db.service_list(Some("node1"), None).await.unwrap().len(), 2);
        let computes = db.service_list(None, Some("nova-compute")).await.unwrap();
        assert_eq!(computes.len(), 1);
        assert_eq!(computes[0].host, "node2");

        let again = db
            .service_create("node1", "nova-conductor", Some("conductor2"), 73)
            .await
            .unwrap_err();
        assert_eq!(
            again.to_string(),
            "Service with host node1 binary nova-conductor exists."
        );
        let gone = db.service_report(9999).await.unwrap_err();
        assert_eq!(gone.to_string(), "Service 9999 could not be found.");
        db.service_destroy(created.id).await.unwrap();
        assert!(db
            .service_get_by_host_and_binary("node1", "nova-conductor")
            .await
            .unwrap()
            .is_none());
        // Soft delete keeps the unique keys free for a new row.
        db.service_create("node1", "nova-conductor", Some("conductor"), 73)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn service_create_or_update_creates_once_then_bumps_the_version() {
    with_db(|db| async move {
        synced(&db).await;
        let first = db
            .service_create_or_update("n", "nova-scheduler", Some("scheduler"), 70)
            .await
            .unwrap();
        let same = db
            .service_create_or_update("n", "nova-scheduler", Some("scheduler"), 70)
            .await
            .unwrap();
        assert_eq!(first, same, "an unchanged version writes nothing");
        let bumped = db
            .service_create_or_update("n", "nova-scheduler", Some("scheduler"), 73)
            .await
            .unwrap();
        assert_eq!((bumped.id, bumped.version), (first.id, 73));
        assert!(bumped.updated_at.is_some());
        // Racing starts of the same service end with one row.
        let (a, b) = tokio::join!(
            db.service_create_or_update("race", "nova-compute", Some("compute"), 73),
            db.service_create_or_update("race", "nova-compute", Some("compute"), 73),
        );
        assert_eq!(a.unwrap().id, b.unwrap().id);
        assert_eq!(db.service_list(Some("race"), None).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn disabling_a_service_does_not_touch_last_seen_up() {
    // Nova bug #1420848: a dead service must not come back up because it was disabled.
    with_db(|db| async move {
        synced(&db).await;
        let service = db
            .service_create("h", "nova-compute", Some("compute"), 73)
            .await
            .unwrap();
        db.service_report(service.id).await.unwrap();
        let before = db.service_get(service.id).await.unwrap();
        let key = ServiceKey::HostBinary {
            host: "h",
            binary: "nova-compute",
        };
        let disabled = db
            .service_set(
                key,
                &ServiceChanges {
                    disabled: Some(true),
                    disabled_reason: Some(Some("maintenance".into())),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(disabled.disabled);
        assert_eq!(disabled.disabled_reason.as_deref(), Some("maintenance"));
        assert_eq!(disabled.last_seen_up, before.last_seen_up);
        assert_eq!(disabled.report_count, before.report_count);
        assert!(disabled.updated_at >= before.updated_at);
        let seen = before.last_seen_up.unwrap();
        assert!(!service_is_up(
            &disabled,
            Duration::from_secs(60),
            seen + secs(61)
        ));

        let enabled = db
            .service_set(
                key,
                &ServiceChanges {
                    disabled: Some(false),
                    disabled_reason: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!enabled.disabled);
        assert_eq!(enabled.disabled_reason, None);
        assert_eq!(enabled.last_seen_up, before.last_seen_up);

        let missing = db
            .service_set(
                ServiceKey::HostBinary {
                    host: "nope",
                    binary: "nova-compute",
                },
                &ServiceChanges::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "Could not find binary nova-compute on host nope."
        );
    })
    .await;
}

#[tokio::test]
async fn compute_nodes_are_created_read_updated_and_listed_by_host() {
    with_db(|db| async move {
        synced(&db).await;
        let fake = ComputeNodeValues {
            vcpus: Some(1000),
            memory_mb: Some(800_000),
            local_gb: Some(600_000),
            hypervisor_type: Some("fake".into()),
            hypervisor_version: Some(1000),
            cpu_info: Some(json!({"arch": "x86_64", "model": "Nehalem"}).to_string()),
            disk_available_least: Some(0),
            cpu_allocation_ratio: Some(16.0),
            ..Default::default()
        };
        let node = db.compute_node_create("c1", "c1", &fake).await.unwrap();
        assert_eq!(
            (node.vcpus, node.memory_mb, node.vcpus_used),
            (1000, 800_000, 0)
        );
        assert_eq!(node.stats.as_deref(), Some("{}"));
        assert_eq!(node.cpu_allocation_ratio, Some(16.0));
        let found = db
            .compute_node_get_by_host_and_nodename("c1", "c1")
            .await
            .unwrap();
        assert_eq!(found, node);

        let audit = ComputeNodeValues {
            vcpus_used: Some(2),
            memory_mb_used: Some(1024),
            running_vms: Some(1),
            free_ram_mb: Some(798_976),
            ..Default::default()
        };
        let updated = db.compute_node_update(node.id, &audit).await.unwrap();
        assert_eq!(
            (
                updated.vcpus_used,
                updated.memory_mb_used,
                updated.running_vms
            ),
            (2, 1024, Some(1))
        );
        assert_eq!(updated.vcpus, 1000, "fields not given are kept");
        assert!(updated.updated_at.is_some());

        db.compute_node_create("c1", "c1-second", &fake)
            .await
            .unwrap();
        assert_eq!(
            db.compute_node_get_all_by_host("c1").await.unwrap().len(),
            2
        );
        let none = db.compute_node_get_all_by_host("c9").await.unwrap_err();
        assert_eq!(none.to_string(), "Compute host c9 could not be found.");
        assert_eq!(none.nova_class(), Some("ComputeHostNotFound"));
        assert!(matches!(
            db.compute_node_get_by_host_and_nodename("c1", "other")
                .await,
            Err(NovaDbError::ComputeHostNotFound { .. })
        ));
        assert!(
            db.compute_node_create("c1", "c1", &fake).await.is_err(),
            "(host, node) is unique"
        );
        db.compute_node_delete(node.id).await.unwrap();
        assert_eq!(db.compute_node_get_all().await.unwrap().len(), 1);
    })
    .await;
}

async fn booting(db: &NovaDb) -> String {
    let row = db
        .instance_create(&values(json!({
            "display_name": "vm1",
            "project_id": "p", "user_id": "u",
            "vm_state": "building", "task_state": "scheduling", "power_state": 0,
            "memory_mb": 512, "vcpus": 1, "root_gb": 1, "instance_type_id": 1,
            "flavor": {"name": "m1.tiny", "memory_mb": 512},
            "metadata": {"k": "v"},
        })))
        .await
        .unwrap();
    row.uuid
}

fn states(list: &[Option<&str>]) -> Vec<Option<String>> {
    list.iter().map(|s| s.map(str::to_owned)).collect()
}

#[tokio::test]
async fn of_two_concurrent_updates_expecting_the_same_task_state_exactly_one_wins() {
    with_db(|db| async move {
        synced(&db).await;
        let uuid = booting(&db).await;
        let expected = states(&[Some("scheduling")]);
        let a_values = values(json!({"task_state": "spawning", "host": "a"}));
        let b_values = values(json!({"task_state": "spawning", "host": "b"}));
        let (a, b) = tokio::join!(
            db.instance_update_and_get(&uuid, &a_values, Some(&expected), None),
            db.instance_update_and_get(&uuid, &b_values, Some(&expected), None),
        );
        let (winner, loser) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            (a, b) => panic!("expected exactly one winner, got {a:?} and {b:?}"),
        };
        assert_eq!(winner.task_state.as_deref(), Some("spawning"));
        match &loser {
            NovaDbError::UnexpectedTaskState {
                expected, actual, ..
            } => {
                assert_eq!(expected, &states(&[Some("scheduling")]));
                assert_eq!(actual.as_deref(), Some("spawning"));
            }
            other => panic!("loser should see UnexpectedTaskState, got {other}"),
        }
        assert_eq!(
            loser.to_string(),
            "Unexpected task state: expecting {'task_state': ['scheduling']} but the actual \
             state is {'task_state': 'spawning'}"
        );
        let stored = db.instance_get_by_uuid(&uuid).await.unwrap();
        assert_eq!(
            stored.host, winner.host,
            "only the winner's values were written"
        );
    })
    .await;
}

#[tokio::test]
async fn conditional_updates_explain_why_they_did_not_apply() {
    with_db(|db| async move {
        synced(&db).await;
        let uuid = booting(&db).await;
        let row = db
            .instance_update_and_get(
                &uuid,
                &values(json!({"task_state": null, "vm_state": "active", "launched_at": "2024-05-01T12:00:00.000000"})),
                Some(&states(&[Some("scheduling"), None])),
                Some(&["building".to_owned()]),
            )
            .await
            .unwrap();
        assert_eq!(row.task_state, None);
        assert_eq!(row.vm_state.as_deref(), Some("active"));
        assert_eq!(row.launched_at.map(|t| t.to_rfc3339()), Some("2024-05-01T12:00:00+00:00".to_owned()));
        assert_eq!(row.metadata_json().unwrap(), json!({"k": "v"}));
        assert_eq!(row.flavor_json().unwrap()["name"], "m1.tiny");

        // Expecting "no task" matches NULL.
        db.instance_update_and_get(&uuid, &values(json!({"task_state": "deleting"})), Some(&states(&[None])), None)
            .await
            .unwrap();
        let deleting = db
            .instance_update_and_get(&uuid, &values(json!({"task_state": "powering-off"})), Some(&states(&[None])), None)
            .await
            .unwrap_err();
        assert!(matches!(deleting, NovaDbError::UnexpectedDeletingTaskState { .. }), "{deleting}");
        assert_eq!(deleting.nova_class(), Some("UnexpectedDeletingTaskStateError"));

        let vm = db
            .instance_update_and_get(&uuid, &values(json!({"progress": 5})), None, Some(&["stopped".to_owned()]))
            .await
            .unwrap_err();
        assert!(matches!(vm, NovaDbError::UnexpectedVmState { .. }), "{vm}");

        let unknown = db
            .instance_update_and_get(&uuid, &values(json!({"deleted": 1, "vm_state": "x"})), None, None)
            .await
            .unwrap_err();
        assert!(matches!(unknown, NovaDbError::UnknownColumn { .. }), "{unknown}");
        let injection = values(json!({"vm_state = 'x' --": 1}));
        assert!(matches!(
            db.instance_update_and_get(&uuid, &injection, None, None).await,
            Err(NovaDbError::UnknownColumn { .. })
        ));
        assert_eq!(db.instance_get_by_uuid(&uuid).await.unwrap().vm_state.as_deref(), Some("active"));

        let missing = db
            .instance_update_and_get("00000000-0000-0000-0000-000000000000", &Map::new(), Some(&states(&[None])), None)
            .await
            .unwrap_err();
        assert_eq!(missing.to_string(), "Instance 00000000-0000-0000-0000-000000000000 could not be found.");
        assert_eq!(missing.nova_class(), Some("InstanceNotFound"));
    })
    .await;
}

#[tokio::test]
async fn faults_list_newest_first_and_soft_deleted_instances_disappear() {
    with_db(|db| async move {
        synced(&db).await;
        let uuid = booting(&db).await;
        db.instance_update_and_get(
            &uuid,
            &values(json!({"host": "c1", "node": "c1"})),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(db.instance_get_all_by_host("c1").await.unwrap().len(), 1);
        db.instance_fault_create(&uuid, 500, "first", Some("tb1"), Some("c1"))
            .await
            .unwrap();
        let long = "x".repeat(300);
        db.instance_fault_create(&uuid, 500, &long, None, Some("c1"))
            .await
            .unwrap();
        let faults = db.instance_fault_get_by_instance_uuid(&uuid).await.unwrap();
        assert_eq!(faults.len(), 2);
        assert_eq!(
            faults[0].message.as_ref().map(String::len),
            Some(255),
            "newest first, cut to 255"
        );
        assert_eq!(faults[1].message.as_deref(), Some("first"));
        assert!(
            db.instance_fault_create("no-such-instance", 500, "m", None, None)
                .await
                .is_err(),
            "foreign key"
        );

        let destroyed = db.instance_destroy(&uuid).await.unwrap();
        assert_eq!(destroyed.uuid, uuid);
        assert!(matches!(
            db.instance_get_by_uuid(&uuid).await,
            Err(NovaDbError::InstanceNotFound { .. })
        ));
        assert!(db.instance_get_all_by_host("c1").await.unwrap().is_empty());
        assert!(matches!(
            db.instance_destroy(&uuid).await,
            Err(NovaDbError::InstanceNotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn request_specs_round_trip_their_json() {
    with_db(|db| async move {
        synced(&db).await;
        let uuid = booting(&db).await;
        let spec = json!({"num_instances": 1, "flavor": {"flavorid": "1"}, "ignore_hosts": ["a"]});
        let row = db.request_spec_create(&uuid, &spec).await.unwrap();
        assert_eq!(row.spec_json().unwrap(), spec);
        assert!(
            db.request_spec_create(&uuid, &spec).await.is_err(),
            "one spec per instance"
        );
        let retried = json!({"num_instances": 1, "ignore_hosts": ["a", "b"]});
        db.request_spec_save(&uuid, &retried).await.unwrap();
        assert_eq!(
            db.request_spec_get_by_instance_uuid(&uuid)
                .await
                .unwrap()
                .spec_json()
                .unwrap(),
            retried
        );
        let missing = db
            .request_spec_get_by_instance_uuid("nope")
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "RequestSpec not found for instance nope"
        );
    })
    .await;
}

#[tokio::test]
async fn instance_actions_record_their_events() {
    with_db(|db| async move {
        synced(&db).await;
        let uuid = booting(&db).await;
        let action = db
            .action_start(&uuid, "create", "req-1", Some("u"), Some("p"))
            .await
            .unwrap();
        assert_eq!(action.action.as_deref(), Some("create"));
        assert!(action.start_time.is_some());
        let event = db
            .action_event_start(&uuid, "req-1", "compute_build_and_run_instance", Some("c1"))
            .await
            .unwrap();
        assert_eq!(event.action_id, Some(action.id));
        assert!(event.finish_time.is_none());
        let finished = db
            .action_event_finish(
                &uuid,
                "req-1",
                "compute_build_and_run_instance",
                "Error",
                Some("Traceback…"),
            )
            .await
            .unwrap();
        assert_eq!(finished.result.as_deref(), Some("Error"));
        assert!(finished.finish_time.is_some());
        let actions = db.actions_get(&uuid).await.unwrap();
        assert_eq!(
            actions[0].message.as_deref(),
            Some("Error"),
            "a failed event marks its action"
        );
        assert_eq!(db.action_events_get(action.id).await.unwrap().len(), 1);
        let missing = db
            .action_event_start(&uuid, "req-2", "e", None)
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            format!("Action for request_id req-2 on instance {uuid} not found")
        );
    })
    .await;
}

#[tokio::test]
async fn the_db_servicegroup_joins_reports_and_lists_services() {
    with_db(|db| async move {
        synced(&db).await;
        let group = DbServiceGroup::new(db.clone(), 73);
        assert!(matches!(
            group.report_state("n", "nova-conductor").await,
            Err(ServiceGroupError::NotFound { .. })
        ));
        group
            .join("n", "nova-conductor", "conductor")
            .await
            .unwrap();
        group
            .join("n", "nova-conductor", "conductor")
            .await
            .unwrap();
        group.join("n", "nova-api", "").await.unwrap();
        group.report_state("n", "nova-conductor").await.unwrap();
        let records = group.services().await.unwrap();
        assert_eq!(records.len(), 2);
        let conductor = records
            .iter()
            .find(|r| r.binary == "nova-conductor")
            .unwrap();
        assert_eq!((conductor.report_count, conductor.version), (1, 73));
        assert!(conductor.id.is_some() && conductor.uuid.is_some());
        let seen: DateTime<Utc> = conductor.last_seen_up.unwrap();
        assert!(conductor.is_up(Duration::from_secs(60), seen + secs(60)));
        assert!(!conductor.is_up(Duration::from_secs(60), seen + secs(61)));
        let api = db
            .service_get_by_host_and_binary("n", "nova-api")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(api.topic, None, "the api consumes no topic");
    })
    .await;
}

#[tokio::test]
async fn connecting_creates_the_sqlite_file_or_reports_an_unreachable_server() {
    match BACKEND {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let state = dir.path().join("deep/state");
            let db = Database::connect(&options(None), &state).await.unwrap();
            assert!(state.join("novactor.sqlite").exists());
            let mode: Option<(String,)> =
                db.fetch_optional("PRAGMA journal_mode", &[]).await.unwrap();
            assert_eq!(mode.unwrap().0, "wal");
            let fk: Option<(i64,)> = db.fetch_optional("PRAGMA foreign_keys", &[]).await.unwrap();
            assert_eq!(fk.unwrap().0, 1);
            db.close().await;
        }
        Backend::Postgres | Backend::MySql => {
            let scheme = if BACKEND == Backend::Postgres {
                "postgresql+psycopg2"
            } else {
                "mysql+pymysql"
            };
            let mut opts = options(Some(format!("{scheme}://nova:hunter2@127.0.0.1:1/nova")));
            opts.max_retries = Some(1);
            let err = Database::connect(&opts, Path::new(".")).await.unwrap_err();
            assert!(err.is_unavailable(), "{err}");
            assert!(
                matches!(err, DbError::Unavailable { attempts: 2, .. }),
                "{err}"
            );
            let text = err.to_string();
            assert!(
                text.contains("nova:***@127.0.0.1:1") && !text.contains("hunter2"),
                "{text}"
            );
        }
    }
}
