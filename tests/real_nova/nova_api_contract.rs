//! The compute API against Nova 34's own contract: every 2xx body novactor answers, on every
//! route it serves, at every microversion of [`VERSIONS`], as an admin and as a project
//! member, is validated against the response schema Nova's controller declares for that
//! route, action and version (`nova_api_contract.py`, run by the real-Nova venv's Python,
//! with Nova's validator). 100% must be valid, and every exchange must find its schema: a
//! route Nova does not serve, or a version without a schema, fails the test too.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::cloud::{cloud_with, Cloud, Reply};
use crate::placement_server::real_nova_venv;
use novactor_nova::db::{MigrationChanges, NewMigration};

/// The microversions the issue names, each a step where a view gains or loses fields.
const VERSIONS: &[&str] = &[
    "2.1", "2.3", "2.9", "2.16", "2.19", "2.26", "2.47", "2.53", "2.63", "2.73", "2.90", "2.96",
    "2.100", "2.104",
];

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// An admin of project `demo` and a member of it (noauth2 `user:project` tokens).
pub(crate) const ADMIN: &str = "admin:demo";
const MEMBER: &str = "alice:demo";

/// One request and its 2xx answer, as the checker reads it.
#[derive(Debug)]
pub(crate) struct Exchange {
    method: String,
    path: String,
    version: String,
    action: Option<String>,
    status: u16,
    body: Value,
    who: &'static str,
}

/// Sends requests at one microversion and keeps every 2xx exchange.
pub(crate) struct Recorder<'a> {
    pub(crate) cloud: &'a Cloud,
    pub(crate) exchanges: Vec<Exchange>,
}

impl Recorder<'_> {
    pub(crate) async fn send(
        &mut self,
        who: &'static str,
        version: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let header = format!("compute {version}");
        let text = body.as_ref().map(Value::to_string);
        let reply = self
            .cloud
            .send(
                method,
                path,
                &[("X-Auth-Token", who), ("OpenStack-API-Version", &header)],
                text.as_deref(),
            )
            .await;
        assert!(
            (200..300).contains(&reply.status),
            "{method} {path} at {version} as {who}: {} {}",
            reply.status,
            reply.body
        );
        let action = path
            .ends_with("/action")
            .then(|| body.as_ref().and_then(Value::as_object))
            .flatten()
            .and_then(|b| b.keys().next().cloned());
        // A body-less answer (202, 204) is JSON null to Nova's validator.
        let answer = if reply.body == json!("") {
            Value::Null
        } else {
            reply.body.clone()
        };
        self.exchanges.push(Exchange {
            method: method.to_owned(),
            path: path.to_owned(),
            version: version.to_owned(),
            action,
            status: reply.status,
            body: answer,
            who,
        });
        reply
    }

    /// GET as both callers.
    async fn read(&mut self, version: &str, path: &str) {
        for who in [ADMIN, MEMBER] {
            self.send(who, version, "GET", path, None).await;
        }
    }
}

fn minor(version: &str) -> u32 {
    version
        .split_once('.')
        .and_then(|(_, m)| m.parse().ok())
        .expect("a 2.x version")
}

