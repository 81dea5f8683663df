//! Resize, cold migration, confirm and revert over HTTP in a cloud of fake hosts, as a
//! user and an operator see them: RESIZE → VERIFY_RESIZE on another host with the new
//! flavor, the hypervisors' used RAM on both hosts at each step (the old flavor held on
//! the source until the confirm, the new one on the destination until a revert), the
//! `migrations` records through `GET /os-migrations`, the actions with the conductor's
//! and the computes' events, Nova's 400s and 409s, no valid host, and
//! `allow_resize_to_same_host` with the periodic auto-confirm (`resize_confirm_window`).

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const BOB: &str = "bob:p1";
/// `reserved_host_memory_mb`'s default: every node's used RAM starts there.
const RESERVED_MB: i64 = 512;
/// m1.tiny's and m1.small's RAM.
const TINY_MB: i64 = 512;
const SMALL_MB: i64 = 2048;

/// A request with `token` at `version`.
async fn send(
    cloud: &Cloud,
    token: &str,
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
            &[("X-Auth-Token", token), ("OpenStack-API-Version", &version)],
            body.as_deref(),
        )
        .await
}

/// `body` posted to server `id`'s action with `token` at `version`.
async fn act(cloud: &Cloud, token: &str, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    send(cloud, token, version, "POST", &path, Some(body)).await
}

/// A server of bob's on m1.tiny, ACTIVE; its host.
async fn bobs_server(cloud: &Cloud, name: &str) -> (String, String) {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = send(cloud, BOB, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    let server = cloud.wait_status(&id, "ACTIVE").await;
    (id, host_of(&server))
}

fn host_of(server: &Value) -> String {
    server["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn message(reply: &Reply, status: u16, kind: &str) -> String {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until each host's used RAM (`GET /os-hypervisors/detail`) is as given.
async fn wait_used_ram(cloud: &Cloud, expected: &[(&str, i64)]) {
    wait_until(Duration::from_secs(20), "the hosts' used RAM", async || {
        let reply = cloud
            .admin("GET", "/v2.1/os-hypervisors/detail", None)
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let used: Vec<(String, i64)> = reply.body["hypervisors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["hypervisor_hostname"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    h["memory_mb_used"].as_i64().unwrap_or_default(),
                )
            })
            .collect();
        let matches = expected.iter().all(|(host, mb)| {
            used.iter()
                .any(|(name, used_mb)| name == host && used_mb == mb)
        });
        if matches {
            Ok(())
        } else {
            Err(format!("{used:?}, want {expected:?}"))
        }
    })
    .await;
}

/// The server's migration records, oldest first, as `GET /os-migrations` (2.23) shows
/// them: (type, status, source, dest, old flavor id, new flavor id).
async fn migrations(cloud: &Cloud, id: &str) -> Vec<(String, String, String, String, i64, i64)> {
    let reply = send(
        cloud,
        "notused",
        "2.23",
        "GET",
        &format!("/v2.1/os-migrations?instance_uuid={id}"),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let text = |m: &Value, key: &str| m[key].as_str().unwrap_or_default().to_owned();
    let mut records: Vec<(i64, _)> = reply.body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap_or_default(),
                (
                    text(m, "migration_type"),
                    text(m, "status"),
                    text(m, "source_compute"),
                    text(m, "dest_compute"),
                    m["old_instance_type_id"].as_i64().unwrap_or_default(),
                    m["new_instance_type_id"].as_i64().unwrap_or_default(),
                ),
            )
        })
        .collect();
    records.sort_by_key(|(id, _)| *id);
    records.into_iter().map(|(_, record)| record).collect()
}

