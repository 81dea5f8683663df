//! Live migration over HTTP between fake hosts, as a user sees it: `os-migrateLive` →
//! MIGRATING, the migration's progress read from `/servers/{id}/migrations` while the
//! fake driver copies the memory, the server ACTIVE on the other host with the usage
//! moved; a forced host, a force-complete and an abort (the server back ACTIVE on its
//! source, the record `cancelled`); a paused server that arrives paused; Nova's 400s,
//! 404s and 409s; the actions and their events.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// A request as the admin at `version`.
async fn as_admin(
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
            &[
                ("X-Auth-Token", "notused"),
                ("OpenStack-API-Version", &version),
            ],
            body.as_deref(),
        )
        .await
}

async fn server(cloud: &Cloud, name: &str) -> String {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = as_admin(cloud, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

async fn host_of(cloud: &Cloud, id: &str) -> String {
    let shown = as_admin(cloud, "2.80", "GET", &format!("/v2.1/servers/{id}"), None).await;
    shown.body["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn migrate_live(cloud: &Cloud, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    let body = json!({ "os-migrateLive": body });
    as_admin(cloud, version, "POST", &path, Some(body)).await
}

/// The server's in-progress live migration once it is `running` with progress saved.
async fn running_migration(cloud: &Cloud, id: &str) -> Value {
    wait_until(
        Duration::from_secs(30),
        "a running live migration with progress",
        async || {
            let path = format!("/v2.1/servers/{id}/migrations");
            let listed = as_admin(cloud, "2.80", "GET", &path, None).await;
            assert_eq!(listed.status, 200, "{listed:?}");
            match listed.body["migrations"].as_array().and_then(|l| l.first()) {
                Some(m) if m["status"] == "running" && !m["memory_processed_bytes"].is_null() => {
                    Ok(m.clone())
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

/// The events of `id`'s newest action `name`, once all have finished.
async fn finished_events(cloud: &Cloud, id: &str, name: &str) -> Vec<(String, String)> {
    wait_until(Duration::from_secs(30), "events finished", async || {
        let actions = cloud.db.actions_get(id).await.unwrap();
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
            Err(format!("{events:?}"))
        } else {
            Ok(events)
        }
    })
    .await
}

fn names(events: &[(String, String)]) -> Vec<&str> {
    let mut names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names
}

/// The record of `migration_id` as `GET /os-migrations` shows it.
async fn listed_record(cloud: &Cloud, migration_id: &Value) -> Value {
    let listed = as_admin(cloud, "2.80", "GET", "/v2.1/os-migrations", None).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    listed.body["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == *migration_id)
        .cloned()
        .unwrap_or_else(|| panic!("{migration_id} not listed: {listed:?}"))
}

/// Wait for the record to reach `status`: the source saves it after the destination made
/// the server ACTIVE (Nova's order), so the status lags the server's by a moment.
async fn wait_record_status(cloud: &Cloud, migration_id: &Value, status: &str) {
    wait_until(Duration::from_secs(30), status, async || {
        let record = listed_record(cloud, migration_id).await;
        if record["status"] == status {
            Ok(())
        } else {
            Err(record.to_string())
        }
    })
    .await;
}

async fn running_vms(cloud: &Cloud, host: &str) -> i64 {
    let node = cloud
        .db
        .compute_node_get_by_host_and_nodename(host, host)
        .await
        .unwrap();
    node.running_vms.unwrap_or_default()
}

#[actix_rt::test]
async fn a_server_live_migrates_to_the_other_host_and_its_progress_is_visible_meanwhile() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("fake_driver", "live_migration_duration", "3"),
    ])
    .await;
    let id = server(&cloud, "lm").await;
    let source = host_of(&cloud, &id).await;
    let dest = cloud
        .computes
        .iter()
        .find(|h| **h != source)
        .unwrap()
        .clone();

    let before = as_admin(
        &cloud,
        "2.22",
        "GET",
        &format!("/v2.1/servers/{id}/migrations"),
        None,
    )
    .await;
    assert_eq!(before.status, 404, "2.23+ only: {before:?}");
    let accepted = migrate_live(
        &cloud,
        "2.80",
        &id,
        json!({"host": null, "block_migration": "auto"}),
    )
    .await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    assert!(accepted.body.is_null(), "no body: {accepted:?}");
    let shown = as_admin(&cloud, "2.80", "GET", &format!("/v2.1/servers/{id}"), None).await;
    assert_eq!(shown.body["server"]["status"], "MIGRATING", "{shown:?}");
    assert_eq!(shown.body["server"]["OS-EXT-STS:task_state"], "migrating");

    let migration = running_migration(&cloud, &id).await;
    assert_eq!(migration["source_compute"], source.as_str());
    assert_eq!(migration["dest_compute"], dest.as_str());
    assert_eq!(migration["dest_node"], dest.as_str());
    assert_eq!(migration["server_uuid"], id.as_str());
    assert_eq!(migration["memory_total_bytes"], 512 << 20, "m1.tiny's RAM");
    let processed = migration["memory_processed_bytes"].as_i64().unwrap();
    let remaining = migration["memory_remaining_bytes"].as_i64().unwrap();
    assert!(processed > 0 && remaining > 0, "{migration}");
    assert_eq!(processed + remaining, 512 << 20);
    assert!(
        migration["disk_total_bytes"].is_null(),
        "no block migration on shared storage"
    );
    assert_eq!(migration["project_id"], "admin");
    assert!(migration["uuid"].is_string());
    let migration_id = migration["id"].clone();
    let path = format!("/v2.1/servers/{id}/migrations/{migration_id}");
    let one = as_admin(&cloud, "2.58", "GET", &path, None).await;
    assert_eq!(one.status, 200, "{one:?}");
    assert_eq!(one.body["migration"]["id"], migration_id);
    assert!(
        one.body["migration"].get("uuid").is_none(),
        "uuid from 2.59"
    );

    let done = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        done["server"]["OS-EXT-SRV-ATTR:host"],
        dest.as_str(),
        "{done}"
    );
    // As in Nova, the source marks the record `completed` after the destination made the
    // server ACTIVE there: the in-progress list empties a moment later.
    wait_until(
        Duration::from_secs(30),
        "no migration in progress",
        async || {
            let listed = as_admin(
                &cloud,
                "2.80",
                "GET",
                &format!("/v2.1/servers/{id}/migrations"),
                None,
            )
            .await;
            if listed.body == json!({"migrations": []}) {
                Ok(())
            } else {
                Err(listed.body.to_string())
            }
        },
    )
    .await;
    let over = as_admin(&cloud, "2.80", "GET", &path, None).await;
    assert_eq!(over.status, 404);
    assert_eq!(
        over.body["itemNotFound"]["message"],
        format!("Live migration {migration_id} for server {id} is not in progress.")
    );
    let record = listed_record(&cloud, &migration_id).await;
    assert_eq!(record["status"], "completed");
    assert_eq!(record["migration_type"], "live-migration");
    assert_eq!(
        running_vms(&cloud, &dest).await,
        1,
        "the destination counts it"
    );
    wait_until(
        Duration::from_secs(10),
        "the source's usage given back",
        async || running_vms(&cloud, &source).await == 0,
    )
    .await;

    let events = finished_events(&cloud, &id, "live-migration").await;
    assert!(
        events.iter().all(|(_, result)| result == "Success"),
        "{events:?}"
    );
    assert_eq!(
        names(&events),
        [
            "compute_check_can_live_migrate_destination",
            "compute_check_can_live_migrate_source",
            "compute_live_migration",
            "compute_post_live_migration_at_destination",
            "compute_pre_live_migration",
            "conductor_live_migrate_instance",
        ]
    );
}

#[actix_rt::test]
async fn a_forced_migration_is_force_completed_and_a_scheduled_one_aborted() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("fake_driver", "live_migration_duration", "120"),
    ])
    .await;
    let id = server(&cloud, "lm-slow").await;
    let source = host_of(&cloud, &id).await;
    let dest = cloud
        .computes
        .iter()
        .find(|h| **h != source)
        .unwrap()
        .clone();

    // 2.30: a named host is forced (no scheduler), and force needs a host.
    let forced = json!({"host": dest, "block_migration": "auto", "force": true});
    let accepted = migrate_live(&cloud, "2.30", &id, forced).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let migration = running_migration(&cloud, &id).await;
    let migration_id = migration["id"].clone();
    let action = format!("/v2.1/servers/{id}/migrations/{migration_id}/action");
    let early = as_admin(
        &cloud,
        "2.21",
        "POST",
        &action,
        Some(json!({"force_complete": null})),
    )
    .await;
    assert_eq!(early.status, 404, "2.22+ only: {early:?}");
    let bad = as_admin(
        &cloud,
        "2.22",
        "POST",
        &action,
        Some(json!({"force_complete": 1})),
    )
    .await;
    assert_eq!(bad.status, 400, "{bad:?}");
    let other = format!("/v2.1/servers/{id}/migrations/99999/action");
    let missing = as_admin(
        &cloud,
        "2.22",
        "POST",
        &other,
        Some(json!({"force_complete": null})),
    )
    .await;
    assert_eq!(missing.status, 400, "{missing:?}");
    assert_eq!(
        missing.body["badRequest"]["message"],
        format!("Migration 99999 not found for instance {id}")
    );
    let completed = as_admin(
        &cloud,
        "2.22",
        "POST",
        &action,
        Some(json!({"force_complete": null})),
    )
    .await;
    assert_eq!(completed.status, 202, "{completed:?}");
    let done = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(done["server"]["OS-EXT-SRV-ATTR:host"], dest.as_str());
    let events = finished_events(&cloud, &id, "live_migration_force_complete").await;
    assert_eq!(
        events,
        [(
            "compute_live_migration_force_complete".to_owned(),
            "Success".to_owned()
        )]
    );
    wait_record_status(&cloud, &migration_id, "completed").await;

    // Nothing to act on now: the task state is Nova's 409.
    let path = format!("/v2.1/servers/{id}/migrations/{migration_id}");
    let idle = as_admin(&cloud, "2.24", "DELETE", &path, None).await;
    assert_eq!(idle.status, 409, "{idle:?}");
    assert_eq!(
        idle.body["conflictingRequest"]["message"],
        format!("Cannot 'abort live migration' instance {id} while it is in task_state None")
    );
    let idle = as_admin(
        &cloud,
        "2.22",
        "POST",
        &action,
        Some(json!({"force_complete": null})),
    )
    .await;
    assert_eq!(idle.status, 409, "{idle:?}");

    // 2.68: a named host goes through the scheduler (requested destination); abort it.
    let back = json!({"host": source, "block_migration": false});
    let accepted = migrate_live(&cloud, "2.68", &id, back).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let migration = running_migration(&cloud, &id).await;
    assert_eq!(migration["dest_compute"], source.as_str());
    let migration_id = migration["id"].clone();
    let path = format!("/v2.1/servers/{id}/migrations/{migration_id}");
    let early = as_admin(&cloud, "2.23", "DELETE", &path, None).await;
    assert_eq!(early.status, 404, "DELETE from 2.24: {early:?}");
    let aborted = as_admin(&cloud, "2.24", "DELETE", &path, None).await;
    assert_eq!(aborted.status, 202, "{aborted:?}");
    let back_home = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        back_home["server"]["OS-EXT-SRV-ATTR:host"],
        dest.as_str(),
        "rolled back"
    );
    wait_until(
        Duration::from_secs(10),
        "the record cancelled",
        async || listed_record(&cloud, &migration_id).await["status"] == "cancelled",
    )
    .await;
    let events = finished_events(&cloud, &id, "live_migration_cancel").await;
    assert_eq!(
        events,
        [(
            "compute_live_migration_abort".to_owned(),
            "Success".to_owned()
        )]
    );
    wait_until(
        Duration::from_secs(10),
        "the destination rolled back",
        async || {
            let events = finished_events(&cloud, &id, "live-migration").await;
            events.contains(&(
                "compute_rollback_live_migration_at_destination".to_owned(),
                "Success".to_owned(),
            ))
        },
    )
    .await;
    assert_eq!(running_vms(&cloud, &dest).await, 1);
    assert_eq!(running_vms(&cloud, &source).await, 0);
}

