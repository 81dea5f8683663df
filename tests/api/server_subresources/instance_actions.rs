//! `/servers/{id}/os-instance-actions`: the list and each action with its events, per
//! microversion and role; a deleted server's history from 2.21.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::cloud::*;
use crate::common::wait_until;

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
