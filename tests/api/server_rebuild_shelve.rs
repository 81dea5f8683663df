//! Rebuild over HTTP, as a user sees it: the 202 reply's shape per microversion (Nova's
//! `rebuild_response*`), REBUILD → ACTIVE with the new image, name, metadata and
//! `launched_at`, a STOPPED server rebuilt back to SHUTOFF, the field novactor refuses
//! (trusted certificates), 2.57's 400 for `personality` (whose files `server_personality.rs`
//! follows), a key pair the requester lacks, Nova's 400 for an unknown image
//! and its 409s for a wrong state and a locked server, and the `rebuild` action with its
//! `compute_rebuild_instance` event.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const BOB: &str = "bob:p1";

/// A request as bob at `version`.
async fn as_bob(
    cloud: &Cloud,
    version: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let version = format!("compute {version}");
    let body = body.map(|b| b.to_string());
    cloud
        .send(
            method,
            path,
            &[("X-Auth-Token", BOB), ("OpenStack-API-Version", &version)],
            body.as_deref(),
        )
        .await
}

/// A server of bob's, ACTIVE.
async fn bobs_server(cloud: &Cloud, name: &str) -> String {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = as_bob(cloud, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

/// `body` posted to server `id`'s action as bob at `version`.
async fn act(cloud: &Cloud, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    as_bob(cloud, version, "POST", &path, Some(body)).await
}

fn message<'a>(reply: &'a Reply, status: u16, kind: &str) -> &'a str {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"].as_str().unwrap_or_default()
}

