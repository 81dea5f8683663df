//! Deferred delete over HTTP, as a user sees it (Nova: `reclaim_instance_interval`,
//! `deferred_delete.py`): `DELETE` leaves the server SOFT_DELETED with its guest off,
//! `restore` brings it back ACTIVE, `forceDelete` deletes it at once, the 409 texts of a
//! wrong state and a locked server, the actions and events each leaves, and the compute's
//! periodic reclaim deleting a soft-deleted server once the interval has passed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const ALICE: &str = "alice:p1";

/// A request as alice at 2.53.
async fn as_alice(cloud: &Cloud, method: &str, path: &str, body: Option<Value>) -> Reply {
    let body = body.map(|b| b.to_string());
    cloud
        .send(
            method,
            path,
            &[
                ("X-Auth-Token", ALICE),
                ("OpenStack-API-Version", "compute 2.53"),
            ],
            body.as_deref(),
        )
        .await
}

/// A server of alice's, ACTIVE.
async fn alices_server(cloud: &Cloud, name: &str) -> String {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = as_alice(cloud, "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

async fn act(cloud: &Cloud, id: &str, body: Value) -> Reply {
    as_alice(
        cloud,
        "POST",
        &format!("/v2.1/servers/{id}/action"),
        Some(body),
    )
    .await
}

fn conflict(reply: &Reply) -> &str {
    assert_eq!(reply.status, 409, "{reply:?}");
    reply.body["conflictingRequest"]["message"]
        .as_str()
        .unwrap_or_default()
}

/// Polls until `GET /servers/{id}` answers 404.
async fn wait_gone(cloud: &Cloud, id: &str) {
    wait_until(Duration::from_secs(30), &format!("{id} gone"), async || {
        let reply = cloud
            .admin("GET", &format!("/v2.1/servers/{id}"), None)
            .await;
        reply.status == 404
    })
    .await;
}

/// The actions recorded for `uuid`, oldest first, with their events, once every event
/// has finished.
async fn recorded(cloud: &Cloud, uuid: &str) -> Vec<(String, Vec<(String, String)>)> {
    wait_until(Duration::from_secs(20), "events finished", async || {
        let mut out = Vec::new();
        for action in cloud.db.actions_get(uuid).await.unwrap().into_iter().rev() {
            let events = cloud.db.action_events_get(action.id).await.unwrap();
            let events: Vec<(String, String)> = events
                .into_iter()
                .rev()
                .map(|e| (e.event.unwrap_or_default(), e.result.unwrap_or_default()))
                .collect();
            if events.iter().any(|(_, result)| result.is_empty()) {
                return Err(format!("{events:?} not finished"));
            }
            out.push((action.action.unwrap_or_default(), events));
        }
        Ok(out)
    })
    .await
}

fn event(name: &str) -> (String, String) {
    (name.to_owned(), "Success".to_owned())
}

#[actix_rt::test]
async fn delete_soft_deletes_restore_brings_back_force_delete_deletes() {
    // An hour: the reclaim never comes during the test.
    let cloud = cloud_with(&[("DEFAULT", "reclaim_instance_interval", "3600")]).await;
    let id = alices_server(&cloud, "deferred").await;

    let restore = act(&cloud, &id, json!({"restore": null})).await;
    assert_eq!(
        conflict(&restore),
        format!("Cannot 'restore' instance {id} while it is in vm_state active")
    );

    let deleted = as_alice(&cloud, "DELETE", &format!("/v2.1/servers/{id}"), None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let soft = cloud.wait_status(&id, "SOFT_DELETED").await;
    assert_eq!(soft["server"]["OS-EXT-STS:vm_state"], "soft-delete");
    assert_eq!(soft["server"]["OS-EXT-STS:power_state"], 4, "guest off");
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert!(row.deleted_at.is_some(), "deleted_at stamped: {row:?}");
    let stop = act(&cloud, &id, json!({"os-stop": null})).await;
    assert_eq!(
        conflict(&stop),
        format!("Cannot 'stop' instance {id} while it is in vm_state soft-delete")
    );

    assert_eq!(act(&cloud, &id, json!({"restore": {}})).await.status, 202);
    let active = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(active["server"]["OS-EXT-STS:power_state"], 1, "guest on");
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert_eq!(row.deleted_at, None);

    let deleted = as_alice(&cloud, "DELETE", &format!("/v2.1/servers/{id}"), None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    cloud.wait_status(&id, "SOFT_DELETED").await;
    assert_eq!(
        act(&cloud, &id, json!({"forceDelete": null})).await.status,
        202
    );
    wait_gone(&cloud, &id).await;
    let missing = act(&cloud, &id, json!({"restore": null})).await;
    assert_eq!(missing.status, 404, "{missing:?}");

    assert_eq!(
        recorded(&cloud, &id).await,
        vec![
            (
                "create".into(),
                vec![event("compute__do_build_and_run_instance")]
            ),
            ("delete".into(), vec![event("compute_soft_delete_instance")]),
            ("restore".into(), vec![event("compute_restore_instance")]),
            ("delete".into(), vec![event("compute_soft_delete_instance")]),
            ("delete".into(), vec![event("compute_terminate_instance")]),
        ]
    );
}

#[actix_rt::test]
async fn a_locked_server_refuses_force_delete_and_a_server_in_a_task_refuses_it() {
    let cloud = cloud_with(&[("DEFAULT", "reclaim_instance_interval", "3600")]).await;
    let id = alices_server(&cloud, "locked").await;
    assert_eq!(act(&cloud, &id, json!({"lock": null})).await.status, 202);
    let force = act(&cloud, &id, json!({"forceDelete": null})).await;
    assert_eq!(conflict(&force), format!("Instance {id} is locked"));
    let delete = as_alice(&cloud, "DELETE", &format!("/v2.1/servers/{id}"), None).await;
    assert_eq!(conflict(&delete), format!("Instance {id} is locked"));
    assert_eq!(act(&cloud, &id, json!({"unlock": null})).await.status, 202);

    // A task under way (set here as a compute's operation would leave it).
    let task = serde_json::Map::from_iter([("task_state".to_owned(), json!("pausing"))]);
    cloud
        .db
        .instance_update_and_get(&id, &task, None, None)
        .await
        .unwrap();
    let force = act(&cloud, &id, json!({"forceDelete": null})).await;
    assert_eq!(
        conflict(&force),
        format!("Cannot 'forceDelete' instance {id} while it is in task_state pausing")
    );
    let bad = act(&cloud, &id, json!({"forceDelete": null, "restore": null})).await;
    assert_eq!(bad.status, 400, "{bad:?}");
}

#[actix_rt::test]
async fn the_compute_reclaims_a_soft_deleted_server_once_the_interval_has_passed() {
    let interval = Duration::from_secs(2);
    let cloud = cloud_with(&[("DEFAULT", "reclaim_instance_interval", "2")]).await;
    let id = alices_server(&cloud, "reclaimed").await;
    let deleted_at = Instant::now();
    let deleted = as_alice(&cloud, "DELETE", &format!("/v2.1/servers/{id}"), None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    wait_gone(&cloud, &id).await;
    assert!(
        deleted_at.elapsed() >= interval,
        "reclaimed after {:?}, before the interval",
        deleted_at.elapsed()
    );
    // Soft-deleted first (its event), then deleted by the periodic task (no action of
    // its own, as in Nova).
    assert_eq!(
        recorded(&cloud, &id).await,
        vec![
            (
                "create".into(),
                vec![event("compute__do_build_and_run_instance")]
            ),
            ("delete".into(), vec![event("compute_soft_delete_instance")]),
        ]
    );
}
