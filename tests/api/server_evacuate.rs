//! Evacuate over HTTP in a cloud of three fake hosts, as an admin sees it: Nova's refusals
//! (a wrong state, a source still up, the same host, an unknown host, `force` without a
//! host, each microversion's body, a member's 403), then with the source forced down a
//! scheduled evacuation at 2.1 (`adminPass` in the reply) that ends ACTIVE on another host,
//! its `evacuation` migration record `done` in `/os-migrations` and its `evacuate` action
//! with the destination's `compute_rebuild_instance` event; the source's compute restarted
//! destroys its copy and marks the record `completed`; an evacuation to a named host at
//! 2.95 ends SHUTOFF there; with no host left up, the scheduled one ends in ERROR with the
//! record `error`.

use std::time::Duration;

use novactor::supervisor::ActorCommand;
use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const BOB: &str = "bob:p1";

async fn send_as(cloud: &Cloud, token: &str, version: &str, path: &str, body: Value) -> Reply {
    let version = format!("compute {version}");
    let body = body.to_string();
    cloud
        .send(
            "POST",
            path,
            &[("X-Auth-Token", token), ("OpenStack-API-Version", &version)],
            Some(&body),
        )
        .await
}

/// `{"evacuate": body}` on `id` as the admin at `version`.
async fn evacuate(cloud: &Cloud, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    send_as(
        cloud,
        "notused",
        version,
        &path,
        json!({ "evacuate": body }),
    )
    .await
}

fn message<'a>(reply: &'a Reply, status: u16, kind: &str) -> &'a str {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"].as_str().unwrap_or_default()
}

/// Force `host`'s compute service down (`true`) or up again, at 2.53 by its uuid.
async fn force_down(cloud: &Cloud, host: &str, down: bool) {
    let list = cloud
        .admin(
            "GET",
            &format!("/v2.1/os-services?binary=nova-compute&host={host}"),
            None,
        )
        .await;
    let uuid = list.body["services"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({ "forced_down": down }).to_string();
    let reply = cloud
        .admin("PUT", &format!("/v2.1/os-services/{uuid}"), Some(&body))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["service"]["forced_down"], down);
}

