//! The OSC test's live migration commands on `vm1`: `server migrate --live-migration
//! --host` (2.30, the host checked by the scheduler), `server migration list --server`,
//! `server migration show` while the fake driver copies the memory (the cloud's
//! `[fake_driver] live_migration_duration` makes it last), `server migration force
//! complete`, then a scheduled live migration stopped by `server migration abort` — `vm1`
//! ends ACTIVE on the host the first one took it to.

use std::time::Duration;

use serde_json::Value;

use crate::common::wait_until_blocking;
use crate::osc_client::Client;

/// The version the migration commands are sent at (uuid 2.59, owner 2.80).
const MIGRATIONS_VERSION: &str = "2.80";

/// `server migration list --server vm1` as JSON rows.
fn migrations(client: &Client, status: Option<&str>) -> Vec<Value> {
    let mut args = vec![
        "--os-compute-api-version",
        MIGRATIONS_VERSION,
        "server",
        "migration",
        "list",
        "--server",
        "vm1",
        "-f",
        "json",
    ];
    if let Some(status) = status {
        args.extend(["--status", status]);
    }
    let listed = client.run(&args);
    serde_json::from_str(&listed).unwrap_or_else(|e| panic!("{e}: {listed}"))
}

/// The id and uuid of vm1's live migration once it is `running`, other than record
/// `before` (the migration before may still read `running` for a moment after vm1 is
/// ACTIVE again: as in Nova, the destination makes it ACTIVE before the source marks the
/// record `completed`).
fn running_migration(client: &Client, before: Option<&str>) -> (String, String) {
    wait_until_blocking(
        Duration::from_secs(60),
        "a running live migration",
        || match migrations(client, Some("running"))
            .iter()
            .find(|row| Some(row["Id"].to_string().as_str()) != before)
        {
            Some(row) => Ok((
                row["Id"].to_string(),
                row["UUID"].as_str().unwrap_or_default().to_owned(),
            )),
            None => Err("none running yet".to_owned()),
        },
    )
}

fn migration_command(client: &Client, args: &[&str]) -> String {
    let mut full = vec![
        "--os-compute-api-version",
        MIGRATIONS_VERSION,
        "server",
        "migration",
    ];
    full.extend_from_slice(args);
    client.run(&full)
}

pub(crate) fn live_migration_actions(client: &Client) {
    let source = client.field("vm1", "OS-EXT-SRV-ATTR:host");
    let target = client
        .hosts
        .iter()
        .find(|host| **host != source)
        .expect("another host")
        .clone();
    client.act(
        "live-migration",
        &[
            "--os-compute-api-version",
            "2.30",
            "server",
            "migrate",
            "--live-migration",
            "--host",
            &target,
            "vm1",
        ],
    );
    let (id, uuid) = running_migration(client, None);
    // The first step of the copy saves the progress counters.
    let shown = wait_until_blocking(Duration::from_secs(60), "progress", || {
        // By uuid: this client's `show` by id sends the server and migration ids swapped
        // (`get_server_migration(server.id, migration)`); by uuid it reads the list.
        let shown = migration_command(client, &["show", "vm1", &uuid, "-f", "json"]);
        let shown: Value = serde_json::from_str(&shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
        if shown["Memory Processed Bytes"].is_number() {
            Ok(shown)
        } else {
            Err(shown.to_string())
        }
    });
    assert_eq!(shown["ID"].to_string(), id, "{shown}");
    assert_eq!(shown["Status"], "running", "{shown}");
    assert_eq!(shown["Dest Compute"], target.as_str(), "{shown}");
    // The guest's RAM (its flavor's, whatever the resizes before left it with), copied in
    // steps: what is done and what is left add up to it.
    let total = shown["Memory Total Bytes"].as_i64().unwrap_or(0);
    assert!(total > 0 && total % (1 << 20) == 0, "{shown}");
    assert_eq!(
        shown["Memory Processed Bytes"].as_i64().unwrap_or(0)
            + shown["Memory Remaining Bytes"].as_i64().unwrap_or(0),
        total,
        "{shown}"
    );
    assert!(
        shown["Memory Processed Bytes"].as_i64().unwrap_or(0) > 0,
        "{shown}"
    );
    assert_eq!(client.status("vm1"), "MIGRATING");
    client
        .performed
        .borrow_mut()
        .push("live_migration_force_complete");
    migration_command(client, &["force", "complete", "vm1", &id]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(client.field("vm1", "OS-EXT-SRV-ATTR:host"), target);

    // A scheduled one, aborted: vm1 stays where it is.
    client.act(
        "live-migration",
        &["server", "migrate", "--live-migration", "vm1"],
    );
    let (id, _) = running_migration(client, Some(&id));
    client.performed.borrow_mut().push("live_migration_cancel");
    migration_command(client, &["abort", "vm1", &id]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(client.field("vm1", "OS-EXT-SRV-ATTR:host"), target);
    let listed = wait_until_blocking(
        Duration::from_secs(30),
        "both live migration records over",
        || {
            let rows = migrations(client, None);
            // The cloud's other moves (resizes, cold migrations, an evacuation) have records
            // too: only the live migrations count here.
            let statuses: Vec<String> = rows
                .iter()
                .filter(|row| row["Type"] == "live-migration")
                .map(|row| format!("{} {}", row["Type"], row["Status"]))
                .collect();
            if statuses.len() == 2 && !statuses.iter().any(|s| s.ends_with("\"running\"")) {
                Ok(statuses)
            } else {
                Err(format!("{statuses:?}"))
            }
        },
    );
    assert_eq!(
        listed,
        [
            "\"live-migration\" \"cancelled\"",
            "\"live-migration\" \"completed\""
        ]
    );
}