#[actix_rt::test]
async fn refused_live_migrations_say_why_as_nova_does() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let id = server(&cloud, "lm-refused").await;
    let source = host_of(&cloud, &id).await;

    let unknown = migrate_live(
        &cloud,
        "2.80",
        &id,
        json!({"host": "nohost", "block_migration": "auto"}),
    )
    .await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_eq!(
        unknown.body["badRequest"]["message"],
        "Compute host nohost could not be found."
    );
    let old_body = json!({"host": null, "block_migration": "auto"});
    let old = migrate_live(&cloud, "2.24", &id, old_body).await;
    assert_eq!(
        old.status, 400,
        "auto from 2.25, disk_over_commit required: {old:?}"
    );
    let extra = migrate_live(
        &cloud,
        "2.68",
        &id,
        json!({"host": null, "block_migration": true, "force": false}),
    )
    .await;
    assert_eq!(extra.status, 400, "no force from 2.68: {extra:?}");
    let member = cloud
        .send(
            "POST",
            &format!("/v2.1/servers/{id}/action"),
            &[
                ("X-Auth-Token", "bob:admin"),
                ("OpenStack-API-Version", "compute 2.80"),
            ],
            Some(&json!({"os-migrateLive": {"host": null, "block_migration": "auto"}}).to_string()),
        )
        .await;
    assert_eq!(
        member.status, 403,
        "a member is no project manager: {member:?}"
    );

    // Forced to its own host: accepted, then refused by the conductor; the server is ACTIVE
    // again, the record `error`, the event failed with Nova's text.
    let own = json!({"host": source, "block_migration": "auto", "force": true});
    let accepted = migrate_live(&cloud, "2.30", &id, own).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let events = finished_events(&cloud, &id, "live-migration").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0],
        (
            "conductor_live_migrate_instance".to_owned(),
            "Error".to_owned()
        )
    );
    let active = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(active["server"]["OS-EXT-SRV-ATTR:host"], source.as_str());
    let listed = as_admin(&cloud, "2.80", "GET", "/v2.1/os-migrations", None).await;
    let record = &listed.body["migrations"][0];
    assert_eq!(record["status"], "error", "{listed:?}");
    assert_eq!(record["migration_type"], "live-migration");
    let faults = cloud
        .db
        .instance_fault_get_by_instance_uuid(&id)
        .await
        .unwrap();
    assert_eq!(
        faults
            .first()
            .and_then(|f| f.message.clone())
            .unwrap_or_default(),
        format!("Unable to migrate instance ({id}) to current host ({source}).")
    );

    // A stopped server may not move: Nova's 409.
    let stop = as_admin(
        &cloud,
        "2.80",
        "POST",
        &format!("/v2.1/servers/{id}/action"),
        Some(json!({"os-stop": null})),
    )
    .await;
    assert_eq!(stop.status, 202);
    cloud.wait_status(&id, "SHUTOFF").await;
    let stopped = migrate_live(
        &cloud,
        "2.80",
        &id,
        json!({"host": null, "block_migration": "auto"}),
    )
    .await;
    assert_eq!(stopped.status, 409, "{stopped:?}");
    assert_eq!(
        stopped.body["conflictingRequest"]["message"],
        format!("Cannot 'os-migrateLive' instance {id} while it is in vm_state stopped")
    );
}