fn host_of(server: &Value) -> String {
    server["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The instance's evacuation records, newest first, as `/os-migrations` shows them.
async fn evacuations(cloud: &Cloud, uuid: &str) -> Vec<Value> {
    let reply = cloud
        .admin(
            "GET",
            &format!("/v2.1/os-migrations?instance_uuid={uuid}&migration_type=evacuation"),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["migrations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The events of `uuid`'s newest `evacuate` action, once all have finished.
async fn evacuate_events(cloud: &Cloud, uuid: &str) -> Vec<(String, String)> {
    wait_until(
        Duration::from_secs(20),
        "evacuate events finished",
        async || {
            let actions = cloud.db.actions_get(uuid).await.unwrap();
            let Some(action) = actions
                .into_iter()
                .filter(|a| a.action.as_deref() == Some("evacuate"))
                .max_by_key(|a| a.id)
            else {
                return Err("no evacuate action yet".to_owned());
            };
            let events: Vec<(String, String)> = cloud
                .db
                .action_events_get(action.id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.event.unwrap_or_default(), e.result.unwrap_or_default()))
                .collect();
            if events.is_empty() || events.iter().any(|(_, result)| result.is_empty()) {
                return Err(format!("{events:?} not finished"));
            }
            Ok(events)
        },
    )
    .await
}

#[actix_rt::test]
async fn evacuate_moves_a_server_off_a_down_host_and_the_source_cleans_up_on_restart() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "3")]).await;
    let created = send_as(
        &cloud,
        BOB,
        "2.53",
        "/v2.1/servers",
        json!({"server": {"name": "evac", "imageRef": CIRROS, "flavorRef": "1",
            "networks": "none"}}),
    )
    .await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    let source = host_of(&cloud.wait_status(&id, "ACTIVE").await);
    let others: Vec<String> = cloud
        .computes
        .iter()
        .filter(|h| **h != source)
        .cloned()
        .collect();

    // Refusals with the source up: the state first, then the source in use.
    let path = format!("/v2.1/servers/{id}/action");
    let paused = send_as(&cloud, BOB, "2.53", &path, json!({"pause": null})).await;
    assert_eq!(paused.status, 202, "{paused:?}");
    cloud.wait_status(&id, "PAUSED").await;
    let reply = evacuate(&cloud, "2.53", &id, json!({})).await;
    assert_eq!(
        message(&reply, 409, "conflictingRequest"),
        format!("Cannot 'evacuate' instance {id} while it is in vm_state paused")
    );
    let unpaused = send_as(&cloud, BOB, "2.53", &path, json!({"unpause": null})).await;
    assert_eq!(unpaused.status, 202, "{unpaused:?}");
    cloud.wait_status(&id, "ACTIVE").await;
    let reply = evacuate(&cloud, "2.53", &id, json!({})).await;
    assert_eq!(
        message(&reply, 400, "badRequest"),
        format!("Compute service of {source} is still in use.")
    );

    force_down(&cloud, &source, true).await;
    let reply = evacuate(&cloud, "2.53", &id, json!({"host": source})).await;
    assert_eq!(
        message(&reply, 400, "badRequest"),
        "The target host can't be the same one."
    );
    let reply = evacuate(&cloud, "2.53", &id, json!({"host": "nope"})).await;
    assert_eq!(
        message(&reply, 404, "itemNotFound"),
        "Compute host nope not found."
    );
    let reply = evacuate(&cloud, "2.29", &id, json!({"force": true})).await;
    assert_eq!(
        message(&reply, 400, "badRequest"),
        "Can't force to a non-provided destination"
    );
    let reply = evacuate(&cloud, "2.1", &id, json!({})).await;
    assert!(
        message(&reply, 400, "badRequest").ends_with("'onSharedStorage' is a required property"),
        "{reply:?}"
    );
    let reply = evacuate(
        &cloud,
        "2.1",
        &id,
        json!({"onSharedStorage": true, "adminPass": "x"}),
    )
    .await;
    assert_eq!(
        message(&reply, 400, "badRequest"),
        "admin password can't be changed on existing disk"
    );
    let reply = evacuate(&cloud, "2.14", &id, json!({"onSharedStorage": false})).await;
    assert!(
        message(&reply, 400, "badRequest")
            .contains("Additional properties are not allowed ('onSharedStorage' was unexpected)"),
        "{reply:?}"
    );
    let reply = evacuate(&cloud, "2.68", &id, json!({"force": false})).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let reply = send_as(&cloud, BOB, "2.53", &path, json!({"evacuate": {}})).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(
        evacuations(&cloud, &id).await.is_empty(),
        "a refused evacuate writes no record"
    );

    // Scheduled at 2.1: the reply carries the password; the server runs on another host.
    let reply = evacuate(&cloud, "2.1", &id, json!({"onSharedStorage": false})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.body["adminPass"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{reply:?}"
    );
    let moved = cloud.wait_status(&id, "ACTIVE").await;
    let first_dest = host_of(&moved);
    assert!(others.contains(&first_dest), "{first_dest} of {others:?}");
    assert_eq!(
        moved["server"]["OS-EXT-SRV-ATTR:hypervisor_hostname"],
        first_dest
    );
    assert_eq!(moved["server"]["image"]["id"], CIRROS);
    assert_eq!(
        evacuate_events(&cloud, &id).await,
        vec![("compute_rebuild_instance".to_owned(), "Success".to_owned())]
    );
    let records = evacuations(&cloud, &id).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "done");
    assert_eq!(records[0]["source_compute"], source.as_str());
    assert_eq!(records[0]["dest_compute"], first_dest.as_str());
    assert_eq!(records[0]["dest_node"], first_dest.as_str());
    assert_eq!(records[0]["migration_type"], "evacuation");
    let record_id = records[0]["id"].clone();

    // The source comes back: its compute, restarted, destroys its copy and completes
    // the record.
    force_down(&cloud, &source, false).await;
    let source_actor = format!("compute-{}", source.rsplit('-').next().unwrap_or_default());
    let restarted = cloud
        .node
        .control_actor(&source_actor, ActorCommand::Restart)
        .await
        .unwrap();
    assert!(restarted.is_ok(), "{restarted:?}");
    wait_until(
        Duration::from_secs(30),
        "the source to complete the evacuation",
        async || {
            let records = evacuations(&cloud, &id).await;
            let record = records.iter().find(|r| r["id"] == record_id).cloned();
            match record {
                Some(r) if r["status"] == "completed" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;

    // Named (not forced) at 2.95: the scheduler checks the host; the server ends stopped.
    force_down(&cloud, &first_dest, true).await;
    let target = others.iter().find(|h| **h != first_dest).unwrap().clone();
    let reply = evacuate(&cloud, "2.95", &id, json!({"host": target})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body, Value::Null, "no body from 2.14");
    let stopped = cloud.wait_status(&id, "SHUTOFF").await;
    assert_eq!(host_of(&stopped), target);
    assert_eq!(stopped["server"]["OS-EXT-STS:power_state"], 4);
    let records = evacuations(&cloud, &id).await;
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["status"], "done");
    assert_eq!(records[0]["source_compute"], first_dest.as_str());
    assert_eq!(records[0]["dest_compute"], target.as_str());

    // No host left up for a scheduled evacuation (the source is ignored): ERROR, and the
    // record says so.
    force_down(&cloud, &target, true).await;
    force_down(&cloud, &source, true).await;
    let reply = evacuate(&cloud, "2.95", &id, json!({})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let failed = cloud.wait_status(&id, "ERROR").await;
    assert_eq!(host_of(&failed), target);
    assert!(
        failed["server"]["fault"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("No valid host was found")),
        "{failed}"
    );
    let records = evacuations(&cloud, &id).await;
    assert_eq!(records[0]["status"], "error", "{records:?}");
}
