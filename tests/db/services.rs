//! Nova's `services` table and the database servicegroup, per backend: liveness computed
//! with a chosen `now` (no test sleeps), create-or-update, disabling, joining and reporting.

use std::time::Duration;

use chrono::{DateTime, Utc};
use novactor::servicegroup::{ServiceGroup, ServiceGroupError};
use novactor_nova::db::{service_is_up, DbServiceGroup, ServiceChanges, ServiceKey};

use crate::common::*;
use crate::scenario::{secs, synced, with_db};

async fn a_reporting_service_is_up_and_goes_down_after_service_down_time(backend: Backend) {
    with_db(backend, |db| async move {
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

async fn service_create_or_update_creates_once_then_bumps_the_version(backend: Backend) {
    with_db(backend, |db| async move {
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

async fn disabling_a_service_does_not_touch_last_seen_up(backend: Backend) {
    // Nova bug #1420848: a dead service must not come back up because it was disabled.
    with_db(backend, |db| async move {
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

async fn the_db_servicegroup_joins_reports_and_lists_services(backend: Backend) {
    with_db(backend, |db| async move {
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

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        a_reporting_service_is_up_and_goes_down_after_service_down_time,
        service_create_or_update_creates_once_then_bumps_the_version,
        disabling_a_service_does_not_touch_last_seen_up,
        the_db_servicegroup_joins_reports_and_lists_services,
    ]
}