/// Boot, read, act on and delete one server at `version`; read everything else there is.
async fn exercise(rec: &mut Recorder<'_>, version: &str) {
    let v = minor(version);
    rec.read(version, "/v2.1/").await;
    for path in ["/v2.1/flavors", "/v2.1/flavors/detail", "/v2.1/flavors/1"] {
        rec.read(version, path).await;
    }
    let mut server = json!({"name": format!("contract-{version}"), "imageRef": CIRROS, "flavorRef": "1",
        "metadata": {"purpose": "contract"}});
    if v >= 37 {
        server["networks"] = json!("none");
    }
    if v >= 19 {
        server["description"] = json!("checked against Nova's schemas");
    }
    // A server group per version (its shape changes at 2.13 and 2.64); the server joins it,
    // so the 2.71+ show lists it in server_groups.
    let group = if v >= 64 {
        json!({"name": format!("contract-{version}"), "policy": "anti-affinity",
            "rules": {"max_server_per_host": 2}})
    } else {
        json!({"name": format!("contract-{version}"), "policies": ["affinity"]})
    };
    let group = rec
        .send(
            MEMBER,
            version,
            "POST",
            "/v2.1/os-server-groups",
            Some(json!({ "server_group": group })),
        )
        .await;
    let group_id = group.body["server_group"]["id"]
        .as_str()
        .expect("a group id")
        .to_owned();
    let group_path = format!("/v2.1/os-server-groups/{group_id}");
    let created = rec
        .send(
            MEMBER,
            version,
            "POST",
            "/v2.1/servers",
            Some(json!({ "server": server, "os:scheduler_hints": {"group": group_id} })),
        )
        .await;
    let id = created.body["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    rec.cloud.wait_status(&id, "ACTIVE").await;
    let one = format!("/v2.1/servers/{id}");
    let action = format!("{one}/action");
    for path in [
        "/v2.1/servers",
        "/v2.1/servers/detail",
        "/v2.1/servers/detail?limit=1",
        one.as_str(),
        "/v2.1/os-server-groups",
        "/v2.1/os-server-groups?limit=1&offset=0",
        group_path.as_str(),
    ] {
        rec.read(version, path).await;
    }
    rec.send(
        ADMIN,
        version,
        "GET",
        "/v2.1/os-server-groups?all_projects=True",
        None,
    )
    .await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"os-stop": null})),
    )
    .await;
    rec.cloud.wait_status(&id, "SHUTOFF").await;
    rec.read(version, &one).await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"os-start": null})),
    )
    .await;
    rec.cloud.wait_status(&id, "ACTIVE").await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"reboot": {"type": "SOFT"}})),
    )
    .await;
    rec.cloud.wait_status(&id, "ACTIVE").await;
    // Rebuild with the fields each version adds (its reply's schema changes 14 times).
    let mut rebuild = json!({"imageRef": CIRROS, "name": format!("rebuilt-{version}"),
        "metadata": {"purpose": "rebuilt"}, "adminPass": "seekr3t", "preserve_ephemeral": false});
    if v >= 19 {
        rebuild["description"] = json!("rebuilt");
    }
    if v >= 54 {
        rebuild["key_name"] = Value::Null;
    }
    if v >= 57 {
        rebuild["user_data"] = json!("aGVsbG8=");
    }
    if v >= 90 {
        rebuild["hostname"] = json!("rebuilt-host");
    }
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({ "rebuild": rebuild })),
    )
    .await;
    rec.cloud.wait_status(&id, "ACTIVE").await;
    sub_resources(rec, version, &id).await;
    deferred_delete(rec, version, &id).await;
    rec.send(MEMBER, version, "DELETE", &group_path, None).await;

    let services = rec
        .send(ADMIN, version, "GET", "/v2.1/os-services", None)
        .await;
    let compute = services.body["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["binary"] == "nova-compute"))
        .cloned()
        .expect("the compute service");
    if v >= 53 {
        let path = format!(
            "/v2.1/os-services/{}",
            compute["id"].as_str().expect("uuid")
        );
        rec.send(
            ADMIN,
            version,
            "PUT",
            &path,
            Some(json!({"status": "disabled", "disabled_reason": "contract"})),
        )
        .await;
        rec.send(
            ADMIN,
            version,
            "PUT",
            &path,
            Some(json!({"status": "enabled"})),
        )
        .await;
    }
    let hypervisors = rec
        .send(ADMIN, version, "GET", "/v2.1/os-hypervisors", None)
        .await;
    rec.send(ADMIN, version, "GET", "/v2.1/os-hypervisors/detail", None)
        .await;
    let hypervisor = match &hypervisors.body["hypervisors"][0]["id"] {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    };
    let hypervisor_path = format!("/v2.1/os-hypervisors/{hypervisor}");
    rec.send(ADMIN, version, "GET", &hypervisor_path, None)
        .await;
    if v < 88 {
        rec.send(
            ADMIN,
            version,
            "GET",
            &format!("{hypervisor_path}/uptime"),
            None,
        )
        .await;
    }
    rec.send(ADMIN, version, "GET", "/v2.1/os-aggregates", None)
        .await;
    migration_records(rec, version, &id).await;
}

