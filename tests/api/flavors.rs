//! `/v2.1/flavors` over HTTP: list, detail, show by id and by name, `is_public`.

use crate::cloud::*;
use serde_json::json;

#[actix_rt::test]
async fn flavors_list_detail_and_show() {
    let cloud = cloud().await;
    let list = cloud.admin("GET", "/v2.1/flavors", None).await;
    assert_eq!(list.status, 200);
    let flavors = list.body["flavors"].as_array().unwrap();
    assert_eq!(flavors.len(), 5);
    assert_eq!(flavors[0]["id"], "1");
    assert_eq!(flavors[0]["name"], "m1.tiny");
    assert_eq!(
        flavors[0]["links"][0]["href"],
        format!("{}/v2.1/flavors/1", cloud.base)
    );
    assert_eq!(flavors[0]["links"][1]["rel"], "bookmark");

    let detail = cloud
        .admin("GET", "/v2.1/flavors/detail?is_public=True", None)
        .await;
    assert_eq!(detail.status, 200);
    let tiny = &detail.body["flavors"][0];
    assert_eq!(tiny["ram"], 512);
    assert_eq!(tiny["disk"], 1);
    assert_eq!(tiny["vcpus"], 1);
    assert_eq!(tiny["swap"], "");
    assert_eq!(tiny["OS-FLV-EXT-DATA:ephemeral"], 0);
    assert_eq!(tiny["OS-FLV-DISABLED:disabled"], false);
    assert_eq!(tiny["os-flavor-access:is_public"], true);
    assert_eq!(tiny["rxtx_factor"], 1.0);
    let all = cloud
        .admin("GET", "/v2.1/flavors/detail?is_public=None", None)
        .await;
    assert_eq!(all.body["flavors"].as_array().unwrap().len(), 5);
    let bad = cloud
        .admin("GET", "/v2.1/flavors/detail?is_public=maybe", None)
        .await;
    assert_eq!(bad.status, 400);
    let big = cloud.admin("GET", "/v2.1/flavors?minRam=8192", None).await;
    assert_eq!(big.body["flavors"].as_array().unwrap().len(), 2);

    let by_id = cloud.admin("GET", "/v2.1/flavors/2", None).await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["flavor"]["name"], "m1.small");
    let by_name = cloud.admin("GET", "/v2.1/flavors/m1.medium", None).await;
    assert_eq!(by_name.body["flavor"]["id"], "3");
    let missing = cloud.admin("GET", "/v2.1/flavors/nope", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body,
        json!({"itemNotFound": {"code": 404, "message": "Flavor nope could not be found."}})
    );
    cloud.node.shutdown().await.unwrap();
}
