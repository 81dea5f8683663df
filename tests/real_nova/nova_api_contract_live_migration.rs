//! Live migration against Nova 34's own contract (`nova_api_contract.py`): in a cloud of
//! two fake hosts, `os-migrateLive` with each version's body (2.1, 2.25, 2.30, 2.68), then
//! `GET /servers/{id}/migrations[/{id}]` while it runs (2.23, 2.59, 2.80 shapes),
//! `GET /os-migrations` with its `links`, and its end by `force_complete` (2.22+) or an
//! abort (`DELETE`, 2.24+ and 2.65) — every 2xx answer validated by Nova's response schema
//! for that route, action and version.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::{cloud_with, Cloud};
use crate::common::wait_until;
use crate::nova_api_contract::{failures, Recorder, ADMIN};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// The server's in-progress live migration newer than record `after`, once `running` with
/// progress saved. (The one before may still read `running` for a moment after the server
/// is ACTIVE again: as in Nova, the destination makes it ACTIVE before the source marks the
/// record `completed`.)
async fn running(cloud: &Cloud, id: &str, after: i64) -> i64 {
    wait_until(
        Duration::from_secs(30),
        "a running live migration",
        async || {
            let rows = cloud
                .db
                .migration_get_in_progress(None, Some(id), Some("live-migration"))
                .await
                .expect("the in-progress records");
            match rows.iter().find(|row| row.id > after) {
                Some(row)
                    if row.status.as_deref() == Some("running") && row.memory_total.is_some() =>
                {
                    Ok(row.id)
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

/// Each version's `os-migrateLive` body, named host or not.
fn body(version: &str, host: &str) -> Value {
    match version {
        "2.1" => json!({"host": host, "block_migration": false, "disk_over_commit": false}),
        "2.30" => json!({"host": host, "block_migration": "auto", "force": "True"}),
        _ => json!({"host": null, "block_migration": "auto"}),
    }
}

#[actix_rt::test]
async fn live_migration_answers_match_novas_response_schemas() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("fake_driver", "live_migration_duration", "30"),
    ])
    .await;
    let mut rec = Recorder {
        cloud: &cloud,
        exchanges: Vec::new(),
    };
    let server = json!({"server": {"name": "contract-lm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = rec
        .send(ADMIN, "2.37", "POST", "/v2.1/servers", Some(server))
        .await;
    let id = created.body["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    let action = format!("/v2.1/servers/{id}/action");
    let migrations = format!("/v2.1/servers/{id}/migrations");
    // (the os-migrateLive version, the reads' version, how it ends)
    let rounds = [
        ("2.1", "2.23", "force_complete"),
        ("2.25", "2.59", "abort"),
        ("2.30", "2.80", "force_complete"),
        ("2.68", "2.65", "abort"),
        ("2.104", "2.104", "force_complete"),
    ];
    let mut last_migration = 0;
    for (version, reads, ending) in rounds {
        let shown = cloud
            .admin("GET", &format!("/v2.1/servers/{id}"), None)
            .await;
        let here = shown.body["server"]["OS-EXT-SRV-ATTR:host"]
            .as_str()
            .expect("a host")
            .to_owned();
        let other = cloud
            .computes
            .iter()
            .find(|h| **h != here)
            .expect("another host")
            .clone();
        let body = json!({ "os-migrateLive": body(version, &other) });
        rec.send(ADMIN, version, "POST", &action, Some(body)).await;
        let migration_id = running(&cloud, &id, last_migration).await;
        last_migration = migration_id;
        rec.send(ADMIN, reads, "GET", &migrations, None).await;
        let one = format!("{migrations}/{migration_id}");
        rec.send(ADMIN, reads, "GET", &one, None).await;
        rec.send(ADMIN, reads, "GET", "/v2.1/os-migrations", None)
            .await;
        match ending {
            "abort" => {
                rec.send(ADMIN, reads, "DELETE", &one, None).await;
            }
            _ => {
                let force = Some(json!({"force_complete": null}));
                rec.send(ADMIN, reads, "POST", &format!("{one}/action"), force)
                    .await;
            }
        }
        cloud.wait_status(&id, "ACTIVE").await;
    }
    let failed = failures(&rec.exchanges);
    assert!(
        failed.is_empty(),
        "{} of {} live migration answers do not match Nova 34's response schemas:\n{}",
        failed.len(),
        rec.exchanges.len(),
        failed.join("\n")
    );
    assert!(rec.exchanges.len() >= 25, "{}", rec.exchanges.len());
}
