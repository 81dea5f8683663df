//! The compute's snapshot and backup (Nova `snapshot_instance`, `backup_instance`): the
//! task states each save writes, the upload through the conductor's `ImageCatalog` that
//! makes the queued image active with its size, the rotation of older backups, and an
//! image deleted during the snapshot clearing the task without a fault.

use std::time::Duration;

use novactor::rpc::RequestContext;
use novactor_nova::db::{ImageUpload, NewImage};
use serde_json::{json, Map};

use super::world::*;
use crate::common::wait_until;

/// A queued image of `instance` of `image_type` (`backup_type` daily for backups).
async fn queued(world: &World, id: &str, instance: &str, image_type: &str) {
    let mut properties = Map::new();
    properties.insert("image_type".into(), json!(image_type));
    properties.insert("instance_uuid".into(), json!(instance));
    if image_type == "backup" {
        properties.insert("backup_type".into(), json!("daily"));
    }
    let image = NewImage {
        id: id.to_owned(),
        name: id.to_owned(),
        visibility: "private".to_owned(),
        owner: "p".to_owned(),
        properties,
        ..NewImage::default()
    };
    world.db.image_create(&image).await.unwrap();
}

#[actix_rt::test]
async fn snapshots_and_backups_go_through_novas_task_states_and_upload_via_the_conductor() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    let row = world.boot("snapped").await;
    let uuid = row.uuid.clone();
    let idle = Some(vec![None]);
    let ctx = RequestContext::new();

    queued(&world, "snap", &uuid, "snapshot").await;
    world
        .api_sets_task(&uuid, "image_snapshot_pending", idle.clone())
        .await;
    let primitive = world.primitive(&uuid).await;
    world
        .compute()
        .snapshot_instance(&ctx, "cmp1", primitive, "snap")
        .await
        .unwrap();
    let saves = wait_until(Duration::from_secs(15), "the snapshot's saves", || async {
        let all = world.saves.of(&uuid);
        let start = all.iter().position(|(_, t)| t == "image_snapshot")?;
        let tail = all[start..].to_vec();
        (tail.len() >= 5).then_some(tail)
    })
    .await;
    assert_eq!(
        saves,
        states(&[
            ("active", "image_snapshot"),
            ("active", "image_snapshot"),
            ("active", "image_pending_upload"),
            ("active", "image_uploading"),
            ("active", "None"),
        ]),
        "Nova's snapshot_instance / _snapshot_instance sequence (the power state save second)"
    );
    let image = world.db.image_get("snap").await.unwrap().unwrap();
    assert_eq!(
        (image.status.as_str(), image.size),
        ("active", Some(25_165_824))
    );
    assert_eq!(image.disk_format.as_deref(), Some("qcow2"));

    // A backup with rotation 1: the older backup of the type goes once the new one is up.
    queued(&world, "old", &uuid, "backup").await;
    let upload = ImageUpload {
        size: 1,
        disk_format: "qcow2".to_owned(),
        container_format: "bare".to_owned(),
    };
    assert!(world.db.image_upload_done("old", &upload).await.unwrap());
    queued(&world, "new", &uuid, "backup").await;
    world
        .api_sets_task(&uuid, "image_backup", idle.clone())
        .await;
    let primitive = world.primitive(&uuid).await;
    world
        .compute()
        .backup_instance(&ctx, "cmp1", primitive, "new", "daily", 1)
        .await
        .unwrap();
    wait_until(
        Duration::from_secs(15),
        "the old backup rotated out",
        || async {
            world
                .db
                .image_get("old")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        },
    )
    .await;
    let new = world.db.image_get("new").await.unwrap().unwrap();
    assert_eq!(new.status, "active");
    assert!(
        world.db.image_get("snap").await.unwrap().is_some(),
        "a snapshot is no backup"
    );
    world.wait_state(&uuid, "active", None).await;

    // The image deleted before the upload: the task is cleared, no fault is left.
    world
        .api_sets_task(&uuid, "image_snapshot_pending", idle.clone())
        .await;
    let primitive = world.primitive(&uuid).await;
    world
        .compute()
        .snapshot_instance(&ctx, "cmp1", primitive, "gone")
        .await
        .unwrap();
    world.wait_state(&uuid, "active", None).await;
    let faults = world
        .db
        .instance_fault_get_by_instance_uuid(&uuid)
        .await
        .unwrap();
    assert!(faults.is_empty(), "{faults:?}");
}