#[actix_rt::test]
async fn a_paused_server_live_migrates_and_stays_paused() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("fake_driver", "live_migration_duration", "0.5"),
    ])
    .await;
    let id = server(&cloud, "lm-paused").await;
    let source = host_of(&cloud, &id).await;
    let action = format!("/v2.1/servers/{id}/action");
    let paused = as_admin(
        &cloud,
        "2.80",
        "POST",
        &action,
        Some(json!({"pause": null})),
    )
    .await;
    assert_eq!(paused.status, 202, "{paused:?}");
    cloud.wait_status(&id, "PAUSED").await;
    let accepted = migrate_live(
        &cloud,
        "2.25",
        &id,
        json!({"host": null, "block_migration": true}),
    )
    .await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let moved = wait_until(
        Duration::from_secs(30),
        "the paused server moved",
        async || {
            let shown = as_admin(&cloud, "2.80", "GET", &format!("/v2.1/servers/{id}"), None).await;
            let server = &shown.body["server"];
            (server["OS-EXT-SRV-ATTR:host"] != source.as_str()
                && server["OS-EXT-STS:task_state"].is_null())
            .then(|| server.clone())
        },
    )
    .await;
    assert_eq!(moved["status"], "PAUSED", "{moved}");
    assert_eq!(moved["OS-EXT-STS:power_state"], 3, "{moved}");
    let listed = as_admin(&cloud, "2.80", "GET", "/v2.1/os-migrations", None).await;
    let record = listed.body["migrations"][0].clone();
    wait_record_status(&cloud, &record["id"], "completed").await;
    assert_eq!(record["source_compute"], source.as_str());
}
