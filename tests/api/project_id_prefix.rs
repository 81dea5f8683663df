//! The legacy `/v2.1/{project_id}/…` URLs (Nova's `ProjectMapper`): the caller's own
//! project id in the path serves the same routes with links that keep it, another is 400,
//! and a segment that is no project id is no route.

use serde_json::json;

use crate::cloud::*;
use crate::server_lists::{fault_message, ids, seed, V253};

#[actix_rt::test]
async fn the_legacy_project_id_prefix_serves_the_callers_project_and_refuses_another() {
    let cloud = cloud().await;
    let project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let token = format!("admin:{project}");
    let id = seed(
        &cloud.db,
        json!({"display_name": "prefixed", "project_id": project}),
    )
    .await;
    let headers = [("X-Auth-Token", token.as_str()), V253];
    let listed = cloud
        .send(
            "GET",
            &format!("/v2.1/{project}/servers/detail?limit=1"),
            &headers,
            None,
        )
        .await;
    assert_eq!(ids(&listed), std::slice::from_ref(&id));
    let server = &listed.body["servers"][0];
    assert_eq!(
        server["links"][0]["href"],
        format!("{}/v2.1/{project}/servers/{id}", cloud.base)
    );
    assert_eq!(
        server["links"][1]["href"],
        format!("{}/{project}/servers/{id}", cloud.base)
    );
    assert_eq!(
        listed.body["servers_links"][0]["href"],
        format!(
            "{}/v2.1/{project}/servers/detail?limit=1&marker={id}",
            cloud.base
        )
    );
    let shown = cloud
        .send(
            "GET",
            &format!("/v2.1/{project}/servers/{id}"),
            &headers,
            None,
        )
        .await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert_eq!(shown.body["server"]["id"], id.as_str());
    let flavors = cloud
        .send("GET", &format!("/v2.1/{project}/flavors"), &headers, None)
        .await;
    assert_eq!(flavors.status, 200, "{flavors:?}");
    let other = "ffffffffffffffffffffffffffffffff";
    let refused = cloud
        .send("GET", &format!("/v2.1/{other}/servers"), &headers, None)
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(
        fault_message(&refused),
        format!(
            "Malformed request URL: URL's project_id '{other}' doesn't match Context's \
             project_id '{project}'"
        )
    );
    // Not a project id (Nova's routes take [0-9a-f-]+): no such route.
    let not_hex = cloud
        .send("GET", "/v2.1/admin/servers", &headers, None)
        .await;
    assert_eq!(not_hex.status, 404);
    cloud.node.shutdown().await.unwrap();
}