/// `GET /os-migrations` over a resize and a running live migration of the server (the
/// latter carries `links` from 2.23), and a page of one with its `migrations_links`.
async fn migration_records(rec: &mut Recorder<'_>, version: &str, id: &str) {
    for (kind, status) in [("resize", "finished"), ("live-migration", "running")] {
        let row = rec
            .cloud
            .db
            .migration_create(&NewMigration {
                instance_uuid: id.to_owned(),
                migration_type: kind.to_owned(),
                status: status.to_owned(),
                source_compute: Some(rec.cloud.host.clone()),
                source_node: Some(rec.cloud.host.clone()),
                old_instance_type_id: Some(1),
                new_instance_type_id: Some(2),
                user_id: Some("alice".to_owned()),
                project_id: Some("demo".to_owned()),
                ..NewMigration::default()
            })
            .await
            .expect("a migration record");
        let destination = MigrationChanges {
            dest_compute: Some("elsewhere".to_owned()),
            dest_node: Some("elsewhere".to_owned()),
            ..MigrationChanges::default()
        };
        rec.cloud
            .db
            .migration_update(row.id, &destination)
            .await
            .expect("the record's destination");
    }
    rec.send(ADMIN, version, "GET", "/v2.1/os-migrations", None)
        .await;
    if minor(version) >= 59 {
        rec.send(ADMIN, version, "GET", "/v2.1/os-migrations?limit=1", None)
            .await;
    }
}

/// With `reclaim_instance_interval` set: `DELETE` soft-deletes, `restore` brings the
/// server back, `DELETE` again and `forceDelete` delete it for good.
async fn deferred_delete(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let one = format!("/v2.1/servers/{id}");
    let action = format!("{one}/action");
    rec.send(MEMBER, version, "DELETE", &one, None).await;
    rec.cloud.wait_status(id, "SOFT_DELETED").await;
    rec.read(version, &one).await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"restore": null})),
    )
    .await;
    rec.cloud.wait_status(id, "ACTIVE").await;
    rec.send(MEMBER, version, "DELETE", &one, None).await;
    rec.cloud.wait_status(id, "SOFT_DELETED").await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"forceDelete": null})),
    )
    .await;
}

/// The routes under one server: update, metadata, tags, instance actions, diagnostics,
/// topology, each at the versions Nova serves it.
async fn sub_resources(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let v = minor(version);
    let one = format!("/v2.1/servers/{id}");
    let mut update = json!({"name": format!("renamed-{version}")});
    if v >= 19 {
        update["description"] = json!("updated");
    }
    if v >= 90 {
        update["hostname"] = json!("renamed-host");
    }
    rec.send(
        MEMBER,
        version,
        "PUT",
        &one,
        Some(json!({ "server": update })),
    )
    .await;
    let metadata = format!("{one}/metadata");
    rec.send(
        MEMBER,
        version,
        "PUT",
        &metadata,
        Some(json!({"metadata": {"a": "1", "b": "2"}})),
    )
    .await;
    rec.send(
        MEMBER,
        version,
        "POST",
        &metadata,
        Some(json!({"metadata": {"c": "3"}})),
    )
    .await;
    rec.read(version, &metadata).await;
    let key = format!("{metadata}/a");
    rec.send(
        MEMBER,
        version,
        "PUT",
        &key,
        Some(json!({"meta": {"a": "9"}})),
    )
    .await;
    rec.read(version, &key).await;
    rec.send(MEMBER, version, "DELETE", &key, None).await;
    if v >= 26 {
        let tags = format!("{one}/tags");
        rec.send(
            MEMBER,
            version,
            "PUT",
            &tags,
            Some(json!({"tags": ["red", "blue"]})),
        )
        .await;
        rec.send(MEMBER, version, "PUT", &format!("{tags}/green"), None)
            .await;
        rec.read(version, &tags).await;
        rec.read(version, &format!("{tags}/green")).await;
        rec.send(MEMBER, version, "DELETE", &format!("{tags}/green"), None)
            .await;
        rec.send(MEMBER, version, "DELETE", &tags, None).await;
    }
    let actions = format!("{one}/os-instance-actions");
    let listed = rec.send(ADMIN, version, "GET", &actions, None).await;
    rec.send(MEMBER, version, "GET", &actions, None).await;
    if let Some(request_id) = listed.body["instanceActions"][0]["request_id"].as_str() {
        let path = format!("{actions}/{request_id}");
        rec.read(version, &path).await;
    }
    rec.send(ADMIN, version, "GET", &format!("{one}/diagnostics"), None)
        .await;
    if v >= 78 {
        rec.read(version, &format!("{one}/topology")).await;
    }
    rec.read(version, &format!("{one}/ips")).await;
    rec.read(version, &format!("{one}/os-server-password"))
        .await;
    rec.send(
        MEMBER,
        version,
        "DELETE",
        &format!("{one}/os-server-password"),
        None,
    )
    .await;
    guest_actions(rec, version, id).await;
}

