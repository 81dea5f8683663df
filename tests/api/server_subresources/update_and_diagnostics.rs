//! `PUT /servers/{id}`, `GET /servers/{id}/diagnostics` and `/topology`.

use serde_json::{json, Value};

use super::*;
use crate::cloud::*;

#[actix_rt::test]
async fn update_changes_what_nova_updates_and_refuses_bad_values() {
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
            r#"{"server": {"accessIPv4": "10.0.0"}}"#,
            "is not a 'ipv4'",
        ),
        (
            "2.1",
            r#"{"server": {"OS-DCF:diskConfig": "SOMETIMES"}}"#,
            "is not one of ['AUTO', 'MANUAL']",
        ),
        ("2.1", r#"{"srv": {}}"#, "('srv' was unexpected)"),
    ];
    for (version, body, text) in bad {
        let reply = call(&cloud, BOB, version, "PUT", &path, Some(body)).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert!(message(&reply).contains(text), "{body}: {reply:?}");
    }
    let addressed = call(
        &cloud,
        BOB,
        "2.1",
        "PUT",
        &path,
        Some(r#"{"server": {"accessIPv4": "192.0.2.9", "accessIPv6": "2001:db8::9", "OS-DCF:diskConfig": "AUTO"}}"#),
    )
    .await;
    assert_eq!(addressed.status, 200, "{addressed:?}");
    assert_eq!(addressed.body["server"]["accessIPv4"], "192.0.2.9");
    assert_eq!(addressed.body["server"]["accessIPv6"], "2001:db8::9");
    assert_eq!(addressed.body["server"]["OS-DCF:diskConfig"], "AUTO");
    // 2.104: pin to the server's own zone, refuse another, unpin.
    let pin = |zone: &'static str| {
        let body = format!(r#"{{"server": {{"pinned_availability_zone": {zone}}}}}"#);
        let cloud = &cloud;
        let path = path.clone();
        async move { call(cloud, BOB, "2.104", "PUT", &path, Some(&body)).await }
    };
    let elsewhere = pin(r#""elsewhere""#).await;
    assert_eq!(elsewhere.status, 409, "{elsewhere:?}");
    assert!(message(&elsewhere)
        .contains("Server can only be pinned to its current availability zone 'nova'"));
    let pinned = pin(r#""nova""#).await;
    assert_eq!(pinned.status, 200, "{pinned:?}");
    assert_eq!(pinned.body["server"]["pinned_availability_zone"], "nova");
    let other = pin(r#""other""#).await;
    assert_eq!(other.status, 409);
    assert!(message(&other).starts_with("Cannot change pinned availability zone directly."));
    let unpinned = pin("null").await;
    assert_eq!(
        unpinned.body["server"]["pinned_availability_zone"],
        Value::Null
    );
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