/// Waits until the newest migration of the server has `status`.
async fn wait_migration(cloud: &Cloud, id: &str, status: &str) {
    wait_until(
        Duration::from_secs(20),
        "the migration's status",
        async || {
            let records = migrations(cloud, id).await;
            match records.last() {
                Some(record) if record.1 == status => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

/// The events of the server's newest action `name` once all finished: (event, result),
/// oldest first.
async fn finished_events(cloud: &Cloud, id: &str, name: &str) -> Vec<(String, String)> {
    wait_until(Duration::from_secs(20), "the action's events", async || {
        let actions = cloud.db.actions_get(id).await.unwrap();
        let Some(action) = actions
            .into_iter()
            .find(|a| a.action.as_deref() == Some(name))
        else {
            return Err(format!("no {name} action yet"));
        };
        let mut events: Vec<(String, String)> = cloud
            .db
            .action_events_get(action.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.event.unwrap_or_default(), e.result.unwrap_or_default()))
            .collect();
        events.reverse();
        if events.is_empty() || events.iter().any(|(_, result)| result.is_empty()) {
            return Err(format!("{events:?} not finished"));
        }
        Ok(events)
    })
    .await
}

fn events(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|name| ((*name).to_owned(), "Success".to_owned()))
        .collect()
}

#[actix_rt::test]
async fn resize_confirm_revert_and_migrate_move_the_server_and_its_usage_between_hosts() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let (id, first) = bobs_server(&cloud, "mover").await;
    let other = cloud
        .computes
        .iter()
        .find(|h| **h != first)
        .unwrap()
        .clone();
    wait_used_ram(
        &cloud,
        &[(&first, RESERVED_MB + TINY_MB), (&other, RESERVED_MB)],
    )
    .await;

    // Nova's 400s and 409s before anything moves.
    let same = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "1"}}),
    )
    .await;
    assert_eq!(
        message(&same, 400, "badRequest"),
        "When resizing, instances must change flavor!"
    );
    let unknown = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": 999}}),
    )
    .await;
    assert_eq!(
        message(&unknown, 400, "badRequest"),
        "Flavor 999 could not be found."
    );
    let extra = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "2", "host": "x"}}),
    )
    .await;
    assert!(message(&extra, 400, "badRequest").contains("Additional properties"));
    let early = act(&cloud, BOB, "2.53", &id, json!({"confirmResize": null})).await;
    assert_eq!(
        message(&early, 409, "conflictingRequest"),
        format!("Cannot 'confirmResize' instance {id} while it is in vm_state active")
    );
    // A member may not cold migrate (project_manager_or_admin).
    let forbidden = act(&cloud, BOB, "2.53", &id, json!({"migrate": null})).await;
    assert_eq!(forbidden.status, 403, "{forbidden:?}");

    // Resize to m1.small: VERIFY_RESIZE on the other host, the old flavor held here.
    let resized = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "2"}}),
    )
    .await;
    assert_eq!(resized.status, 202, "{resized:?}");
    let server = cloud.wait_status(&id, "VERIFY_RESIZE").await;
    assert_eq!(host_of(&server), other);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.small");
    assert_eq!(server["server"]["OS-EXT-STS:vm_state"], "resized");
    wait_used_ram(
        &cloud,
        &[
            (&first, RESERVED_MB + TINY_MB),
            (&other, RESERVED_MB + SMALL_MB),
        ],
    )
    .await;
    assert_eq!(
        migrations(&cloud, &id).await,
        vec![(
            "resize".into(),
            "finished".into(),
            first.clone(),
            other.clone(),
            1,
            2
        )]
    );
    assert_eq!(
        finished_events(&cloud, &id, "resize").await,
        events(&[
            "conductor_migrate_server",
            "cold_migrate",
            "compute_prep_resize",
            "compute_resize_instance",
            "compute_finish_resize",
        ])
    );

    // Confirm: ACTIVE there, the source's usage dropped.
    let confirmed = act(&cloud, BOB, "2.53", &id, json!({"confirmResize": null})).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");
    wait_migration(&cloud, &id, "confirmed").await;
    let server = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(host_of(&server), other);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.small");
    wait_used_ram(
        &cloud,
        &[(&first, RESERVED_MB), (&other, RESERVED_MB + SMALL_MB)],
    )
    .await;
    assert_eq!(
        finished_events(&cloud, &id, "confirmResize").await,
        events(&["compute_confirm_resize"])
    );
    let again = act(&cloud, BOB, "2.53", &id, json!({"confirmResize": null})).await;
    assert_eq!(again.status, 409, "{again:?}");

    // Resize down to m1.tiny, then revert: back on this host with m1.small.
    let down = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "1"}}),
    )
    .await;
    assert_eq!(down.status, 202, "{down:?}");
    let server = cloud.wait_status(&id, "VERIFY_RESIZE").await;
    assert_eq!(host_of(&server), first);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.tiny");
    wait_used_ram(
        &cloud,
        &[
            (&first, RESERVED_MB + TINY_MB),
            (&other, RESERVED_MB + SMALL_MB),
        ],
    )
    .await;
    let reverted = act(&cloud, BOB, "2.53", &id, json!({"revertResize": null})).await;
    assert_eq!(reverted.status, 202, "{reverted:?}");
    wait_migration(&cloud, &id, "reverted").await;
    let server = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(host_of(&server), other);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.small");
    wait_used_ram(
        &cloud,
        &[(&first, RESERVED_MB), (&other, RESERVED_MB + SMALL_MB)],
    )
    .await;
    assert_eq!(
        finished_events(&cloud, &id, "revertResize").await,
        events(&["compute_revert_resize", "compute_finish_revert_resize"])
    );

    // Cold migration by the operator (2.56 with a host: Nova's 400s first).
    let to_self = act(
        &cloud,
        "notused",
        "2.56",
        &id,
        json!({"migrate": {"host": other}}),
    )
    .await;
    assert_eq!(
        message(&to_self, 400, "badRequest"),
        "Cannot migrate to the host where the server exists."
    );
    let nowhere = act(
        &cloud,
        "notused",
        "2.56",
        &id,
        json!({"migrate": {"host": "nosuch"}}),
    )
    .await;
    assert_eq!(
        message(&nowhere, 400, "badRequest"),
        "Compute host nosuch could not be found."
    );
    let migrated = act(
        &cloud,
        "notused",
        "2.56",
        &id,
        json!({"migrate": {"host": first}}),
    )
    .await;
    assert_eq!(migrated.status, 202, "{migrated:?}");
    let server = cloud.wait_status(&id, "VERIFY_RESIZE").await;
    assert_eq!(host_of(&server), first);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.small");
    let confirmed = act(&cloud, BOB, "2.53", &id, json!({"confirmResize": {}})).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");
    wait_migration(&cloud, &id, "confirmed").await;
    cloud.wait_status(&id, "ACTIVE").await;
    wait_used_ram(
        &cloud,
        &[(&first, RESERVED_MB + SMALL_MB), (&other, RESERVED_MB)],
    )
    .await;
    let records = migrations(&cloud, &id).await;
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("resize", "confirmed"),
            ("resize", "reverted"),
            ("migration", "confirmed")
        ]
    );
    assert_eq!(
        finished_events(&cloud, &id, "migrate").await,
        events(&[
            "conductor_migrate_server",
            "cold_migrate",
            "compute_prep_resize",
            "compute_resize_instance",
            "compute_finish_resize",
        ])
    );
}