/// The events of `uuid`'s newest action named `name`, once all have finished.
async fn finished_events(cloud: &Cloud, uuid: &str, name: &str) -> Vec<(String, String)> {
    wait_until(
        Duration::from_secs(20),
        "rebuild events finished",
        async || {
            let actions = cloud.db.actions_get(uuid).await.unwrap();
            let Some(action) = actions
                .into_iter()
                .find(|a| a.action.as_deref() == Some(name))
            else {
                return Err(format!("no {name} action yet"));
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
async fn rebuild_takes_a_server_through_rebuild_to_active_with_its_new_fields() {
    let cloud = cloud().await;
    let id = bobs_server(&cloud, "before").await;
    let before = cloud.wait_status(&id, "ACTIVE").await;
    let launched_before = before["server"]["OS-SRV-USG:launched_at"].clone();

    let reply = act(
        &cloud,
        "2.57",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "name": "after", "metadata": {"role": "web"},
            "adminPass": "s3cret", "preserve_ephemeral": false, "description": "rebuilt",
            "key_name": null, "user_data": "aGVsbG8="}}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let server = &reply.body["server"];
    assert_eq!(server["adminPass"], "s3cret");
    assert_eq!(server["name"], "after");
    // Read back after the cast: the fake compute may already have finished.
    assert!(
        ["REBUILD", "ACTIVE"].contains(&server["status"].as_str().unwrap_or_default()),
        "{server}"
    );
    assert_eq!(server["metadata"], json!({"role": "web"}));
    assert_eq!(server["description"], "rebuilt");
    assert_eq!(server["user_data"], "aGVsbG8=");
    assert_eq!(server["key_name"], Value::Null);
    assert_eq!(server["image"]["id"], CIRROS);
    // Before 2.75 Nova's rebuild reply leaves out the extended status and usage fields.
    assert!(server.get("OS-EXT-STS:vm_state").is_none(), "{server}");
    assert!(server.get("OS-SRV-USG:launched_at").is_none(), "{server}");

    let after = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(after["server"]["name"], "after");
    assert_eq!(after["server"]["OS-EXT-STS:task_state"], Value::Null);
    assert_eq!(after["server"]["OS-EXT-STS:power_state"], 1);
    assert_ne!(after["server"]["OS-SRV-USG:launched_at"], launched_before);
    assert_eq!(
        finished_events(&cloud, &id, "rebuild").await,
        vec![("compute_rebuild_instance".to_owned(), "Success".to_owned())]
    );

    // 2.75: the reply is the whole server, as GET shows it; a password is made when none
    // is given.
    let reply = act(
        &cloud,
        "2.75",
        &id,
        json!({"rebuild": {"imageRef": CIRROS}}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let server = &reply.body["server"];
    assert!(server.get("OS-EXT-STS:task_state").is_some(), "{server}");
    assert_eq!(server["adminPass"].as_str().map(str::len), Some(12));
    assert!(server.get("server_groups").is_some(), "{server}");
    cloud.wait_status(&id, "ACTIVE").await;
}

#[actix_rt::test]
async fn a_stopped_server_is_rebuilt_back_to_shutoff() {
    let cloud = cloud().await;
    let id = bobs_server(&cloud, "stopped").await;
    assert_eq!(
        act(&cloud, "2.1", &id, json!({"os-stop": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "SHUTOFF").await;
    let reply = act(&cloud, "2.1", &id, json!({"rebuild": {"imageRef": CIRROS}})).await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let shown = wait_until(Duration::from_secs(20), "rebuilt and stopped", async || {
        let shown = cloud.wait_status(&id, "SHUTOFF").await;
        match shown["server"]["OS-EXT-STS:task_state"] {
            Value::Null => Ok(shown),
            ref other => Err(format!("task state {other}")),
        }
    })
    .await;
    assert_eq!(shown["server"]["OS-EXT-STS:power_state"], 4);
    assert_eq!(
        finished_events(&cloud, &id, "rebuild").await,
        vec![("compute_rebuild_instance".to_owned(), "Success".to_owned())]
    );
}

#[actix_rt::test]
async fn rebuild_refuses_bad_bodies_wrong_states_and_locked_servers_as_nova_does() {
    let cloud = cloud().await;
    let id = bobs_server(&cloud, "refusals").await;
    let unknown = act(
        &cloud,
        "2.1",
        &id,
        json!({"rebuild": {"imageRef": "11111111-2222-3333-4444-555555555555"}}),
    )
    .await;
    assert_eq!(
        message(&unknown, 400, "badRequest"),
        "Cannot find image for rebuild"
    );
    let missing = act(&cloud, "2.1", &id, json!({"rebuild": {"name": "x"}})).await;
    assert!(
        message(&missing, 400, "badRequest").contains("'imageRef' is a required property"),
        "{missing:?}"
    );
    let early = act(
        &cloud,
        "2.18",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "description": "d"}}),
    )
    .await;
    assert!(
        message(&early, 400, "badRequest").contains("('description' was unexpected)"),
        "{early:?}"
    );
    let key = act(
        &cloud,
        "2.54",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "key_name": "mykey"}}),
    )
    .await;
    // A key pair the requester does not have, in Nova's words (tests/api/keypairs_at_boot.rs
    // rebuilds with one).
    assert_eq!(
        message(&key, 400, "badRequest"),
        "Invalid key_name provided.",
        "{key:?}"
    );
    let certs = act(
        &cloud,
        "2.63",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "trusted_image_certificates": ["c1"]}}),
    )
    .await;
    assert!(
        message(&certs, 400, "badRequest").contains("trusted_image_certificates"),
        "{certs:?}"
    );
    let gone = act(
        &cloud,
        "2.57",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "personality": []}}),
    )
    .await;
    assert!(
        message(&gone, 400, "badRequest").contains("('personality' was unexpected)"),
        "{gone:?}"
    );
    let flag = act(
        &cloud,
        "2.1",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "preserve_ephemeral": "maybe"}}),
    )
    .await;
    assert_eq!(flag.status, 400, "{flag:?}");

    // A paused server: Nova's 409 naming the action.
    assert_eq!(
        act(&cloud, "2.1", &id, json!({"pause": null})).await.status,
        202
    );
    cloud.wait_status(&id, "PAUSED").await;
    let paused = act(&cloud, "2.1", &id, json!({"rebuild": {"imageRef": CIRROS}})).await;
    assert_eq!(
        message(&paused, 409, "conflictingRequest"),
        format!("Cannot 'rebuild' instance {id} while it is in vm_state paused")
    );
    assert_eq!(
        act(&cloud, "2.1", &id, json!({"unpause": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;

    // Locked by the admin: bob's rebuild is refused.
    let locked = cloud
        .admin(
            "POST",
            &format!("/v2.1/servers/{id}/action"),
            Some(r#"{"lock": null}"#),
        )
        .await;
    assert_eq!(locked.status, 202, "{locked:?}");
    let refused = act(&cloud, "2.1", &id, json!({"rebuild": {"imageRef": CIRROS}})).await;
    assert_eq!(
        message(&refused, 409, "conflictingRequest"),
        format!("Instance {id} is locked")
    );
    let shown = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(shown["server"]["name"], "refusals");
}
