//! Instances and what hangs off them, per backend: conditional updates on the expected task
//! state (one of two concurrent ones wins, and a refusal says why), faults newest first,
//! request specs, instance actions and their events.

use novactor_nova::db::{NovaDb, NovaDbError};
use serde_json::{json, Map};

use crate::common::*;
use crate::scenario::{synced, values, with_db};

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

async fn of_two_concurrent_updates_expecting_the_same_task_state_exactly_one_wins(
    backend: Backend,
) {
    with_db(backend, |db| async move {
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

async fn conditional_updates_explain_why_they_did_not_apply(backend: Backend) {
    with_db(backend, |db| async move {
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

async fn faults_list_newest_first_and_soft_deleted_instances_disappear(backend: Backend) {
    with_db(backend, |db| async move {
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

async fn request_specs_round_trip_their_json(backend: Backend) {
    with_db(backend, |db| async move {
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

async fn instance_actions_record_their_events(backend: Backend) {
    with_db(backend, |db| async move {
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
                Some("Build of instance failed"),
            )
            .await
            .unwrap();
        assert_eq!(finished.result.as_deref(), Some("Error"));
        assert_eq!(
            finished.details.as_deref(),
            Some("Build of instance failed")
        );
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

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        of_two_concurrent_updates_expecting_the_same_task_state_exactly_one_wins,
        conditional_updates_explain_why_they_did_not_apply,
        faults_list_newest_first_and_soft_deleted_instances_disappear,
        request_specs_round_trip_their_json,
        instance_actions_record_their_events,
    ]
}