#[actix_rt::test]
async fn without_another_host_the_resize_fails_as_novas_no_valid_host_and_a_lock_refuses_it() {
    let cloud = cloud().await;
    let (id, host) = bobs_server(&cloud, "alone").await;
    let reply = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "2"}}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    let recorded = finished_events(&cloud, &id, "resize").await;
    assert_eq!(
        recorded,
        vec![
            ("conductor_migrate_server".to_owned(), "Error".to_owned()),
            ("cold_migrate".to_owned(), "Error".to_owned()),
        ]
    );
    wait_migration(&cloud, &id, "error").await;
    let server = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(host_of(&server), host);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.tiny");
    let actions = send(
        &cloud,
        BOB,
        "2.53",
        "GET",
        &format!("/v2.1/servers/{id}/os-instance-actions"),
        None,
    )
    .await;
    let resize = actions.body["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "resize")
        .cloned()
        .unwrap();
    assert_eq!(resize["message"], "Error");

    // A locked server refuses a member's resize.
    let locked = act(&cloud, BOB, "2.53", &id, json!({"lock": null})).await;
    assert_eq!(locked.status, 202, "{locked:?}");
    let refused = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "2"}}),
    )
    .await;
    assert_eq!(
        message(&refused, 409, "conflictingRequest"),
        format!("Instance {id} is locked")
    );
}

#[actix_rt::test]
async fn allowed_on_one_host_a_resize_stays_and_the_confirm_window_confirms_it() {
    let cloud = cloud_with(&[
        ("DEFAULT", "allow_resize_to_same_host", "true"),
        ("DEFAULT", "resize_confirm_window", "1"),
    ])
    .await;
    let (id, host) = bobs_server(&cloud, "inplace").await;
    let reply = act(
        &cloud,
        BOB,
        "2.53",
        &id,
        json!({"resize": {"flavorRef": "2"}}),
    )
    .await;
    assert_eq!(reply.status, 202, "{reply:?}");
    // No confirm is sent: the compute's periodic task confirms it after the window.
    wait_migration(&cloud, &id, "confirmed").await;
    let server = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(host_of(&server), host);
    assert_eq!(server["server"]["flavor"]["original_name"], "m1.small");
    assert_eq!(
        migrations(&cloud, &id).await,
        vec![(
            "resize".into(),
            "confirmed".into(),
            host.clone(),
            host.clone(),
            1,
            2
        )]
    );
    wait_used_ram(&cloud, &[(&host, RESERVED_MB + SMALL_MB)]).await;
    assert_eq!(
        finished_events(&cloud, &id, "confirmResize").await,
        events(&["compute_confirm_resize"])
    );
}
