//! Snapshots and backups over HTTP, as a user sees them (Nova: `createImage`,
//! `createBackup`, `injectNetworkInfo`; D-IMAGE's catalog under `/image/v2`), in a cloud
//! of two fake hosts: the snapshot image queued then active with its size and Nova's
//! properties, private to its project, listed by Glance's filters, booted from, deleted;
//! backups rotated oldest first; each reply per microversion (Location before 2.45,
//! `image_id` from 2.45); the actions and compute events recorded; and the refusals —
//! Nova's 409 for a wrong state, 400s of the schema, 403 of the admin-only injection,
//! 404 for another project's server or image.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const ALICE: &str = "alice:p1";
/// A member of another project.
const BOB: &str = "bob:p2";
/// The size of every fake snapshot (the fake driver's).
const SNAPSHOT_BYTES: u64 = 25_165_824;

async fn two_hosts() -> Cloud {
    cloud_with(&[("compute", "fake_hosts", "2")]).await
}

async fn send(
    cloud: &Cloud,
    who: &str,
    version: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let body = body.map(|b| b.to_string());
    let version = format!("compute {version}");
    cloud
        .send(
            method,
            path,
            &[("X-Auth-Token", who), ("OpenStack-API-Version", &version)],
            body.as_deref(),
        )
        .await
}