/// The server actions besides power, each waited for before the next: their answers
/// (`null`, or the body some return) against Nova's schemas.
async fn guest_actions(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let v = minor(version);
    let action = format!("/v2.1/servers/{id}/action");
    let mut steps: Vec<(&str, Value, Option<&str>)> = vec![
        (MEMBER, json!({"pause": null}), Some("PAUSED")),
        (MEMBER, json!({"unpause": null}), Some("ACTIVE")),
        (MEMBER, json!({"suspend": null}), Some("SUSPENDED")),
        (MEMBER, json!({"resume": null}), Some("ACTIVE")),
        (MEMBER, json!({"rescue": null}), Some("RESCUE")),
        (MEMBER, json!({"unrescue": null}), Some("ACTIVE")),
        (
            MEMBER,
            json!({"changePassword": {"adminPass": "s3cret"}}),
            None,
        ),
        (MEMBER, json!({"os-getConsoleOutput": {"length": 2}}), None),
        (
            ADMIN,
            json!({"os-resetState": {"state": "active"}}),
            Some("ACTIVE"),
        ),
        (MEMBER, json!({"lock": null}), None),
        (MEMBER, json!({"unlock": null}), None),
    ];
    if v >= 73 {
        steps.push((MEMBER, json!({"lock": {"locked_reason": "contract"}}), None));
        steps.push((MEMBER, json!({"unlock": null}), None));
    }
    if v >= 17 {
        steps.push((MEMBER, json!({"trigger_crash_dump": null}), None));
    }
    for (who, body, status) in steps {
        rec.send(who, version, "POST", &action, Some(body)).await;
        if let Some(status) = status {
            rec.cloud.wait_status(id, status).await;
        }
    }
}

/// Runs Nova's checker over `exchanges`; the failures, one line each.
pub(crate) fn failures(exchanges: &[Exchange]) -> Vec<String> {
    let python = real_nova_venv().join("bin/python");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/real_nova/nova_api_contract.py"
    );
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let mut input = String::new();
    for exchange in exchanges {
        let line = json!({
            "method": exchange.method, "path": exchange.path, "version": exchange.version,
            "action": exchange.action, "status": exchange.status, "body": exchange.body,
        });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    // Written from a thread of its own: the checker answers as it reads, and a pipe holds
    // only so much, so writing everything before reading would deadlock once the answers
    // outgrow the pipe's buffer.
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the checker ends");
    writer
        .join()
        .expect("the writer thread")
        .expect("the checker reads its input");
    assert!(
        output.status.success(),
        "the checker failed: {}",
        output.status
    );
    let results: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(results.len(), exchanges.len(), "one verdict per exchange");
    exchanges
        .iter()
        .zip(&results)
        .filter(|(_, r)| r["ok"] != true)
        .map(|(e, r)| {
            let error = r["error"].as_str().unwrap_or_default();
            // Nova's text quotes the whole value first; the reason is at the end.
            let skip = error.chars().count().saturating_sub(300);
            let cut: String = error.chars().skip(skip).collect();
            format!(
                "{} {} {} at {} as {}: {} — {cut}",
                e.status, e.method, e.path, e.version, e.who, r["schema"]
            )
        })
        .collect()
}

#[actix_rt::test]
async fn every_answer_matches_novas_response_schema_at_every_microversion() {
    // Soft delete on, so DELETE, restore and forceDelete are all exercised.
    let cloud = cloud_with(&[("DEFAULT", "reclaim_instance_interval", "3600")]).await;
    let mut rec = Recorder {
        cloud: &cloud,
        exchanges: Vec::new(),
    };
    for version in VERSIONS {
        exercise(&mut rec, version).await;
    }
    let failed = failures(&rec.exchanges);
    assert!(
        failed.is_empty(),
        "{} of {} answers do not match Nova 34's response schemas:\n{}",
        failed.len(),
        rec.exchanges.len(),
        failed.join("\n")
    );
    // The checker is not vacuous: a body Nova's schema refuses is caught.
    let broken = Exchange {
        method: "GET".into(),
        path: "/v2.1/flavors".into(),
        version: "2.1".into(),
        action: None,
        status: 200,
        body: json!({"flavors": [{"id": "1"}]}),
        who: ADMIN,
    };
    assert_eq!(failures(std::slice::from_ref(&broken)).len(), 1);
}
