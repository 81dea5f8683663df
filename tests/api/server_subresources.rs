//! The server sub-resources over HTTP, as Nova 34 answers them: instance actions and their
//! events at each microversion's shape, metadata and tags CRUD with their 4xx texts, tags in
//! the views and at create, `PUT /servers/{id}`, diagnostics and topology. Shapes of
//! microversions above the served maximum are checked to be refused (406) until it rises.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;
use novactor_nova::api::microversion::MAX_VERSION;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
const ADMIN: &str = "notused";
const BOB: &str = "bob:p2";

/// Whether this build serves microversion 2.`minor`.
fn served(minor: u32) -> bool {
    MAX_VERSION.at_least(minor)
}

/// A request as `token` at microversion `version`.
async fn call(
    cloud: &Cloud,
    token: &str,
    version: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Reply {
    let header = format!("compute {version}");
    cloud
        .send(
            method,
            path,
            &[("X-Auth-Token", token), ("OpenStack-API-Version", &header)],
            body,
        )
        .await
}

/// The fault message of `reply` (any fault name).
fn message(reply: &Reply) -> String {
    reply
        .body
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Boots one server as `token` (at 2.52 when `tags` are asked) and waits for ACTIVE.
async fn boot(cloud: &Cloud, token: &str, name: &str, extra: Value) -> String {
    let mut server =
        json!({"name": name, "imageRef": CIRROS, "flavorRef": "1", "networks": "none"});
    if let (Some(server), Some(extra)) = (server.as_object_mut(), extra.as_object()) {
        server.extend(extra.clone());
    }
    let body = json!({ "server": server }).to_string();
    let created = call(cloud, token, "2.53", "POST", "/v2.1/servers", Some(&body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    cloud.wait_status(&id, "ACTIVE").await;
    id
}

async fn act(cloud: &Cloud, token: &str, id: &str, action: &str, status: &str) {
    let path = format!("/v2.1/servers/{id}/action");
    let reply = call(cloud, token, "2.53", "POST", &path, Some(action)).await;
    assert_eq!(reply.status, 202, "{action}: {reply:?}");
    cloud.wait_status(id, status).await;
}

/// Puts the row into `vm_state` behind the API's back (a state the fake driver never leaves
/// a server in on its own).
async fn force_vm_state(cloud: &Cloud, id: &str, vm_state: &str) {
    let values = json!({ "vm_state": vm_state });
    cloud
        .db
        .instance_update_and_get(id, values.as_object().unwrap(), None, None)
        .await
        .unwrap();
}

#[actix_rt::test]
async fn instance_actions_and_events_at_each_version() {
    let cloud = cloud().await;
    let id = boot(&cloud, BOB, "acts", json!({})).await;
    act(&cloud, BOB, &id, r#"{"os-stop": null}"#, "SHUTOFF").await;
    act(&cloud, BOB, &id, r#"{"os-start": null}"#, "ACTIVE").await;
    act(
        &cloud,
        BOB,
        &id,
        r#"{"reboot": {"type": "SOFT"}}"#,
        "ACTIVE",
    )
    .await;
    let list_path = format!("/v2.1/servers/{id}/os-instance-actions");

    let list = call(&cloud, BOB, "2.1", "GET", &list_path, None).await;
    assert_eq!(list.status, 200, "{list:?}");
    let actions = list.body["instanceActions"].as_array().unwrap().clone();
    let names: Vec<&str> = actions
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["reboot", "start", "stop", "create"]);
    let mut keys: Vec<&String> = actions[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "action",
            "instance_uuid",
            "message",
            "project_id",
            "request_id",
            "start_time",
            "user_id"
        ]
    );
    assert_eq!(actions[3]["user_id"], "bob");
    assert_eq!(actions[3]["project_id"], "p2");
    assert!(list.body.get("links").is_none());
    let stop_id = actions[2]["request_id"].as_str().unwrap().to_owned();
    let show_path = format!("{list_path}/{stop_id}");

    // Before 2.51 a member sees no events; from 2.51 without traceback; an admin always,
    // with traceback.
    let old = call(&cloud, BOB, "2.50", "GET", &show_path, None).await;
    assert_eq!(old.status, 200, "{old:?}");
    assert_eq!(old.body["instanceAction"]["action"], "stop");
    assert!(
        old.body["instanceAction"].get("events").is_none(),
        "{old:?}"
    );
    let member = call(&cloud, BOB, "2.51", "GET", &show_path, None).await;
    let events = member.body["instanceAction"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{member:?}");
    assert_eq!(events[0]["event"], "compute_stop_instance");
    assert_eq!(events[0]["result"], "Success");
    assert!(events[0].get("traceback").is_none());
    assert!(events[0].get("hostId").is_none());
    let admin = call(&cloud, ADMIN, "2.1", "GET", &show_path, None).await;
    let events = admin.body["instanceAction"]["events"].as_array().unwrap();
    assert!(
        events[0].as_object().unwrap().contains_key("traceback"),
        "{admin:?}"
    );
    assert!(events[0].get("host").is_none());
    let missing = call(
        &cloud,
        BOB,
        "2.1",
        "GET",
        &format!("{list_path}/req-nope"),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(message(&missing), "Action req-nope not found");
    let stranger = call(&cloud, "eve:p3", "2.1", "GET", &list_path, None).await;
    assert_eq!(stranger.status, 404, "{stranger:?}");

    // Paging and filters arrive with 2.58 (before, the query is ignored).
    let ignored = call(
        &cloud,
        BOB,
        "2.53",
        "GET",
        &format!("{list_path}?limit=1&x=y"),
        None,
    )
    .await;
    assert_eq!(ignored.body["instanceActions"].as_array().unwrap().len(), 4);
    if served(58) {
        let page = call(
            &cloud,
            BOB,
            "2.58",
            "GET",
            &format!("{list_path}?limit=2"),
            None,
        )
        .await;
        assert_eq!(page.status, 200, "{page:?}");
        let first = page.body["instanceActions"].as_array().unwrap();
        assert_eq!(first.len(), 2);
        assert!(first[0]["updated_at"].is_string(), "{page:?}");
        let next = page.body["links"][0]["href"].as_str().unwrap();
        let marker = first[1]["request_id"].as_str().unwrap();
        assert!(
            next.ends_with(&format!("?limit=2&marker={marker}")),
            "{next}"
        );
        let rest = call(
            &cloud,
            BOB,
            "2.58",
            "GET",
            &format!("{list_path}?marker={marker}"),
            None,
        )
        .await;
        let names: Vec<&str> = rest.body["instanceActions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["stop", "create"]);
        let bad = call(
            &cloud,
            BOB,
            "2.58",
            "GET",
            &format!("{list_path}?marker=req-x"),
            None,
        )
        .await;
        assert_eq!(
            (bad.status, message(&bad)),
            (400, "Marker req-x could not be found.".into())
        );
        let future = format!("{list_path}?changes-since=2999-01-01T00:00:00Z");
        let none = call(&cloud, BOB, "2.58", "GET", &future, None).await;
        assert_eq!(none.body["instanceActions"], json!([]));
        let unknown = call(
            &cloud,
            BOB,
            "2.58",
            "GET",
            &format!("{list_path}?x=y"),
            None,
        )
        .await;
        assert_eq!(unknown.status, 400);
    } else {
        let refused = call(&cloud, BOB, "2.58", "GET", &list_path, None).await;
        assert_eq!(refused.status, 406);
    }
    if served(84) {
        let admin = call(&cloud, ADMIN, "2.84", "GET", &show_path, None).await;
        let event = &admin.body["instanceAction"]["events"][0];
        assert_eq!(event["host"], cloud.host.as_str());
        assert_eq!(event["hostId"].as_str().unwrap().len(), 56);
        assert!(
            event.as_object().unwrap().contains_key("details"),
            "{admin:?}"
        );
        let member = call(&cloud, BOB, "2.84", "GET", &show_path, None).await;
        let event = &member.body["instanceAction"]["events"][0];
        assert!(event.get("host").is_none() && event.get("details").is_none());
        assert!(event["hostId"].is_string());
    }

    // A deleted server's actions stay readable from 2.21.
    let deleted = call(
        &cloud,
        BOB,
        "2.53",
        "DELETE",
        &format!("/v2.1/servers/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    wait_until(Duration::from_secs(30), "the server to go", async || {
        let reply = call(
            &cloud,
            BOB,
            "2.53",
            "GET",
            &format!("/v2.1/servers/{id}"),
            None,
        )
        .await;
        reply.status == 404
    })
    .await;
    let gone = call(&cloud, BOB, "2.20", "GET", &list_path, None).await;
    assert_eq!(gone.status, 404);
    let kept = call(&cloud, BOB, "2.21", "GET", &list_path, None).await;
    assert_eq!(kept.status, 200, "{kept:?}");
    assert_eq!(kept.body["instanceActions"][0]["action"], "delete");
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn metadata_crud_with_novas_checks_and_texts() {
    let cloud = cloud().await;
    let id = boot(&cloud, BOB, "meta", json!({"metadata": {"a": "1"}})).await;
    let base = format!("/v2.1/servers/{id}/metadata");
    let get = |path: String| {
        let cloud = &cloud;
        async move { call(cloud, BOB, "2.1", "GET", &path, None).await }
    };
    assert_eq!(
        get(base.clone()).await.body,
        json!({"metadata": {"a": "1"}})
    );
    let merged = call(
        &cloud,
        BOB,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"b": "2"}}"#),
    )
    .await;
    assert_eq!(
        (merged.status, merged.body.clone()),
        (200, json!({"metadata": {"a": "1", "b": "2"}}))
    );
    let replaced = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &base,
        Some(r#"{"metadata": {"c": "3"}}"#),
    )
    .await;
    assert_eq!(replaced.body, json!({"metadata": {"c": "3"}}));
    assert_eq!(
        get(format!("{base}/c")).await.body,
        json!({"meta": {"c": "3"}})
    );
    let missing = get(format!("{base}/a")).await;
    assert_eq!(
        (missing.status, message(&missing)),
        (404, "Metadata item was not found".into())
    );
    let item = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &format!("{base}/d"),
        Some(r#"{"meta": {"d": "4"}}"#),
    )
    .await;
    assert_eq!(
        (item.status, item.body.clone()),
        (200, json!({"meta": {"d": "4"}}))
    );
    let shown = call(
        &cloud,
        BOB,
        "2.1",
        "GET",
        &format!("/v2.1/servers/{id}"),
        None,
    )
    .await;
    assert_eq!(
        shown.body["server"]["metadata"],
        json!({"c": "3", "d": "4"})
    );

    let bad: &[(&str, &str, &str, u16, &str)] = &[
        (
            "PUT",
            "/d",
            r#"{"meta": {"e": "4"}}"#,
            400,
            "Request body and URI mismatch",
        ),
        ("PUT", "/d", r#"{"meta": {}}"#, 400, "should be non-empty"),
        (
            "PUT",
            "/d",
            r#"{"meta": {"d": "1", "e": "2"}}"#,
            400,
            "has too many properties",
        ),
        (
            "POST",
            "",
            r#"{"metadata": {"bad/key": "v"}}"#,
            400,
            "('bad/key' was unexpected)",
        ),
        (
            "POST",
            "",
            r#"{"meta": {"k": "v"}}"#,
            400,
            "('meta' was unexpected)",
        ),
        (
            "POST",
            "",
            r#"{"metadata": {"k": 1}}"#,
            400,
            "1 is not of type 'string'",
        ),
        ("DELETE", "/nope", "", 404, "Metadata item was not found"),
    ];
    for (method, suffix, body, status, text) in bad {
        let body = (!body.is_empty()).then_some(*body);
        let reply = call(&cloud, BOB, "2.1", method, &format!("{base}{suffix}"), body).await;
        assert_eq!(
            reply.status, *status,
            "{method} {suffix} {body:?}: {reply:?}"
        );
        assert!(
            message(&reply).contains(text),
            "{method} {suffix}: {reply:?}"
        );
    }
    let many: serde_json::Map<String, Value> =
        (0..127).map(|i| (format!("k{i}"), json!("v"))).collect();
    let over = json!({ "metadata": many }).to_string();
    let quota = call(&cloud, BOB, "2.1", "POST", &base, Some(&over)).await;
    assert_eq!(quota.status, 403, "{quota:?}");
    assert!(message(&quota).contains("Maximum number of metadata items exceeds 128"));
    let stranger = call(&cloud, "eve:p3", "2.1", "GET", &base, None).await;
    assert_eq!(stranger.status, 404);

    let deleted = call(&cloud, BOB, "2.1", "DELETE", &format!("{base}/c"), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        get(base.clone()).await.body,
        json!({"metadata": {"d": "4"}})
    );

    // Nova's check_instance_lock and check_instance_state.
    let lock = json!({"locked_by": "admin"});
    cloud
        .db
        .instance_update_and_get(&id, lock.as_object().unwrap(), None, None)
        .await
        .unwrap();
    let locked = call(
        &cloud,
        BOB,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"x": "1"}}"#),
    )
    .await;
    assert_eq!(
        (locked.status, message(&locked)),
        (409, format!("Instance {id} is locked"))
    );
    let admin = call(
        &cloud,
        ADMIN,
        "2.1",
        "POST",
        &base,
        Some(r#"{"metadata": {"x": "1"}}"#),
    )
    .await;
    assert_eq!(admin.status, 200, "an admin passes the lock: {admin:?}");
    force_vm_state(&cloud, &id, "error").await;
    let error = call(&cloud, ADMIN, "2.1", "DELETE", &format!("{base}/x"), None).await;
    assert_eq!(error.status, 409);
    assert_eq!(
        message(&error),
        format!("Cannot 'delete metadata' instance {id} while it is in vm_state error")
    );
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn tags_crud_in_the_views_and_at_create() {
    let cloud = cloud().await;
    let early = json!({"server": {"name": "t0", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "tags": ["a"]}})
    .to_string();
    let refused = call(&cloud, BOB, "2.51", "POST", "/v2.1/servers", Some(&early)).await;
    assert_eq!(refused.status, 400);
    assert!(
        message(&refused).contains("('tags' was unexpected)"),
        "{refused:?}"
    );
    let id = boot(&cloud, BOB, "tagged", json!({"tags": ["b", "a"]})).await;
    let server = format!("/v2.1/servers/{id}");
    let shown = call(&cloud, BOB, "2.26", "GET", &server, None).await;
    assert_eq!(shown.body["server"]["tags"], json!(["a", "b"]));
    let before = call(&cloud, BOB, "2.25", "GET", &server, None).await;
    assert!(before.body["server"].get("tags").is_none());
    let listed = call(&cloud, BOB, "2.26", "GET", "/v2.1/servers/detail", None).await;
    assert_eq!(listed.body["servers"][0]["tags"], json!(["a", "b"]));

    let tags = format!("{server}/tags");
    let old = call(&cloud, BOB, "2.25", "GET", &tags, None).await;
    assert_eq!(
        (old.status, message(&old)),
        (404, "The resource could not be found.".into())
    );
    let added = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/c"), None).await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(
        added.header("location"),
        Some(format!("{}{tags}/c", cloud.base))
    );
    let again = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/c"), None).await;
    assert_eq!(again.status, 204);
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &format!("{tags}/c"), None)
            .await
            .status,
        204
    );
    let absent = call(&cloud, BOB, "2.26", "GET", &format!("{tags}/z"), None).await;
    assert_eq!(
        (absent.status, message(&absent)),
        (404, format!("Server {id} has no tag 'z'"))
    );
    let comma = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/a,b"), None).await;
    assert_eq!(comma.status, 400);
    assert!(
        message(&comma).starts_with("Tag 'a,b' is invalid. It must be a non empty string"),
        "{comma:?}"
    );
    let long = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &format!("{tags}/{}", "t".repeat(61)),
        None,
    )
    .await;
    assert_eq!(long.status, 400);
    let body = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/d"), Some("{}")).await;
    assert_eq!(body.status, 400, "{body:?}");

    let set = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(r#"{"tags": ["y", "x"]}"#),
    )
    .await;
    assert_eq!(
        (set.status, set.body.clone()),
        (200, json!({"tags": ["x", "y"]}))
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &tags, None).await.body,
        json!({"tags": ["x", "y"]})
    );
    let slash = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(r#"{"tags": ["a/b"]}"#),
    )
    .await;
    assert_eq!(slash.status, 400);
    assert!(
        message(&slash).contains("does not match '^[^,/]*$'"),
        "{slash:?}"
    );
    let fifty: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let full = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(&json!({ "tags": fifty }).to_string()),
    )
    .await;
    assert_eq!(full.status, 200);
    let one_more = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/t50"), None).await;
    assert_eq!(
        (one_more.status, message(&one_more)),
        (
            400,
            "The number of tags exceeded the per-server limit 50".into()
        )
    );
    let mut fifty_one: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    fifty_one.sort();
    let too_many = call(
        &cloud,
        BOB,
        "2.26",
        "PUT",
        &tags,
        Some(&json!({ "tags": fifty_one }).to_string()),
    )
    .await;
    assert_eq!(too_many.status, 400);

    let removed = call(&cloud, BOB, "2.26", "DELETE", &format!("{tags}/t0"), None).await;
    assert_eq!(removed.status, 204);
    let twice = call(&cloud, BOB, "2.26", "DELETE", &format!("{tags}/t0"), None).await;
    assert_eq!(
        (twice.status, message(&twice)),
        (404, format!("Instance {id} has no tag 't0'"))
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "DELETE", &tags, None)
            .await
            .status,
        204
    );
    assert_eq!(
        call(&cloud, BOB, "2.26", "GET", &tags, None).await.body,
        json!({"tags": []})
    );

    let stranger = call(&cloud, "eve:p3", "2.26", "GET", &tags, None).await;
    assert_eq!(
        stranger.status, 403,
        "the tag API checks policy on the mapping: {stranger:?}"
    );
    assert_eq!(
        message(&stranger),
        "Policy doesn't allow os_compute_api:os-server-tags:index to be performed."
    );
    force_vm_state(&cloud, &id, "error").await;
    let error = call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/q"), None).await;
    assert_eq!(
        (error.status, message(&error)),
        (
            409,
            format!("Cannot 'update tag' instance {id} while it is in vm_state error")
        )
    );
    force_vm_state(&cloud, &id, "active").await;
    call(&cloud, BOB, "2.26", "PUT", &format!("{tags}/kept"), None).await;
    let deleted = call(&cloud, BOB, "2.26", "DELETE", &server, None).await;
    assert_eq!(deleted.status, 204);
    wait_until(
        Duration::from_secs(30),
        "the deleted server's tags to go",
        async || cloud.db.tags_get(&id).await.unwrap().is_empty(),
    )
    .await;
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn update_renames_and_refuses_what_it_cannot_store() {
    let cloud = cloud().await;
    let id = boot(&cloud, BOB, "before", json!({})).await;
    let path = format!("/v2.1/servers/{id}");
    let renamed = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &path,
        Some(r#"{"server": {"name": "after"}}"#),
    )
    .await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.body["server"]["name"], "after");
    assert!(
        renamed.body["server"].get("OS-EXT-STS:vm_state").is_none(),
        "only from 2.75"
    );
    let described = call(
        &cloud,
        BOB,
        "2.19",
        "PUT",
        &path,
        Some(r#"{"server": {"description": "web", "OS-DCF:diskConfig": "MANUAL"}}"#),
    )
    .await;
    assert_eq!(described.body["server"]["description"], "web");
    let shown = call(&cloud, BOB, "2.19", "GET", &path, None).await;
    assert_eq!(
        (
            shown.body["server"]["name"].clone(),
            shown.body["server"]["description"].clone()
        ),
        (json!("after"), json!("web"))
    );

    let bad: &[(&str, &str, &str)] = &[
        (
            "2.1",
            r#"{"server": {"description": "d"}}"#,
            "('description' was unexpected)",
        ),
        (
            "2.53",
            r#"{"server": {"hostname": "h"}}"#,
            "('hostname' was unexpected)",
        ),
        (
            "2.1",
            r#"{"server": {"name": " x"}}"#,
            "An invalid 'name' value was provided.",
        ),
        ("2.1", r#"{"server": {"name": ""}}"#, "should be non-empty"),
        (
            "2.1",
            r#"{"server": {"accessIPv4": "10.0.0.1"}}"#,
            "field/attribute accessIPv4.",
        ),
        (
            "2.1",
            r#"{"server": {"OS-DCF:diskConfig": "AUTO"}}"#,
            "only MANUAL",
        ),
        ("2.1", r#"{"srv": {}}"#, "('srv' was unexpected)"),
    ];
    for (version, body, text) in bad {
        let reply = call(&cloud, BOB, version, "PUT", &path, Some(body)).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert!(message(&reply).contains(text), "{body}: {reply:?}");
    }
    if served(90) {
        let host = call(
            &cloud,
            BOB,
            "2.90",
            "PUT",
            &path,
            Some(r#"{"server": {"hostname": "web-1"}}"#),
        )
        .await;
        assert_eq!(host.status, 200, "{host:?}");
        let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
        assert_eq!(row.hostname.as_deref(), Some("web-1"));
    }
    let stranger = call(
        &cloud,
        "eve:p3",
        "2.1",
        "PUT",
        &path,
        Some(r#"{"server": {"name": "x"}}"#),
    )
    .await;
    assert_eq!(stranger.status, 404);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn diagnostics_come_from_the_compute_and_topology_is_empty() {
    let cloud = cloud().await;
    let id = boot(&cloud, BOB, "diag", json!({})).await;
    let path = format!("/v2.1/servers/{id}/diagnostics");
    let legacy = call(&cloud, ADMIN, "2.1", "GET", &path, None).await;
    assert_eq!(legacy.status, 200, "{legacy:?}");
    assert_eq!(legacy.body["cpu0_time"], 17_300_000_000_i64);
    assert_eq!(legacy.body["vnet1_tx_packets"], 662);
    let standard = call(&cloud, ADMIN, "2.48", "GET", &path, None).await;
    let d = &standard.body;
    assert_eq!(
        (
            d["state"].clone(),
            d["driver"].clone(),
            d["num_cpus"].clone()
        ),
        (json!("running"), json!("libvirt"), json!(1))
    );
    assert_eq!(
        d["cpu_details"],
        json!([{"id": 0, "time": 17_300_000_000_i64, "utilisation": 15}])
    );
    assert_eq!(d["memory_details"], json!({"maximum": 524_288, "used": 0}));
    assert_eq!(d["nic_details"][0]["mac_address"], "01:23:45:67:89:ab");
    assert_eq!(d["disk_details"][0]["errors_count"], 1);
    let member = call(&cloud, BOB, "2.48", "GET", &path, None).await;
    assert_eq!(
        (member.status, message(&member)),
        (
            403,
            "Policy doesn't allow os_compute_api:os-server-diagnostics to be performed.".into()
        )
    );
    act(&cloud, BOB, &id, r#"{"os-stop": null}"#, "SHUTOFF").await;
    let stopped = call(&cloud, ADMIN, "2.48", "GET", &path, None).await;
    assert_eq!(
        (stopped.status, message(&stopped)),
        (
            409,
            format!("Cannot 'get_diagnostics' instance {id} while it is in power state shutdown")
        )
    );

    let topology = format!("/v2.1/servers/{id}/topology");
    let early = call(&cloud, BOB, "2.53", "GET", &topology, None).await;
    assert_eq!(early.status, 404);
    if served(78) {
        let reply = call(&cloud, BOB, "2.78", "GET", &topology, None).await;
        assert_eq!(reply.body, json!({"nodes": [], "pagesize_kb": null}));
    } else {
        assert_eq!(
            call(&cloud, BOB, "2.78", "GET", &topology, None)
                .await
                .status,
            406
        );
    }
    cloud.node.shutdown().await.unwrap();
}
