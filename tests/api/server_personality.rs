//! Personality files over HTTP, as a user sees them: a 2.56 create with two files whose
//! arrival `os-getConsoleOutput` shows (one line per file after the fake's three), a 2.56
//! rebuild whose file replaces them, Nova's 400 for `personality` from 2.57 and for
//! contents that are not base64, and Nova's three 403 quota texts (`[quota]` defaults:
//! 5 files, paths of 255 characters, contents of 10240), on create and on rebuild.

use serde_json::{json, Value};

use crate::cloud::*;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const BOB: &str = "bob:p1";

async fn as_bob(cloud: &Cloud, version: &str, method: &str, path: &str, body: Value) -> Reply {
    let version = format!("compute {version}");
    let body = body.to_string();
    cloud
        .send(
            method,
            path,
            &[("X-Auth-Token", BOB), ("OpenStack-API-Version", &version)],
            Some(&body),
        )
        .await
}

/// A create body at `version` carrying `personality`.
async fn create(cloud: &Cloud, version: &str, name: &str, personality: Value) -> Reply {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "personality": personality}});
    as_bob(cloud, version, "POST", "/v2.1/servers", body).await
}

async fn act(cloud: &Cloud, version: &str, id: &str, body: Value) -> Reply {
    let path = format!("/v2.1/servers/{id}/action");
    as_bob(cloud, version, "POST", &path, body).await
}

/// The console log's lines.
async fn console(cloud: &Cloud, id: &str) -> Vec<String> {
    let reply = act(cloud, "2.56", id, json!({"os-getConsoleOutput": {}})).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["output"]
        .as_str()
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn message<'a>(reply: &'a Reply, status: u16, kind: &str) -> &'a str {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"].as_str().unwrap_or_default()
}

/// `count` files of `path_chars`-character paths and `content_chars` base64 characters.
fn files(count: usize, path_chars: usize, content_chars: usize) -> Value {
    let file = json!({"path": format!("/{}", "p".repeat(path_chars - 1)),
        "contents": "A".repeat(content_chars)});
    Value::Array(vec![file; count])
}

#[actix_rt::test]
async fn personality_files_reach_the_guest_and_a_rebuild_replaces_them() {
    let cloud = cloud().await;
    let personality = json!([
        {"path": "/etc/motd", "contents": "aGVsbG8gd29ybGQK"},
        {"path": "/root/.ssh/authorized_keys", "contents": "c3NoLXJzYSBBQUFB"}
    ]);
    let created = create(&cloud, "2.56", "with-files", personality).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        console(&cloud, &id).await,
        [
            "FAKE CONSOLE OUTPUT",
            "ANOTHER",
            "LAST LINE",
            "injected file /etc/motd (12 bytes)",
            "injected file /root/.ssh/authorized_keys (12 bytes)"
        ]
    );

    // Nova: the rebuilt guest gets the rebuild's files, not the old ones.
    let rebuilt = act(
        &cloud,
        "2.56",
        &id,
        json!({"rebuild": {"imageRef": CIRROS,
            "personality": [{"path": "/etc/issue", "contents": "d2VsY29tZQ=="}]}}),
    )
    .await;
    assert_eq!(rebuilt.status, 202, "{rebuilt:?}");
    cloud.wait_status(&id, "ACTIVE").await;
    let lines = console(&cloud, &id).await;
    assert_eq!(lines[3..], ["injected file /etc/issue (7 bytes)"]);

    // A rebuild without personality: a guest without files.
    let plain = act(
        &cloud,
        "2.56",
        &id,
        json!({"rebuild": {"imageRef": CIRROS}}),
    )
    .await;
    assert_eq!(plain.status, 202, "{plain:?}");
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(console(&cloud, &id).await.len(), 3);
}

#[actix_rt::test]
async fn what_nova_refuses_is_refused_with_novas_status_and_text() {
    let cloud = cloud().await;
    let one = json!([{"path": "/a", "contents": "YQ=="}]);
    let gone = create(&cloud, "2.57", "late", one.clone()).await;
    assert_eq!(
        message(&gone, 400, "badRequest"),
        "Additional properties are not allowed ('personality' was unexpected)"
    );
    let not_base64 = create(
        &cloud,
        "2.56",
        "garbled",
        json!([{"path": "/a", "contents": "YQ"}]),
    )
    .await;
    let text = message(&not_base64, 400, "badRequest");
    assert!(
        text.starts_with("Invalid input for field/attribute contents.")
            && text.ends_with("'YQ' is not a 'base64'"),
        "{text}"
    );
    let extra = create(
        &cloud,
        "2.56",
        "extra",
        json!([{"path": "/a", "contents": "YQ==", "mode": "0600"}]),
    )
    .await;
    assert!(
        message(&extra, 400, "badRequest").contains("('mode' was unexpected)"),
        "{extra:?}"
    );

    // The quotas, each with Nova's 403 text; five files at the limits pass.
    let quotas = [
        (files(6, 5, 4), "Personality file limit exceeded"),
        (
            files(1, 256, 4),
            "Personality file path exceeds maximum 255",
        ),
        (
            files(1, 5, 10244),
            "Personality file content exceeds maximum 10240",
        ),
    ];
    for (personality, text) in &quotas {
        let over = create(&cloud, "2.56", "over", personality.clone()).await;
        assert_eq!(message(&over, 403, "forbidden"), *text);
    }
    let at_limits = create(&cloud, "2.56", "at-limits", files(5, 255, 10240)).await;
    assert_eq!(at_limits.status, 202, "{at_limits:?}");
    let id = at_limits.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(console(&cloud, &id).await.len(), 3 + 5);

    // Rebuild: the same checks, and a refused rebuild leaves the server as it was.
    for (personality, text) in &quotas {
        let body = json!({"rebuild": {"imageRef": CIRROS, "personality": personality}});
        let over = act(&cloud, "2.56", &id, body).await;
        assert_eq!(message(&over, 403, "forbidden"), *text);
    }
    let garbled = act(
        &cloud,
        "2.56",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "personality": [{"path": "/a", "contents": "Y"}]}}),
    )
    .await;
    assert!(
        message(&garbled, 400, "badRequest").contains("is not a 'base64'"),
        "{garbled:?}"
    );
    let late = act(
        &cloud,
        "2.57",
        &id,
        json!({"rebuild": {"imageRef": CIRROS, "personality": one}}),
    )
    .await;
    assert!(
        message(&late, 400, "badRequest").contains("('personality' was unexpected)"),
        "{late:?}"
    );
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(console(&cloud, &id).await.len(), 3 + 5);
}