/// A server of alice's booted from `image`, ACTIVE.
async fn server_of(cloud: &Cloud, name: &str, image: &str) -> String {
    let body = json!({"server": {"name": name, "imageRef": image, "flavorRef": "1",
        "networks": "none"}});
    let created = send(cloud, ALICE, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

async fn act(cloud: &Cloud, who: &str, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    send(cloud, who, version, "POST", &path, Some(body)).await
}

fn message(reply: &Reply, status: u16, kind: &str) -> String {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The image as `who` sees it (`None` on 404).
async fn image(cloud: &Cloud, who: &str, id: &str) -> Option<Value> {
    let reply = send(
        cloud,
        who,
        "2.1",
        "GET",
        &format!("/image/v2/images/{id}"),
        None,
    )
    .await;
    match reply.status {
        200 => Some(reply.body),
        404 => None,
        _ => panic!("{reply:?}"),
    }
}

/// Polls until the image is `active`; returns it.
async fn wait_active(cloud: &Cloud, id: &str) -> Value {
    wait_until(
        Duration::from_secs(30),
        &format!("image {id} active"),
        async || match image(cloud, ALICE, id).await {
            Some(image) if image["status"] == "active" => Ok(image),
            other => Err(format!("{other:?}")),
        },
    )
    .await
}

/// The ids `GET /image/v2/images?<query>` lists for `who`, in order.
async fn listed(cloud: &Cloud, who: &str, query: &str) -> Vec<String> {
    let reply = send(
        cloud,
        who,
        "2.1",
        "GET",
        &format!("/image/v2/images?{query}"),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The actions recorded for `uuid`, oldest first, with their events, once finished.
async fn recorded(cloud: &Cloud, uuid: &str) -> Vec<(String, Vec<String>)> {
    wait_until(Duration::from_secs(20), "events finished", async || {
        let mut out = Vec::new();
        for action in cloud.db.actions_get(uuid).await.unwrap().into_iter().rev() {
            let events = cloud.db.action_events_get(action.id).await.unwrap();
            if events.iter().any(|e| e.result.is_none()) {
                return Err("events not finished".to_owned());
            }
            let names = events
                .into_iter()
                .rev()
                .map(|e| {
                    format!(
                        "{} {}",
                        e.event.unwrap_or_default(),
                        e.result.unwrap_or_default()
                    )
                })
                .collect();
            out.push((action.action.unwrap_or_default(), names));
        }
        Ok(out)
    })
    .await
}

#[actix_rt::test]
async fn a_snapshot_becomes_an_active_private_image_that_boots_and_can_be_deleted() {
    let cloud = two_hosts().await;
    let server = server_of(&cloud, "web", CIRROS).await;

    let reply = act(
        &cloud,
        ALICE,
        "2.45",
        &server,
        json!({"createImage": {"name": "snap1", "metadata": {"purpose": "test"}}}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let snap = reply.body["image_id"].as_str().unwrap().to_owned();
    assert_eq!(reply.body, json!({"image_id": snap}));
    let shown = wait_active(&cloud, &snap).await;
    assert_eq!(shown["name"], "snap1");
    assert_eq!(shown["size"], SNAPSHOT_BYTES);
    assert_eq!(shown["disk_format"], "qcow2");
    assert_eq!(shown["container_format"], "bare");
    assert_eq!(shown["visibility"], "private");
    assert_eq!(shown["owner"], "p1");
    assert_eq!(shown["image_type"], "snapshot");
    assert_eq!(shown["instance_uuid"], server);
    assert_eq!(shown["base_image_ref"], CIRROS);
    assert_eq!(shown["user_id"], "alice");
    assert_eq!(shown["purpose"], "test");
    cloud.wait_status(&server, "ACTIVE").await;
    assert_eq!(
        recorded(&cloud, &server).await,
        [
            (
                "create".to_owned(),
                vec!["compute__do_build_and_run_instance Success".to_owned()]
            ),
            (
                "createImage".to_owned(),
                vec!["compute_snapshot_instance Success".to_owned()]
            ),
        ]
    );

    // Glance's list: the filters the clients use, the caller's images only.
    assert_eq!(
        listed(&cloud, ALICE, "image_type=snapshot").await,
        vec![snap.clone()]
    );
    assert_eq!(
        listed(&cloud, ALICE, "name=snap1").await,
        vec![snap.clone()]
    );
    assert_eq!(
        listed(
            &cloud,
            ALICE,
            &format!("id=in:{snap},{CIRROS}&sort_key=name&sort_dir=asc")
        )
        .await,
        [CIRROS.to_owned(), snap.clone()]
    );
    assert_eq!(
        listed(
            &cloud,
            ALICE,
            &format!("instance_uuid={server}&status=active")
        )
        .await,
        vec![snap.clone()]
    );
    assert_eq!(
        listed(&cloud, ALICE, "").await,
        [snap.clone(), CIRROS.to_owned()],
        "newest first"
    );
    let page = send(
        &cloud,
        ALICE,
        "2.1",
        "GET",
        "/image/v2/images?limit=1",
        None,
    )
    .await;
    assert_eq!(
        page.body["next"],
        format!("/v2/images?marker={snap}&limit=1")
    );
    assert_eq!(
        listed(&cloud, ALICE, &format!("marker={snap}")).await,
        [CIRROS.to_owned()]
    );
    assert_eq!(listed(&cloud, BOB, "").await, [CIRROS.to_owned()]);
    assert!(image(&cloud, BOB, &snap).await.is_none(), "private to p1");

    // The snapshot boots, on either host.
    let booted = server_of(&cloud, "from-snap", &snap).await;
    let shown = send(
        &cloud,
        ALICE,
        "2.53",
        "GET",
        &format!("/v2.1/servers/{booted}"),
        None,
    )
    .await;
    assert_eq!(shown.body["server"]["image"]["id"], snap.as_str());
    // And a server booted from it rebuilds from it.
    let rebuilt = act(
        &cloud,
        ALICE,
        "2.53",
        &booted,
        json!({"rebuild": {"imageRef": snap}}),
    )
    .await;
    assert_eq!(rebuilt.status, 202, "{rebuilt:?}");
    cloud.wait_status(&booted, "ACTIVE").await;

    // Before 2.45: 202, no body, the image in Location.
    let old = act(
        &cloud,
        ALICE,
        "2.1",
        &server,
        json!({"createImage": {"name": "snap2"}}),
    )
    .await;
    assert_eq!(old.status, 202, "{old:?}");
    assert!(old.body.is_null() || old.body == json!(""), "{old:?}");
    let location = old.header("location").unwrap();
    let snap2 = location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(location, format!("{}/image/v2/images/{snap2}", cloud.base));
    wait_active(&cloud, &snap2).await;
    cloud.wait_status(&server, "ACTIVE").await;

    // Deleting: bob may not see it, alice deletes it, then it is gone for good.
    let path = format!("/image/v2/images/{snap}");
    assert_eq!(
        send(&cloud, BOB, "2.1", "DELETE", &path, None).await.status,
        404
    );
    assert_eq!(
        send(&cloud, ALICE, "2.1", "DELETE", &path, None)
            .await
            .status,
        204
    );
    assert!(image(&cloud, ALICE, &snap).await.is_none());
    assert_eq!(
        send(&cloud, ALICE, "2.1", "DELETE", &path, None)
            .await
            .status,
        404
    );
    let body =
        json!({"server": {"name": "x", "imageRef": snap, "flavorRef": "1", "networks": "none"}});
    let refused = send(&cloud, ALICE, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(
        message(&refused, 400, "badRequest"),
        "Can not find requested image"
    );
    // The built-in image is public and stays.
    assert!(image(&cloud, BOB, CIRROS).await.is_some());
}

#[actix_rt::test]
async fn backups_beyond_the_rotation_are_deleted_oldest_first() {
    let cloud = two_hosts().await;
    let server = server_of(&cloud, "db", CIRROS).await;
    let mut daily = Vec::new();
    for n in 1..=3 {
        let reply = act(&cloud, ALICE, "2.45", &server,
            json!({"createBackup": {"name": format!("bk{n}"), "backup_type": "daily", "rotation": 2}})).await;
        assert_eq!(reply.status, 202, "{reply:?}");
        let id = reply.body["image_id"].as_str().unwrap().to_owned();
        let shown = wait_active(&cloud, &id).await;
        assert_eq!(
            (&shown["image_type"], &shown["backup_type"]),
            (&json!("backup"), &json!("daily"))
        );
        cloud.wait_status(&server, "ACTIVE").await;
        daily.push(id);
    }
    let query = format!("image_type=backup&backup_type=daily&instance_uuid={server}");
    wait_until(
        Duration::from_secs(20),
        "the oldest daily backup rotated out",
        async || {
            let left = listed(&cloud, ALICE, &query).await;
            if left == [daily[2].clone(), daily[1].clone()] {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    )
    .await;

    // Before 2.45: Location (the compute API's image URL) only with a rotation; a
    // rotation of 0 keeps no backup of its type at all, the new one included.
    let weekly = act(
        &cloud,
        ALICE,
        "2.1",
        &server,
        json!({"createBackup": {"name": "wk", "backup_type": "weekly", "rotation": "1"}}),
    )
    .await;
    assert_eq!(weekly.status, 202, "{weekly:?}");
    let location = weekly.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{}/v2.1/images/", cloud.base)),
        "{location}"
    );
    cloud.wait_status(&server, "ACTIVE").await;
    let none = act(
        &cloud,
        ALICE,
        "2.1",
        &server,
        json!({"createBackup": {"name": "wk0", "backup_type": "weekly", "rotation": 0}}),
    )
    .await;
    assert_eq!(none.status, 202, "{none:?}");
    assert!(none.header("location").is_none(), "{none:?}");
    cloud.wait_status(&server, "ACTIVE").await;
    let weekly_query = format!("image_type=backup&backup_type=weekly&instance_uuid={server}");
    wait_until(
        Duration::from_secs(20),
        "no weekly backup left",
        async || {
            let left = listed(&cloud, ALICE, &weekly_query).await;
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("{left:?}"))
            }
        },
    )
    .await;
    assert_eq!(
        listed(&cloud, ALICE, &query).await.len(),
        2,
        "daily backups untouched"
    );
    let actions = recorded(&cloud, &server).await;
    let backups: Vec<_> = actions
        .iter()
        .filter(|(a, _)| a == "createBackup")
        .collect();
    assert_eq!(backups.len(), 5);
    assert!(backups
        .iter()
        .all(|(_, events)| events == &["compute_backup_instance Success"]));
}

#[actix_rt::test]
async fn wrong_states_bad_bodies_other_projects_and_non_admins_are_refused() {
    let cloud = two_hosts().await;
    let server = server_of(&cloud, "app", CIRROS).await;
    let snapshot = |name: &str| json!({"createImage": {"name": name}});

    // Nova checks no lock for an image: a locked server is snapshotted.
    assert_eq!(
        act(&cloud, ALICE, "2.53", &server, json!({"lock": null}))
            .await
            .status,
        202
    );
    let locked = act(&cloud, ALICE, "2.53", &server, snapshot("locked")).await;
    assert_eq!(locked.status, 202, "{locked:?}");
    cloud.wait_status(&server, "ACTIVE").await;
    assert_eq!(
        act(&cloud, ALICE, "2.53", &server, json!({"unlock": null}))
            .await
            .status,
        202
    );

    // A server in ERROR: Nova's 409, and no image is left behind.
    let reset = act(
        &cloud,
        "notused",
        "2.53",
        &server,
        json!({"os-resetState": {"state": "error"}}),
    )
    .await;
    assert_eq!(reset.status, 202, "{reset:?}");
    let before = listed(&cloud, ALICE, &format!("instance_uuid={server}")).await;
    for (action, body) in [
        ("createImage", snapshot("err")),
        (
            "createBackup",
            json!({"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}}),
        ),
    ] {
        let refused = act(&cloud, ALICE, "2.53", &server, body).await;
        assert_eq!(
            message(&refused, 409, "conflictingRequest"),
            format!("Cannot '{action}' instance {server} while it is in vm_state error")
        );
    }
    assert_eq!(
        listed(&cloud, ALICE, &format!("instance_uuid={server}")).await,
        before
    );
    let reset = act(
        &cloud,
        "notused",
        "2.53",
        &server,
        json!({"os-resetState": {"state": "active"}}),
    )
    .await;
    assert_eq!(reset.status, 202, "{reset:?}");

    // The schema's 400s.
    for (body, why) in [
        (json!({"createImage": {}}), "'name' is a required property"),
        (
            json!({"createImage": {"name": "x", "extra": 1}}),
            "Additional properties are not allowed",
        ),
        (
            json!({"createImage": {"name": "x", "metadata": {"k": 1}}}),
            "is not of type 'string'",
        ),
        (
            json!({"createBackup": {"name": "x", "rotation": 1}}),
            "'backup_type' is a required property",
        ),
        (
            json!({"createBackup": {"name": "x", "backup_type": "d", "rotation": -1}}),
            "-1 is less than the minimum of 0",
        ),
        (
            json!({"createBackup": {"name": "x", "backup_type": "d", "rotation": "one"}}),
            "does not match",
        ),
    ] {
        let refused = act(&cloud, ALICE, "2.53", &server, body.clone()).await;
        let text = message(&refused, 400, "badRequest");
        assert!(text.contains(why), "{body}: {text}");
    }

    // Another project's server is not found; injectNetworkInfo is the admin's.
    let theirs = act(&cloud, BOB, "2.53", &server, snapshot("x")).await;
    assert_eq!(
        message(&theirs, 404, "itemNotFound"),
        format!("Instance {server} could not be found.")
    );
    let inject = json!({"injectNetworkInfo": null});
    let member = act(&cloud, ALICE, "2.53", &server, inject.clone()).await;
    assert_eq!(
        message(&member, 403, "forbidden"),
        "Policy doesn't allow os_compute_api:os-admin-actions:inject_network_info to be performed."
    );
    let admin = act(&cloud, "notused", "2.53", &server, inject).await;
    assert_eq!(admin.status, 202, "{admin:?}");
    assert!(admin.body.is_null() || admin.body == json!(""), "{admin:?}");
    let missing = act(
        &cloud,
        "notused",
        "2.53",
        "11111111-2222-3333-4444-555555555555",
        json!({"injectNetworkInfo": null}),
    )
    .await;
    assert_eq!(missing.status, 404, "{missing:?}");

    // Nova records no action for the injection.
    let actions: Vec<String> = recorded(&cloud, &server)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert!(actions.contains(&"createImage".to_owned()), "{actions:?}");
    assert!(!actions.iter().any(|a| a.contains("nject")), "{actions:?}");
    // Images of another project are not bootable, nor deletable by a member of another.
    let theirs_image = listed(&cloud, ALICE, &format!("instance_uuid={server}")).await;
    let body = json!({"server": {"name": "x", "imageRef": theirs_image[0], "flavorRef": "1", "networks": "none"}});
    let refused = send(&cloud, BOB, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(
        message(&refused, 400, "badRequest"),
        "Can not find requested image"
    );
    let cirros = send(
        &cloud,
        ALICE,
        "2.1",
        "DELETE",
        &format!("/image/v2/images/{CIRROS}"),
        None,
    )
    .await;
    assert_eq!(
        message(&cirros, 403, "forbidden"),
        "You are not permitted to delete this image."
    );
}
