//! The compute API's discovery documents, microversion negotiation, error bodies and
//! noauth, over HTTP against an in-process cloud.

use crate::cloud::*;
use serde_json::json;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

#[actix_rt::test]
async fn discovery_documents_need_no_token_and_advertise_2_1_to_2_104() {
    let cloud = cloud().await;
    let root = cloud.send("GET", "/", &[], None).await;
    assert_eq!(root.status, 200);
    let v = &root.body["versions"][0];
    assert_eq!(
        (
            v["id"].clone(),
            v["status"].clone(),
            v["version"].clone(),
            v["min_version"].clone()
        ),
        (
            json!("v2.1"),
            json!("CURRENT"),
            json!("2.104"),
            json!("2.1")
        )
    );
    assert_eq!(v["links"][0]["href"], format!("{}/v2.1/", cloud.base));
    for path in ["/v2.1", "/v2.1/"] {
        let doc = cloud.send("GET", path, &[], None).await;
        assert_eq!(doc.status, 200, "{path}");
        assert_eq!(doc.body["version"]["version"], "2.104");
        assert_eq!(doc.body["version"]["updated"], "2013-07-23T11:33:21Z");
        assert_eq!(doc.body["version"]["links"][1]["rel"], "describedby");
        assert_eq!(
            doc.body["version"]["media-types"][0]["type"],
            "application/vnd.openstack.compute+json;version=2.1"
        );
        assert!(doc
            .header("x-openstack-request-id")
            .unwrap()
            .starts_with("req-"));
    }
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn microversions_are_negotiated_echoed_and_refused_out_of_range() {
    let cloud = cloud().await;
    let token = ("X-Auth-Token", "admin:admin");
    let absent = cloud.send("GET", "/v2.1/flavors", &[token], None).await;
    assert_eq!(absent.status, 200);
    assert_eq!(
        absent.header("openstack-api-version").as_deref(),
        Some("compute 2.1")
    );
    assert_eq!(
        absent.header("x-openstack-nova-api-version").as_deref(),
        Some("2.1")
    );
    assert_eq!(
        absent.header("vary").as_deref(),
        Some("OpenStack-API-Version, X-OpenStack-Nova-API-Version")
    );
    let rid = absent.header("x-openstack-request-id").unwrap();
    assert!(rid.starts_with("req-"));
    assert_eq!(absent.header("x-compute-request-id"), Some(rid));

    let latest = cloud
        .send(
            "GET",
            "/v2.1/flavors",
            &[token, ("OpenStack-API-Version", "compute latest")],
            None,
        )
        .await;
    assert_eq!(
        latest.header("openstack-api-version").as_deref(),
        Some("compute 2.104")
    );
    let legacy = cloud
        .send(
            "GET",
            "/v2.1/flavors",
            &[token, ("X-OpenStack-Nova-API-Version", "2.20")],
            None,
        )
        .await;
    assert_eq!(
        legacy.header("x-openstack-nova-api-version").as_deref(),
        Some("2.20")
    );

    let high = cloud
        .send(
            "GET",
            "/v2.1/flavors",
            &[token, ("OpenStack-API-Version", "compute 2.105")],
            None,
        )
        .await;
    assert_eq!(high.status, 406);
    assert_eq!(
        high.body,
        json!({"computeFault": {"code": 406, "message": "Version 2.105 is not supported by the API. Minimum is 2.1 and maximum is 2.104."}})
    );
    let bad = cloud
        .send(
            "GET",
            "/v2.1/flavors",
            &[token, ("OpenStack-API-Version", "compute two")],
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["badRequest"]["code"], 400);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn noauth_tokens_decide_who_is_admin_and_errors_have_novas_shape() {
    let cloud = cloud().await;
    let missing = cloud.send("GET", "/v2.1/servers", &[], None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["unauthorized"]["code"], 401);
    let user = cloud
        .send(
            "GET",
            "/v2.1/os-services",
            &[("X-Auth-Token", "alice:p1")],
            None,
        )
        .await;
    assert_eq!(user.status, 403);
    assert_eq!(
        user.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:os-services:list to be performed."
    );
    for token in ["admin:admin", "notused", "admin"] {
        let admin = cloud
            .send("GET", "/v2.1/os-services", &[("X-Auth-Token", token)], None)
            .await;
        assert_eq!(admin.status, 200, "{token}");
    }
    let unknown = cloud.admin("GET", "/v2.1/nothing-here", None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body["itemNotFound"]["message"].is_string());
    let method = cloud.admin("PATCH", "/v2.1/flavors", None).await;
    assert_eq!(method.status, 405);
    assert_eq!(method.body["badMethod"]["code"], 405);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn with_noauth_notused_is_admin_off_notused_is_an_ordinary_user() {
    let cloud = cloud_with(&[("api", "noauth_notused_is_admin", "false")]).await;
    let notused = cloud
        .send(
            "GET",
            "/v2.1/os-services",
            &[("X-Auth-Token", "notused")],
            None,
        )
        .await;
    assert_eq!(notused.status, 403, "{:?}", notused.body);
    let admin = cloud
        .send(
            "GET",
            "/v2.1/os-services",
            &[("X-Auth-Token", "admin:admin")],
            None,
        )
        .await;
    assert_eq!(admin.status, 200);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn a_policy_file_overrides_novas_rules_by_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "# members may list services; nobody but admins may boot\n\
         \"os_compute_api:os-services:list\": \"rule:project_member_or_admin\"\n\
         \"os_compute_api:servers:create\": \"rule:context_is_admin\"\n",
    )
    .unwrap();
    let cloud = cloud_with(&[("oslo_policy", "policy_file", policy.to_str().unwrap())]).await;
    let alice = [("X-Auth-Token", "alice:p1")];
    let services = cloud.send("GET", "/v2.1/os-services", &alice, None).await;
    assert_eq!(services.status, 200, "{:?}", services.body);
    let boot = r#"{"server": {"name": "a", "flavorRef": "1",
        "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "networks": "none"}}"#;
    let refused = cloud
        .send("POST", "/v2.1/servers", &alice, Some(boot))
        .await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(
        refused.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:servers:create to be performed."
    );
    let listed = cloud
        .send("GET", "/v2.1/servers?all_tenants=1", &alice, None)
        .await;
    assert_eq!(listed.status, 403, "all_tenants stays admin-only");
    let admin = cloud.admin("POST", "/v2.1/servers", Some(boot)).await;
    assert_eq!(admin.status, 202, "{:?}", admin.body);
    cloud.node.shutdown().await.unwrap();
}

/// What changes with the microversion on the routes served: a route removed (2.88), fields
/// a create may carry (2.19 description, 2.90 hostname, 2.94 FQDN), fields views gain.
#[actix_rt::test]
async fn routes_fields_and_views_follow_the_microversion() {
    let cloud = cloud().await;
    let at = |version: &str| format!("compute {version}");
    let send = |version: String, method: &'static str, path: String, body: Option<String>| {
        let cloud = &cloud;
        async move {
            cloud
                .send(
                    method,
                    &path,
                    &[
                        ("X-Auth-Token", "alice:demo"),
                        ("OpenStack-API-Version", &version),
                    ],
                    body.as_deref(),
                )
                .await
        }
    };
    let hypervisors = cloud.admin("GET", "/v2.1/os-hypervisors", None).await;
    let node = hypervisors.body["hypervisors"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uptime = |version: &str| {
        let path = format!("/v2.1/os-hypervisors/{node}/uptime");
        let version = at(version);
        let cloud = &cloud;
        async move {
            cloud
                .send(
                    "GET",
                    &path,
                    &[
                        ("X-Auth-Token", "admin:admin"),
                        ("OpenStack-API-Version", &version),
                    ],
                    None,
                )
                .await
        }
    };
    assert_eq!(uptime("2.87").await.status, 200);
    let gone = uptime("2.88").await;
    assert_eq!(gone.status, 404, "{:?}", gone.body);
    assert_eq!(
        gone.body["itemNotFound"]["message"],
        "The resource could not be found."
    );
    let detail = cloud
        .send(
            "GET",
            &format!("/v2.1/os-hypervisors/{node}"),
            &[
                ("X-Auth-Token", "admin:admin"),
                ("OpenStack-API-Version", "compute 2.88"),
            ],
            None,
        )
        .await;
    assert!(
        detail.body["hypervisor"]["uptime"].is_string(),
        "{:?}",
        detail.body
    );
    assert!(detail.body["hypervisor"].get("vcpus").is_none());

    let create = |name: &str, extra: &str| {
        format!(
            r#"{{"server": {{"name": "{name}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"{extra}}}}}"#
        )
    };
    let early = send(
        at("2.89"),
        "POST",
        "/v2.1/servers".into(),
        Some(create("h1", r#", "hostname": "web-01""#)),
    )
    .await;
    assert_eq!(early.status, 400);
    assert!(early.body["badRequest"]["message"]
        .as_str()
        .unwrap()
        .contains("'hostname' was unexpected"));
    let bad = send(
        at("2.90"),
        "POST",
        "/v2.1/servers".into(),
        Some(create("h1", r#", "hostname": "web_01""#)),
    )
    .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let many = send(
        at("2.90"),
        "POST",
        "/v2.1/servers".into(),
        Some(create("h1", r#", "hostname": "web-01", "max_count": 2"#)),
    )
    .await;
    assert_eq!(
        many.body["badRequest"]["message"],
        "Unable to allocate a single hostname to multiple instances"
    );
    let fqdn = send(at("2.94"), "POST", "/v2.1/servers".into(), Some(create("h2", r#", "hostname": "web.example.com", "accessIPv4": "192.0.2.7", "OS-DCF:diskConfig": "AUTO""#))).await;
    assert_eq!(fqdn.status, 202, "{:?}", fqdn.body);
    assert_eq!(fqdn.body["server"]["OS-DCF:diskConfig"], "AUTO");
    let id = fqdn.body["server"]["id"].as_str().unwrap().to_owned();
    let shown = send(at("2.90"), "GET", format!("/v2.1/servers/{id}"), None).await;
    let server = &shown.body["server"];
    assert_eq!(
        server["OS-EXT-SRV-ATTR:hostname"], "web.example.com",
        "a member sees the hostname from 2.90"
    );
    assert!(
        server.get("OS-EXT-SRV-ATTR:host").is_none(),
        "but not the other extended attributes"
    );
    assert_eq!(server["accessIPv4"], "192.0.2.7");
    assert_eq!(server["OS-DCF:diskConfig"], "AUTO");
    assert_eq!(server["locked_reason"], serde_json::Value::Null);
    assert_eq!(server["server_groups"], json!([]));
    let older = send(at("2.89"), "GET", format!("/v2.1/servers/{id}"), None).await;
    assert!(older.body["server"]
        .get("OS-EXT-SRV-ATTR:hostname")
        .is_none());
    // Before 2.19 Nova describes a server by its name; a name is made into a hostname.
    let legacy = send(
        at("2.1"),
        "POST",
        "/v2.1/servers".into(),
        Some(create("My Web_Server", "")),
    )
    .await;
    let legacy_id = legacy.body["server"]["id"].as_str().unwrap().to_owned();
    let seen = cloud
        .admin("GET", &format!("/v2.1/servers/{legacy_id}"), None)
        .await;
    assert_eq!(seen.body["server"]["description"], "My Web_Server");
    assert_eq!(
        seen.body["server"]["OS-EXT-SRV-ATTR:hostname"],
        "my-web-server"
    );

    let flavor = |version: &str| send(at(version), "GET", "/v2.1/flavors/1".into(), None);
    assert_eq!(flavor("2.74").await.body["flavor"]["swap"], "");
    let modern = flavor("2.75").await;
    assert_eq!(modern.body["flavor"]["swap"], 0);
    assert!(modern.body["flavor"].get("description").is_some());
    assert!(flavor("2.102").await.body["flavor"]
        .get("rxtx_factor")
        .is_none());
    cloud.node.shutdown().await.unwrap();
}
