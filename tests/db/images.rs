//! The image catalog (migration 0011: `novactor_images`, D-IMAGE) per backend: the seeded
//! `cirros` is there, public and active; a snapshot image is created `queued` with its
//! properties, its upload makes it `active` with its size and formats (once: a second
//! upload is refused), it is listed newest first by a property filter, and deleted.

use serde_json::{json, Map};

use novactor_nova::db::{select_images, ImageQuery, ImageUpload, ImageViewer, NewImage};

use crate::common::*;
use crate::scenario::{synced, with_db};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

fn snapshot(id: &str) -> NewImage {
    let mut properties = Map::new();
    properties.insert("image_type".into(), json!("snapshot"));
    properties.insert("instance_uuid".into(), json!("i-1"));
    NewImage {
        id: id.to_owned(),
        name: format!("snap-{id}"),
        visibility: "private".to_owned(),
        owner: "p1".to_owned(),
        properties,
        ..NewImage::default()
    }
}

async fn an_image_is_created_queued_uploaded_active_listed_and_deleted(backend: Backend) {
    with_db(backend, |db| async move {
        synced(&db).await;
        let cirros = db
            .image_get(CIRROS)
            .await
            .unwrap()
            .expect("the seeded image");
        assert_eq!(
            (
                cirros.name.as_deref(),
                cirros.status.as_str(),
                cirros.visibility.as_str()
            ),
            (Some("cirros"), "active", "public")
        );
        assert_eq!(cirros.size, Some(21_430_272));
        assert!(cirros.created_at.is_some());

        let made = db.image_create(&snapshot("a")).await.unwrap();
        assert_eq!((made.status.as_str(), made.size), ("queued", None));
        db.image_create(&snapshot("b")).await.unwrap();
        let upload = ImageUpload {
            size: 42,
            disk_format: "qcow2".to_owned(),
            container_format: "bare".to_owned(),
        };
        assert!(db.image_upload_done("a", &upload).await.unwrap());
        assert!(
            !db.image_upload_done("a", &upload).await.unwrap(),
            "written once"
        );
        let active = db.image_get("a").await.unwrap().unwrap();
        assert_eq!((active.status.as_str(), active.size), ("active", Some(42)));
        assert_eq!(active.disk_format.as_deref(), Some("qcow2"));
        assert_eq!(active.properties["instance_uuid"], "i-1");

        let query = ImageQuery {
            filters: vec![("image_type".to_owned(), vec!["snapshot".to_owned()])],
            ..ImageQuery::default()
        };
        let viewer = ImageViewer {
            is_admin: false,
            project: "p1".to_owned(),
        };
        let listed = select_images(db.image_get_all().await.unwrap(), &query, &viewer).unwrap();
        let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"], "newest first");

        assert!(db.image_delete("a").await.unwrap());
        assert!(!db.image_delete("a").await.unwrap());
        assert!(db.image_get("a").await.unwrap().is_none());
    })
    .await;
}

scenarios! {
    #[tokio::test]
    (sqlite: Backend::Sqlite, postgres: Backend::Postgres, mysql: Backend::MySql)
    [
        an_image_is_created_queued_uploaded_active_listed_and_deleted,
    ]
}
