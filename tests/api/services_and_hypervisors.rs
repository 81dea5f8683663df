//! `/v2.1/os-services` and `/v2.1/os-hypervisors` over HTTP (admin), and the image
//! stand-in.

use crate::cloud::*;
use crate::common::Backend;
use crate::nova::fresh_nova_db;
use serde_json::json;

#[actix_rt::test]
async fn services_are_listed_filtered_and_updated_with_253_semantics() {
    let cloud = cloud().await;
    let all = cloud.admin("GET", "/v2.1/os-services", None).await;
    assert_eq!(all.status, 200);
    let binaries: Vec<&str> = all.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["binary"].as_str().unwrap())
        .collect();
    assert!(
        binaries.contains(&"nova-compute") && binaries.contains(&"nova-conductor"),
        "{binaries:?}"
    );
    let path = format!("/v2.1/os-services?binary=nova-compute&host={}", cloud.host);
    let compute = cloud.admin("GET", &path, None).await;
    let rows = compute.body["services"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row["zone"].clone(),
            row["status"].clone(),
            row["state"].clone(),
            row["forced_down"].clone()
        ),
        (json!("nova"), json!("enabled"), json!("up"), json!(false))
    );
    let uuid = row["id"].as_str().unwrap().to_owned();
    let put = |body: &'static str| {
        let path = format!("/v2.1/os-services/{uuid}");
        let cloud = &cloud;
        async move { cloud.admin("PUT", &path, Some(body)).await }
    };
    let disabled = put(r#"{"status": "disabled", "disabled_reason": "maint"}"#).await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    assert_eq!(disabled.body["service"]["status"], "disabled");
    assert_eq!(disabled.body["service"]["disabled_reason"], "maint");
    let enabled = put(r#"{"status": "enabled"}"#).await;
    assert_eq!(enabled.body["service"]["status"], "enabled");
    assert_eq!(
        enabled.body["service"]["disabled_reason"],
        serde_json::Value::Null
    );
    let nothing = put("{}").await;
    assert_eq!(
        nothing.body["badRequest"]["message"],
        "No updates were requested. Fields 'status' or 'forced_down' should be specified."
    );
    let reason = put(r#"{"status": "enabled", "disabled_reason": "x"}"#).await;
    assert_eq!(
        reason.body["badRequest"]["message"],
        "Specifying 'disabled_reason' with status 'enabled' is invalid."
    );
    let conductor = all.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["binary"] == "nova-conductor")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = cloud
        .admin(
            "PUT",
            &format!("/v2.1/os-services/{conductor}"),
            Some(r#"{"status": "disabled"}"#),
        )
        .await;
    assert_eq!(other.body["badRequest"]["message"], "Updating a nova-conductor service is not supported. Only nova-compute services can be updated.");
    let bad = cloud
        .admin(
            "PUT",
            "/v2.1/os-services/disable",
            Some(r#"{"status": "disabled"}"#),
        )
        .await;
    assert_eq!(bad.body["badRequest"]["message"], "Invalid uuid disable");
    let unknown = cloud
        .admin(
            "PUT",
            "/v2.1/os-services/00000000-0000-0000-0000-000000000000",
            Some(r#"{"status": "disabled"}"#),
        )
        .await;
    assert_eq!(unknown.status, 404);
    let legacy = cloud
        .send(
            "PUT",
            "/v2.1/os-services/disable",
            &[
                ("X-Auth-Token", "notused"),
                ("OpenStack-API-Version", "compute 2.1"),
            ],
            Some(&format!(
                r#"{{"host": "{}", "binary": "nova-compute"}}"#,
                cloud.host
            )),
        )
        .await;
    assert_eq!(legacy.status, 200, "{legacy:?}");
    assert_eq!(legacy.body["service"]["status"], "disabled");
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn hypervisors_are_listed_shown_and_report_uptime() {
    let cloud = cloud().await;
    let list = cloud.admin("GET", "/v2.1/os-hypervisors", None).await;
    assert_eq!(list.status, 200);
    let h = &list.body["hypervisors"][0];
    assert_eq!(h["hypervisor_hostname"], cloud.host.as_str());
    assert_eq!(
        (h["state"].clone(), h["status"].clone()),
        (json!("up"), json!("enabled"))
    );
    let id = h["id"].as_str().unwrap().to_owned();
    let detail = cloud
        .admin("GET", "/v2.1/os-hypervisors/detail", None)
        .await;
    assert!(detail.body["hypervisors"][0]["vcpus"].is_number());
    assert!(detail.body["hypervisors"][0]["cpu_info"].is_object());
    let show = cloud
        .admin("GET", &format!("/v2.1/os-hypervisors/{id}"), None)
        .await;
    assert_eq!(
        show.body["hypervisor"]["service"]["host"],
        cloud.host.as_str()
    );
    let by_name = cloud
        .admin("GET", &format!("/v2.1/os-hypervisors/{}", cloud.host), None)
        .await;
    assert_eq!(by_name.status, 400);
    let uptime = cloud
        .admin("GET", &format!("/v2.1/os-hypervisors/{id}/uptime"), None)
        .await;
    assert_eq!(uptime.status, 200, "{uptime:?}");
    assert!(uptime.body["hypervisor"]["uptime"].is_string());
    let user = cloud
        .send(
            "GET",
            "/v2.1/os-hypervisors",
            &[("X-Auth-Token", "alice:p1")],
            None,
        )
        .await;
    assert_eq!(user.status, 403);
    let aggregates = cloud.admin("GET", "/v2.1/os-aggregates", None).await;
    assert_eq!(aggregates.body, json!({"aggregates": []}));
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn the_image_stand_in_serves_the_catalog_to_callers_with_a_token() {
    let cloud = cloud().await;
    let versions = cloud.send("GET", "/image/v2", &[], None).await;
    assert_eq!(versions.body["versions"][0]["id"], "v2.16");
    let by_name = cloud
        .send(
            "GET",
            "/image/v2/images?name=cirros",
            &[("X-Auth-Token", "notused")],
            None,
        )
        .await;
    let id = by_name.body["images"][0]["id"].as_str().unwrap().to_owned();
    let token = [("X-Auth-Token", "notused")];
    let show = cloud
        .send("GET", &format!("/image/v2/images/{id}"), &token, None)
        .await;
    assert_eq!(show.body["name"], "cirros");
    assert_eq!(show.body["status"], "active");
    assert_eq!(
        cloud
            .send("GET", "/image/v2/images/cirros", &token, None)
            .await
            .status,
        404
    );
    // As Glance, the images are a token's (the version document is anyone's).
    let anonymous = cloud
        .send("GET", &format!("/image/v2/images/{id}"), &[], None)
        .await;
    assert_eq!(anonymous.status, 401);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn services_are_shown_in_the_configured_availability_zones() {
    let cloud = cloud_with(&[
        ("DEFAULT", "default_availability_zone", "az-east"),
        ("DEFAULT", "internal_service_availability_zone", "control"),
    ])
    .await;
    let all = cloud.admin("GET", "/v2.1/os-services", None).await;
    assert_eq!(all.status, 200);
    let zones: Vec<(&str, &str)> = all.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["binary"].as_str().unwrap(), s["zone"].as_str().unwrap()))
        .collect();
    assert!(zones.contains(&("nova-compute", "az-east")), "{zones:?}");
    assert!(zones.contains(&("nova-conductor", "control")), "{zones:?}");
    assert!(zones.contains(&("nova-scheduler", "control")), "{zones:?}");
}

/// A reason longer than the `services.disabled_reason` column (255) is Nova's 400 on the
/// legacy action and at 2.53 alike; it was a database error (500) on PostgreSQL.
#[actix_rt::test]
async fn a_disabled_reason_over_255_characters_is_a_400_on_postgres() {
    let fresh = fresh_nova_db(Backend::Postgres, "novactor_svc_reason").await;
    let cloud = cloud_with(&[("database", "connection", fresh.url.as_str())]).await;
    let long = "r".repeat(256);
    // The legacy action, at 2.1.
    let disable_with = async |reason: &str| {
        let body = json!({"host": cloud.host, "binary": "nova-compute", "disabled_reason": reason});
        let at_21 = [
            ("X-Auth-Token", "notused"),
            ("OpenStack-API-Version", "compute 2.1"),
        ];
        let path = "/v2.1/os-services/disable-log-reason";
        cloud
            .send("PUT", path, &at_21, Some(&body.to_string()))
            .await
    };
    let refused = disable_with(&long).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    let message = refused.body["badRequest"]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Invalid input for field/attribute disabled_reason.")
            && message.ends_with("is too long"),
        "{refused:?}"
    );
    // 255 characters fit, and are kept.
    let fits = "f".repeat(255);
    let accepted = disable_with(&fits).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    assert_eq!(accepted.body["service"]["disabled_reason"], json!(fits));
    // At 2.53, by uuid, the same bound.
    let services = cloud
        .admin("GET", "/v2.1/os-services?binary=nova-compute", None)
        .await;
    let id = services.body["services"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"status": "disabled", "disabled_reason": long}).to_string();
    let refused = cloud
        .admin("PUT", &format!("/v2.1/os-services/{id}"), Some(&body))
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    cloud.node.shutdown().await.expect("the cloud stops");
}
