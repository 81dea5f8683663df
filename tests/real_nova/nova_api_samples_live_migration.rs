//! Nova's own live migration request samples (`os-migrate-server/*live-migrate-server*`,
//! `server-migrations/*`) sent to novactor in a cloud of two fake hosts, each at its
//! directory's microversion: every `os-migrateLive` sample is answered 202 and moves the
//! server; the `force_complete` sample ends a migration in progress with a 202.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::{cloud_with, Cloud};
use crate::common::wait_until;
use crate::nova_api_sample_files::{fill, samples, samples_dir};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

async fn send(cloud: &Cloud, version: &str, method: &str, path: &str, body: &Value) -> u16 {
    let header = format!("compute {version}");
    let text = body.to_string();
    let headers = [
        ("X-Auth-Token", "admin:admin"),
        ("OpenStack-API-Version", header.as_str()),
    ];
    let reply = cloud.send(method, path, &headers, Some(&text)).await;
    assert!(
        (200..300).contains(&reply.status),
        "{method} {path} at {version}: {} {}",
        reply.status,
        reply.body
    );
    reply.status
}

async fn host_of(cloud: &Cloud, id: &str) -> String {
    let shown = cloud
        .admin("GET", &format!("/v2.1/servers/{id}"), None)
        .await;
    shown.body["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .expect("a host")
        .to_owned()
}

#[actix_rt::test]
async fn novas_live_migration_request_samples_are_served() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("fake_driver", "live_migration_duration", "30"),
    ])
    .await;
    let root = samples_dir();
    let server = json!({"server": {"name": "samples-lm", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}});
    let created = cloud
        .admin("POST", "/v2.1/servers", Some(&server.to_string()))
        .await;
    let id = created.body["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    let action = format!("/v2.1/servers/{id}/action");
    let mut live = samples(&root, "os-migrate-server", |f| {
        f == "live-migrate-server.json.tpl"
    });
    live.extend(samples(&root, "server-migrations", |f| {
        f == "live-migrate-server.json.tpl"
    }));
    assert!(live.len() >= 8, "the live migration samples: {live:?}");
    let force = "server-migrations/v2.22/force_complete.json.tpl";
    let force_body = fill(
        &std::fs::read_to_string(root.join(force)).expect("the sample"),
        &[],
        force,
    );
    // The record of the migration before may still read `running` for a moment after the
    // server is ACTIVE again (Nova's order: the destination first, then the source marks it
    // `completed`): each round waits for a newer record.
    let mut last_migration = 0;
    for (sample, version) in live {
        let here = host_of(&cloud, &id).await;
        let other = cloud
            .computes
            .iter()
            .find(|h| **h != here)
            .expect("another host");
        let subs = [("hostname", other.clone()), ("force", "False".to_owned())];
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let body = fill(&template, &subs, &sample);
        send(&cloud, &version, "POST", &action, &body).await;
        // Each is finished by Nova's force_complete sample once it runs.
        let migration_id = wait_until(Duration::from_secs(30), "a running migration", async || {
            let rows = cloud
                .db
                .migration_get_in_progress(None, Some(&id), Some("live-migration"))
                .await
                .expect("the in-progress records");
            match rows.iter().find(|row| row.id > last_migration) {
                Some(row) if row.status.as_deref() == Some("running") => Ok(row.id),
                other => Err(format!("{sample}: {other:?}")),
            }
        })
        .await;
        last_migration = migration_id;
        let path = format!("/v2.1/servers/{id}/migrations/{migration_id}/action");
        send(&cloud, "2.22", "POST", &path, &force_body).await;
        let moved = cloud.wait_status(&id, "ACTIVE").await;
        assert_eq!(
            moved["server"]["OS-EXT-SRV-ATTR:host"],
            other.as_str(),
            "{sample} moved the server"
        );
    }
}
