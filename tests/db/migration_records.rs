//! Migration records (migration 0010: `migrations`) per backend: a resize record is
//! created with its source and flavors, found by instance and status, moved through its
//! statuses with its destination, and listed by Nova's filters newest first with marker
//! paging (also by a list of statuses); an unknown type is refused and a missing record is Nova's `MigrationNotFound`.

use novactor_nova::db::{MigrationChanges, MigrationFilters, NewMigration, NovaDbError};

use crate::common::*;
use crate::scenario::{synced, with_db};

fn resize(instance: &str, source: &str) -> NewMigration {
    NewMigration {
        instance_uuid: instance.to_owned(),
        migration_type: "resize".to_owned(),
        status: "pre-migrating".to_owned(),
        source_compute: Some(source.to_owned()),
        source_node: Some(source.to_owned()),
        old_instance_type_id: Some(1),
        new_instance_type_id: Some(2),
        user_id: Some("u".to_owned()),
        project_id: Some("p".to_owned()),
        ..NewMigration::default()
    }
}

async fn a_migration_record_moves_through_its_statuses_and_is_listed_by_filters(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let first = db.migration_create(&resize("i-1", "h1")).await.unwrap();
        assert_eq!(first.status.as_deref(), Some("pre-migrating"));
        assert_eq!(first.migration_type.as_deref(), Some("resize"));
        assert!(!first.hidden && !first.cross_cell_move);
        assert_eq!(first.dest_compute, None);
        let moved = db
            .migration_update(
                first.id,
                &MigrationChanges {
                    status: Some("finished".to_owned()),
                    dest_compute: Some("h2".to_owned()),
                    dest_node: Some("h2".to_owned()),
                    dest_compute_id: Some(7),
                    ..MigrationChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(moved.dest_compute.as_deref(), Some("h2"));
        assert_eq!(moved.dest_compute_id, Some(7));
        assert_eq!(moved.old_instance_type_id, Some(1));
        assert!(moved.updated_at.is_some());
        let found = db
            .migration_get_by_instance_and_status("i-1", "finished")
            .await
            .unwrap();
        assert_eq!(found.id, first.id);
        assert_eq!(
            db.migration_get_by_uuid(first.uuid.as_deref().unwrap())
                .await
                .unwrap()
                .id,
            first.id
        );
        let missing = db
            .migration_get_by_instance_and_status("i-1", "confirmed")
            .await
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "Migration not found for instance i-1 with status confirmed."
        );
        let mut cold = resize("i-2", "h3");
        cold.migration_type = "migration".to_owned();
        let second = db.migration_create(&cold).await.unwrap();
        let third = db.migration_create(&resize("i-3", "h2")).await.unwrap();

        let all = db
            .migration_get_all_by_filters(&MigrationFilters::default())
            .await
            .unwrap();
        let ids: Vec<i64> = all.iter().map(|m| m.id).collect();
        assert_eq!(ids, [third.id, second.id, first.id]);
        let on_h2 = MigrationFilters {
            host: Some("h2".to_owned()),
            ..MigrationFilters::default()
        };
        let ids: Vec<i64> = db
            .migration_get_all_by_filters(&on_h2)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [third.id, first.id], "h2 as source or destination");
        let cold_only = MigrationFilters {
            migration_type: Some("migration".to_owned()),
            ..MigrationFilters::default()
        };
        let listed = db.migration_get_all_by_filters(&cold_only).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, second.id);
        let page = MigrationFilters {
            marker: Some(third.clone()),
            limit: Some(1),
            ..MigrationFilters::default()
        };
        let ids: Vec<i64> = db
            .migration_get_all_by_filters(&page)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [second.id], "the one after the marker");
        // A list of statuses, as `_destroy_evacuated_instances` asks (first is finished).
        let statuses = |wanted: &[&str]| MigrationFilters {
            status_in: Some(wanted.iter().map(|s| (*s).to_owned()).collect()),
            ..MigrationFilters::default()
        };
        let ids: Vec<i64> = db
            .migration_get_all_by_filters(&statuses(&["accepted", "pre-migrating"]))
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [third.id, second.id]);
        assert!(db
            .migration_get_all_by_filters(&statuses(&[]))
            .await
            .unwrap()
            .is_empty());

        let mut bad = resize("i-4", "h1");
        bad.migration_type = "teleport".to_owned();
        assert!(matches!(
            db.migration_create(&bad).await,
            Err(NovaDbError::InvalidValue { .. })
        ));
        let gone = db.migration_get(first.id + 1000).await.unwrap_err();
        assert_eq!(gone.nova_class(), Some("MigrationNotFound"), "{gone}");
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        a_migration_record_moves_through_its_statuses_and_is_listed_by_filters,
    ]
}
