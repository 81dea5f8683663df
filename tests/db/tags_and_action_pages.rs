//! The `tags` table and the 2.58 pages of `instance_actions`: a page's tags in one query,
//! tags gone with their instance, actions after a marker, by `updated_at`, at most `limit`.

use novactor_nova::db::{ActionsPage, NovaDb};
use serde_json::json;

use crate::common::*;
use crate::scenario::{synced, values, with_db};

async fn instance(db: &NovaDb, name: &str) -> String {
    db.instance_create(&values(json!({
        "display_name": name, "project_id": "p", "user_id": "u",
        "vm_state": "active", "power_state": 1,
    })))
    .await
    .unwrap()
    .uuid
}

async fn tags_are_kept_per_instance_and_go_with_it(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let one = instance(&db, "one").await;
        let two = instance(&db, "two").await;
        db.tag_add(&one, "b").await.unwrap();
        db.tag_add(&one, "a").await.unwrap();
        db.tag_add(&one, "a").await.unwrap();
        assert_eq!(db.tags_get(&one).await.unwrap(), ["a", "b"]);
        let set = db
            .tag_set(&two, &["z".to_owned(), "y".to_owned(), "z".to_owned()])
            .await
            .unwrap();
        assert_eq!(set, ["y", "z"]);
        let page = db
            .tags_by_resource_ids(&[one.clone(), two.clone(), "none".to_owned()])
            .await
            .unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[&two], ["y", "z"]);
        assert!(db.tag_exists(&one, "a").await.unwrap());
        assert!(db.tag_delete(&one, "a").await.unwrap());
        assert!(!db.tag_delete(&one, "a").await.unwrap());
        db.instance_destroy(&one).await.unwrap();
        assert!(db.tags_get(&one).await.unwrap().is_empty());
        assert_eq!(db.tags_get(&two).await.unwrap(), ["y", "z"]);
    })
    .await;
}

async fn action_pages_follow_the_marker_time_filters_and_limit(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let uuid = instance(&db, "acts").await;
        for request in ["req-1", "req-2", "req-3"] {
            db.action_start(&uuid, request, request, Some("u"), Some("p"))
                .await
                .unwrap();
            db.action_event_start(&uuid, request, "e", Some("h"))
                .await
                .unwrap();
        }
        let all = db
            .actions_page(&uuid, &ActionsPage::default())
            .await
            .unwrap();
        let names: Vec<_> = all.iter().filter_map(|a| a.request_id.clone()).collect();
        assert_eq!(names, ["req-3", "req-2", "req-1"]);
        assert!(
            all.iter().all(|a| a.updated_at.is_some()),
            "an event stamps its action"
        );
        let marker = db.action_get_by_request_id(&uuid, "req-3").await.unwrap();
        let after = db
            .actions_page(
                &uuid,
                &ActionsPage {
                    limit: Some(1),
                    marker: Some(marker),
                    ..ActionsPage::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].request_id.as_deref(), Some("req-2"));
        let newest = all[0].updated_at.unwrap();
        let since = db
            .actions_page(
                &uuid,
                &ActionsPage {
                    changes_since: Some(newest),
                    ..ActionsPage::default()
                },
            )
            .await
            .unwrap();
        // Actions stamped in the same microsecond tie; none older may come.
        assert_eq!(since[0].request_id.as_deref(), Some("req-3"));
        assert!(since.iter().all(|a| a.updated_at >= Some(newest)));
        let before = db
            .actions_page(
                &uuid,
                &ActionsPage {
                    changes_before: Some(newest - chrono::Duration::days(1)),
                    ..ActionsPage::default()
                },
            )
            .await
            .unwrap();
        assert!(before.is_empty());
        let none = db
            .actions_page(
                &uuid,
                &ActionsPage {
                    limit: Some(0),
                    ..ActionsPage::default()
                },
            )
            .await
            .unwrap();
        assert!(none.is_empty());
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        tags_are_kept_per_instance_and_go_with_it,
        action_pages_follow_the_marker_time_filters_and_limit,
    ]
}
