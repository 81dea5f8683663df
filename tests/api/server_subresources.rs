//! The server sub-resources over HTTP, as Nova 34 answers them: instance actions and their
//! events at each microversion's shape, metadata and tags CRUD with their 4xx texts, tags in
//! the views and at create, `PUT /servers/{id}`, diagnostics and topology. Shapes of
//! microversions above the served maximum are checked to be refused (406) until it rises.
//! The helpers every file of the folder shares live here.

mod instance_actions;
mod metadata_and_tags;
mod update_and_diagnostics;

use serde_json::{json, Value};

use crate::cloud::*;
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
